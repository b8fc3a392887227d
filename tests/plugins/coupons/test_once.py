"""A coupon is used once: retries with the same Idempotency-Key, a second checkout, and two
tills racing for one code all leave exactly one redemption and charge nothing twice."""
from __future__ import annotations

from sqlalchemy import func, select

from core.models import Checkout
from tests.support.concurrency import concurrently

from .conftest import key, line


def _checkouts(shop) -> int:
    with shop.hk.db.read() as session:
        return session.scalar(select(func.count()).select_from(Checkout).where(Checkout.merchant_id == shop.id))


def test_a_retry_returns_the_first_receipt_and_a_second_use_is_refused(shop):
    card = shop.card()
    code = shop.coupon(shop.template(value_fen=1000), card)
    headers = shop.headers("cashier", idempotent=True)
    body = {"lines": [line(5000)], "card_number": card, "coupons": [code],
            "payments": [{"method": "cash", "amount_fen": 4000}]}
    first = shop.client.post("/api/v1/checkout", json=body, headers=headers)
    retry = shop.client.post("/api/v1/checkout", json=body, headers=headers)
    assert first.status_code == 201 and retry.status_code == 201, retry.json
    assert retry.json["checkout_id"] == first.json["checkout_id"]
    again = shop.client.post("/api/v1/checkout", headers=shop.headers("cashier", idempotent=True), json={
        "lines": [line(5000)], "card_number": card, "coupons": [code],
        "payments": [{"method": "cash", "amount_fen": 4000}]})
    assert again.status_code == 409 and again.json["error"]["code"] == "coupon_redeemed"
    assert _checkouts(shop) == 1
    assert shop.redemptions(code) == [(first.json["checkout_id"], 1000, False)]
    assert shop.card_coupons(card) == []
    shop.verify()


def test_two_tills_racing_for_one_bearer_coupon_use_it_once(app, shop):
    code = shop.coupon(shop.template(name="纸质券", value_fen=1000))  # bearer: any customer
    body = {"lines": [line(5000)], "coupons": [code], "payments": [{"method": "cash", "amount_fen": 4000}]}
    responses = concurrently(app, [("POST", "/api/v1/checkout", body, {**shop.headers("cashier"), **key()})
                                   for _ in range(4)])
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 1, [r.json for r in responses]
    assert all(s in (201, 409, 503) for s in statuses), [r.json for r in responses]
    assert _checkouts(shop) == 1
    assert len(shop.redemptions(code)) == 1
    shop.verify()


def test_a_coupon_of_another_member_or_card_is_refused(shop):
    mine, theirs = shop.card(), shop.card()
    code = shop.coupon(shop.template(), theirs)
    for card in (mine, None):
        refused = shop.quote([line(5000)], card, [code])
        assert refused.status_code == 409 and refused.json["error"]["code"] == "coupon_not_on_card"
    assert shop.status(code) == "issued"


def test_coupons_sent_to_a_shop_without_the_plugin_are_refused(client, hk, clock):
    from .conftest import make_shop

    plain = make_shop(client, hk, "无券小店", plugins=[{"id": "points", "settings": {}}])
    response = plain.checkout([line(5000)], None, ["ABCDEFGHJK"])
    assert response.status_code == 422 and response.json["error"]["code"] == "coupons_not_enabled"
    assert plain.checkout([line(5000)], None, []).status_code == 201
