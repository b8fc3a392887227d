"""The editor's 提醒设置 page (issue 14, item 1): each reminder kind on or off, its settings
typed in days and yuan, saved in the draft's ``reminders`` section only when they differ from
the defaults, refused inline when out of range; published like the rest."""
from __future__ import annotations

from tests.support.factories import basic_document, make_merchant
from tests.web.test_editor import SHOP, draft, login, page_form, post, publish


def test_reminder_kinds_are_listed_and_saved_in_the_draft(client, hk):
    shop = make_merchant(hk, SHOP, basic_document(plugins=[{"id": "stored_value", "settings": {}}]))
    login(client, "owner")
    page = client.get("/editor/reminders").get_data(as_text=True)
    for title in ("生日提醒", "入会周年", "沉睡会员", "储值余额不足"):
        assert title in page
    assert "积分即将过期" not in page  # points is not enabled
    url = "/editor/reminders/low_balance"
    form = page_form(client, url)
    assert form["enabled"] == "y" and form["threshold_fen"] == "50"  # 5000 fen shown in yuan
    form["threshold_fen"] = "80.5"
    assert client.post(url, data=form).status_code == 302
    assert draft(hk, shop.id)["reminders"] == {"low_balance": {"threshold_fen": 8050}}

    url = "/editor/reminders/birthday"
    form = page_form(client, url)
    del form["enabled"]  # unticked
    form["days_before"] = "3"
    assert client.post(url, data=form).status_code == 302
    assert draft(hk, shop.id)["reminders"]["birthday"] == {"enabled": False, "days_before": 3}
    assert "未启用" in client.get("/editor/reminders").get_data(as_text=True) or \
        "not in use" in client.get("/editor/reminders").get_data(as_text=True)

    before = draft(hk, shop.id)
    form["days_before"] = "999"
    refused = client.post(url, data=form)
    assert refused.status_code == 422 and draft(hk, shop.id) == before
    form["days_before"] = "0"
    form["enabled"] = "y"
    assert client.post(url, data=form).status_code == 302  # back to the defaults: not stored
    assert "birthday" not in draft(hk, shop.id)["reminders"]
    assert publish(hk, shop.id) == 2


def test_an_unknown_kind_is_404(client, hk):
    make_merchant(hk, SHOP, basic_document())
    login(client, "owner")
    assert client.get("/editor/reminders/low_balance").status_code == 404  # stored_value not enabled
    assert post(client, "/editor/reminders/nope", {}, csrf_here=False).status_code == 404
