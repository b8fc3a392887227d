"""Every file a merchant (or anyone) may upload: Excel's and other systems' encodings read
right; bad files of any shape answer a 4xx JSON error and change nothing, never a 5xx."""
from __future__ import annotations

import functools
import io
import zipfile

import pytest

from .helpers import MEMBER_HEADER, counts, csv_bytes, make_shop, members_file, post_file, xlsx_bytes


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk", "gb18030", "utf-16"])
def test_csv_in_every_encoding_excel_writes(client, hk, encoding):
    shop = make_shop(hk)
    data = csv_bytes(MEMBER_HEADER, members_file(2), encoding=encoding)
    if encoding == "utf-16":  # Excel's "Unicode text": UTF-16 with a BOM, tab-separated
        data = "\n".join("\t".join(line.split(",")) for line in data.decode("utf-16").splitlines()).encode("utf-16")
    response = post_file(client, shop, "members", data, dry_run=True)
    assert response.status_code == 200, response.json
    assert response.json["rows_valid"] == 2 and response.json["problems"] == []


def test_raw_body_and_english_headers_and_excel_numbers(client, hk):
    shop = make_shop(hk)
    header = ["Mobile phone", "Name", "Birthday", "Card number"]
    # Excel stores phones and card numbers as numbers, dates as dates.
    from datetime import datetime
    data = xlsx_bytes(header, [[13912345678, "李四", datetime(1988, 2, 29), 88001234]])
    response = post_file(client, shop, "members", data, multipart=False)
    assert response.status_code == 201, response.json
    member = client.get("/api/v1/members?phone=13912345678", headers=shop.headers()).json["items"][0]
    assert member["name"] == "李四" and member["birthday"] == "1988-02-29"


@functools.cache
def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<x/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (300 * 1024 * 1024))
    return out.getvalue()


def _wide_row() -> bytes:
    return ("手机号," + "," * 1_000_000 + "x\r\n").encode()


HOSTILE = {
    "empty": b"",
    "blank": b" \r\n\r\n ",
    "binary junk": bytes(range(256)) * 64,
    "nul bytes": b"\x00\x01\x02PK" * 1000,
    "old xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
    "not a zip": b"PK\x03\x04" + b"garbage" * 100,
    "zip of junk": None,  # built below: a zip that is no workbook
    "wrong header": "姓名,电话\n张三,13800138000\n".encode(),
    "json": b'{"phone": "13800138000"}',
    "a million columns": None,
    "zip bomb": None,
    "bad quotes": '手机号,姓名\n"13800138000,"张\x00三\n'.encode(),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_are_4xx_and_change_nothing(client, hk, name):
    shop = make_shop(hk)
    data = HOSTILE[name]
    if name == "zip of junk":
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("hello.txt", "hi")
        data = out.getvalue()
    elif name == "a million columns":
        data = _wide_row()
    elif name == "zip bomb":
        data = _zip_bomb()
    before = counts(hk, shop.id)
    for dry_run in (True, False):
        response = post_file(client, shop, "members", data, dry_run=dry_run)
        assert 400 <= response.status_code < 500, (name, response.status_code, response.data[:200])
        assert response.json["error"]["code"] and response.json["error"]["message"]
    assert counts(hk, shop.id) == before


def test_header_only_file_imports_nothing(client, hk):
    shop = make_shop(hk)
    response = post_file(client, shop, "members", "手机号*,姓名*\n".encode(), dry_run=True)
    assert response.status_code == 200 and response.json["rows_read"] == 0
    response = post_file(client, shop, "members", "手机号*,姓名*\n".encode())
    assert response.status_code == 422 and response.json["error"]["code"] == "import_nothing"


def test_too_large_is_413_json(app, client, hk):
    shop = make_shop(hk)
    app.config["HUIKA_MAX_IMPORT_BYTES"] = 10_000
    data = csv_bytes(MEMBER_HEADER, members_file(400))
    for multipart in (True, False):
        response = post_file(client, shop, "members", data, dry_run=True, multipart=multipart)
        assert response.status_code == 413, response.status_code
        assert response.json["error"]["code"] == "payload_too_large"
    # Bigger than the API's usual 1 MB body is fine for an import.
    app.config["HUIKA_MAX_IMPORT_BYTES"] = 32 * 1024 * 1024
    big = csv_bytes(MEMBER_HEADER, members_file(20_000))
    assert len(big) > app.config["MAX_CONTENT_LENGTH"]
    response = post_file(client, shop, "members", big, dry_run=True)
    assert response.status_code == 200 and response.json["rows_valid"] == 20_000


def test_unknown_kind_and_bad_flags(client, hk):
    shop = make_shop(hk)
    assert post_file(client, shop, "nothing", b"a,b\n").status_code == 404
    assert client.get("/api/v1/imports/templates/members.pdf", headers=shop.headers()).status_code == 404
    assert client.get("/api/v1/imports/templates/nothing.csv", headers=shop.headers()).status_code == 404
    response = client.post("/api/v1/imports/members?dry_run=maybe", data=b"x", headers=shop.headers())
    assert response.status_code == 422


def test_a_plugin_kind_needs_its_plugin(client, hk):
    from tests.support.factories import basic_document

    shop = make_shop(hk, doc=basic_document())
    assert post_file(client, shop, "stored_value", b"x", dry_run=True).status_code == 404


@pytest.mark.parametrize("content_type, body", [
    ("multipart/form-data; boundary=xyz", b"--xyz\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc"),
    ("multipart/form-data", b"no boundary at all"),
    ("multipart/form-data; boundary=xyz", b"\x00\xff" * 500),
    ("application/json", b'{"not": "a file"}'),
    ("application/json", b"{broken"),
])
def test_malformed_uploads_are_4xx(client, hk, content_type, body):
    shop = make_shop(hk)
    response = client.post("/api/v1/imports/members?dry_run=true", data=body,
                           headers={**shop.headers(), "Content-Type": content_type})
    assert 400 <= response.status_code < 500, (response.status_code, response.data[:200])
    assert response.json["error"]["code"]
