"""The editor's import page (/editor/import): owners and managers, in Chinese; template,
dry run with every bad row, confirmation of the checked file, never twice."""
from __future__ import annotations

import io

import pytest

from tests.web.test_editor import csrf, login

from .helpers import MEMBER_HEADER, counts, csv_bytes, document, members_file


@pytest.fixture
def shop(hk):
    from tests.support.factories import make_merchant

    return make_merchant(hk, "导入页面店", document())


def upload(client, kind: str, data: bytes, name: str = "会员.csv"):
    return client.post("/editor/import", data={"kind": kind, "csrf_token": csrf(client, "/editor/import"),
                                               "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_dry_run_then_confirm_imports_once(client, hk, shop):
    login(client, username="manager", merchant="导入页面店")
    page = client.get("/editor/import")
    assert page.status_code == 200 and "从其他系统导入" in page.get_data(as_text=True)
    template = client.get("/editor/import/templates/members.xlsx")
    assert template.status_code == 200 and template.data[:2] == b"PK"
    bad = upload(client, "members", csv_bytes(MEMBER_HEADER, members_file(2) + [["123", "", "", "", "", "", "", "", "", "", ""]]))
    text = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "需要修改的行" in text and "应为 11 位手机号" in text
    assert "confirm_sha" not in text  # no confirmation while a row is bad
    before = counts(hk, shop.id)
    good = upload(client, "members", csv_bytes(MEMBER_HEADER, members_file(2)))
    text = good.get_data(as_text=True)
    assert good.status_code == 200 and "confirm_sha" in text
    assert counts(hk, shop.id) == before
    sha = text.split('name="confirm_sha" value="')[1].split('"')[0]
    confirm = {"kind": "members", "confirm_sha": sha, "file_name": "会员.csv",
               "csrf_token": csrf(client, "/editor/import")}
    done = client.post("/editor/import", data=confirm)
    assert done.status_code == 201 and "账本平衡" in done.get_data(as_text=True)
    assert counts(hk, shop.id)["members"] == before["members"] + 2
    again = client.post("/editor/import", data={**confirm, "csrf_token": csrf(client, "/editor/import")})
    assert again.status_code == 422  # the checked file was used up
    twice = upload(client, "members", csv_bytes(MEMBER_HEADER, members_file(2)))
    assert "confirm_sha" not in twice.get_data(as_text=True)  # every row imported before


def test_cashiers_cannot_and_junk_is_a_message(client, hk, shop):
    login(client, username="cashier", merchant="导入页面店")
    assert client.get("/editor/import").status_code == 403
    client.post("/logout", data={"csrf_token": csrf(client, "/")})
    client.cookie_jar.clear() if hasattr(client, "cookie_jar") else None
    other = client.application.test_client()
    login(other, username="owner", merchant="导入页面店")
    junk = upload(other, "members", bytes(range(256)) * 10, "x.xlsx")
    assert junk.status_code == 422 and "无法识别的文件" in junk.get_data(as_text=True)


def test_a_file_larger_than_the_usual_form_limit_uploads(app, client, hk, shop):
    login(client, username="owner", merchant="导入页面店")
    data = csv_bytes(MEMBER_HEADER, members_file(20_000))
    assert len(data) > app.config["MAX_CONTENT_LENGTH"]  # 1 MB for every other form
    response = upload(client, "members", data)
    assert response.status_code == 200 and "confirm_sha" in response.get_data(as_text=True)
    app.config["HUIKA_MAX_IMPORT_BYTES"] = 100_000
    assert upload(client, "members", data).status_code == 413
