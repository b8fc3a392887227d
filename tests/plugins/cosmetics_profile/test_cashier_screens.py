"""The plugin's cashier screens through the web UI (Flask test client, both databases): skin
profile (K1, pre-filled, history kept), follow-up (K3), today's follow-up list from the
navigation (K2, K3), each submitted once successfully and once with bad input."""
from __future__ import annotations

import re
import uuid

from tests.support.factories import basic_document, make_merchant

from .conftest import make_shop


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)


def key_of(page: str) -> str:
    return re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', page).group(1)


def sign_in(client, name: str, role: str = "cashier") -> None:
    client.get("/lang/en")
    response = client.post("/login", data={"merchant": name, "username": role, "password": "password-123",
                                           "csrf_token": csrf_of(client.get("/login").get_data(as_text=True))})
    assert response.status_code == 302


def test_cashier_screens_of_the_cosmetics_template(client, hk, clock):
    shop = make_shop(client, hk)
    member_id, _card = shop.member_with_card("吴小姐", extra={"skin_type": "dry"})
    sign_in(client, shop.merchant.name)
    member_page = client.get(f"/cashier/members/{member_id}").get_data(as_text=True)
    assert f"/cashier/members/{member_id}/screens/skin_profile" in member_page
    assert f"/cashier/members/{member_id}/screens/follow_up" in member_page
    assert "/cashier/screens/follow_ups_today" in member_page  # in the navigation, not per member
    assert f"/cashier/members/{member_id}/screens/follow_ups_today" not in member_page

    # K1: the form opens with the current profile and keeps a history of the change.
    url = f"/cashier/members/{member_id}/screens/skin_profile"
    form = client.get(url).get_data(as_text=True)
    assert re.search(r'value="dry"[^>]*checked', form), "the current skin type is pre-selected"
    data = {"csrf_token": csrf_of(form), "idempotency_key": key_of(form), "skin_type": "oily",
            "has_allergies": "true", "allergies": ""}
    refused = client.post(url, data=data)
    assert refused.status_code == 422
    assert "say what the member is allergic to" in refused.get_data(as_text=True)
    done = client.post(url, data={**data, "allergies": "酒精", "change_note": "复查"})
    assert done.status_code == 201, done.get_data(as_text=True)
    history = shop.get(f"/members/{member_id}/skin-profile").json["history"]
    assert {(h["field"], h["to"]) for h in history if h["note"] == "复查"} == {
        ("skin_type", "oily"), ("allergies", "酒精")}

    # K3: log a follow-up (a note is required), then plan one due today.
    url = f"/cashier/members/{member_id}/screens/follow_up"
    form = client.get(url).get_data(as_text=True)
    data = {"csrf_token": csrf_of(form), "idempotency_key": key_of(form), "mode": "log",
            "channel": "phone", "note": ""}
    refused = client.post(url, data=data)
    assert refused.status_code == 422 and "say what was said or done" in refused.get_data(as_text=True)
    assert client.post(url, data={**data, "note": "电话回访"}).status_code == 201
    form = client.get(url).get_data(as_text=True)
    planned = client.post(url, data={"csrf_token": csrf_of(form), "idempotency_key": key_of(form),
                                     "mode": "plan", "channel": "in_store", "due_on": "2026-03-01",
                                     "reason": "到店试妆"})
    assert planned.status_code == 201
    kinds = [(f["status"], f["channel"]) for f in shop.get(f"/members/{member_id}/follow-ups").json["items"]]
    assert sorted(kinds) == [("done", "phone"), ("planned", "in_store")]

    # K2, K3: today's list, opened from the navigation, links to the member.
    url = "/cashier/screens/follow_ups_today"
    form = client.get(url).get_data(as_text=True)
    refused = client.post(url, data={"csrf_token": csrf_of(form), "idempotency_key": key_of(form),
                                     "member_class": "z"})
    assert refused.status_code == 422
    listed = client.post(url, data={"csrf_token": csrf_of(form), "idempotency_key": key_of(form)})
    page = listed.get_data(as_text=True)
    assert listed.status_code == 201 and "到店试妆" in page
    assert f'href="/cashier/members/{member_id}"' in page and "吴小姐" in page


def test_no_cosmetics_screens_without_the_plugin(client, hk):
    plain = make_merchant(hk, f"普通店-{uuid.uuid4().hex[:6]}", basic_document())
    sign_in(client, plain.name)
    assert "follow_ups_today" not in client.get("/cashier/").get_data(as_text=True)
    assert client.get("/cashier/screens/follow_ups_today").status_code == 404
