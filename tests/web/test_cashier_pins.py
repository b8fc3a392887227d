"""C6 on the cashier's pages: weak PINs refused at issue, a blocked PIN shown on the member
page, and managers (only) set a new PIN or unblock it there."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from core.models import Card
from tests.support.factories import make_merchant

from .test_cashier import Forms, api_member, document, sign_in

PIN, WRONG_PIN = "582039", "582093"


def shop_with_stored_value(hk, **settings):
    doc = document(plugins=["stored_value"])
    doc["plugins"][0]["settings"] = settings
    return make_merchant(hk, f"密码台-{uuid.uuid4().hex[:6]}", doc)


def test_c6_a_weak_pin_is_refused_on_the_issue_page(client, hk):
    shop = shop_with_stored_value(hk)
    csrf = sign_in(client, shop)
    member = client.post("/api/v1/members", json={"name": "韩梅梅", "phone": "13600000011",
                                                  "extra": {"vip_code": "H1"}}, headers=shop.headers())
    url = f"/cashier/members/{member.json['id']}/cards/new"
    data = {"csrf_token": csrf, "kind": "standard", "tier": ""}
    for weak in ("123456", "000000", "121212", "520520"):
        refused = client.post(url, data={**data, "pin": weak, "pin_again": weak})
        assert refused.status_code == 422
        assert "This PIN is too easy to guess" in refused.get_data(as_text=True)
    with hk.db.read() as session:
        assert session.scalar(select(Card).where(Card.member_id == member.json["id"])) is None
    assert client.post(url, data={**data, "pin": PIN, "pin_again": PIN}).status_code == 303


def blocked_card(client, hk, shop) -> tuple[int, str]:
    member_id, number = api_member(client, shop, pin=PIN)
    recharge = client.post(f"/api/v1/cards/{number}/recharge", json={
        "amount_fen": 100000, "payment": {"method": "cash"}},
        headers={**shop.headers(), "Idempotency-Key": uuid.uuid4().hex})
    assert recharge.status_code == 201
    wrong = client.post("/api/v1/checkout", json={
        "card_number": number, "lines": [{"sku": "A", "unit_price_fen": 100}],
        "payments": [{"method": "stored_value", "amount_fen": 95, "pin": WRONG_PIN}]},
        headers={**shop.headers("cashier"), "Idempotency-Key": uuid.uuid4().hex})
    assert wrong.json["error"]["code"] == "pin_not_accepted"
    return member_id, number


def test_c6_a_cashier_sees_the_block_but_cannot_lift_it(client, hk):
    shop = shop_with_stored_value(hk, pin_block_after_failures=1)
    member_id, number = blocked_card(client, hk, shop)
    csrf = sign_in(client, shop, "cashier")
    page = client.get(f"/cashier/members/{member_id}").get_data(as_text=True)
    assert "PIN blocked after too many wrong PINs" in page
    assert f"/cashier/cards/{number}/pin" not in page  # no reset form for a cashier
    refused = client.post(f"/cashier/cards/{number}/pin/unblock", data={"csrf_token": csrf})
    assert refused.status_code == 403
    refused = client.post(f"/cashier/cards/{number}/pin", data={"csrf_token": csrf, "pin": "135792",
                                                               "pin_again": "135792"})
    assert refused.status_code == 403
    with hk.db.read() as session:
        assert session.scalar(select(Card.pin_blocked_at).where(Card.number == number)) is not None


def test_c6_a_manager_sets_a_new_pin_or_unblocks_it_on_the_member_page(client, hk):
    shop = shop_with_stored_value(hk, pin_block_after_failures=1)
    member_id, number = blocked_card(client, hk, shop)
    csrf = sign_in(client, shop, "manager")
    page = client.get(f"/cashier/members/{member_id}").get_data(as_text=True)
    forms = Forms(page)
    assert f"/cashier/cards/{number}/pin" in forms.actions.values()
    assert f"/cashier/cards/{number}/pin/unblock" in forms.actions.values()

    weak = client.post(f"/cashier/cards/{number}/pin", data={"csrf_token": csrf, "pin": "111111",
                                                            "pin_again": "111111"})
    assert weak.status_code == 422 and "This PIN is too easy to guess" in weak.get_data(as_text=True)
    unblocked = client.post(f"/cashier/cards/{number}/pin/unblock", data={"csrf_token": csrf})
    assert unblocked.status_code == 303
    assert "is unblocked" in client.get(unblocked.headers["Location"]).get_data(as_text=True)
    with hk.db.read() as session:
        card = session.scalar(select(Card).where(Card.number == number))
        assert card.pin_blocked_at is None and card.pin_failures_total == 0

    reset = client.post(f"/cashier/cards/{number}/pin", data={"csrf_token": csrf, "pin": "135792",
                                                             "pin_again": "135792"})
    assert reset.status_code == 303
    paid = client.post("/api/v1/checkout", json={
        "card_number": number, "lines": [{"sku": "A", "unit_price_fen": 100}],
        "payments": [{"method": "stored_value", "amount_fen": 95, "pin": "135792"}]},
        headers={**shop.headers("cashier"), "Idempotency-Key": uuid.uuid4().hex})
    assert paid.status_code == 201, paid.json
