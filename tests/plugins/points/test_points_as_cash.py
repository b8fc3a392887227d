"""P4 points as cash (积分抵现) at the merchant's rate; lots spent soonest expiry first (P7)."""
from __future__ import annotations

import pytest

from core import ledger

from .conftest import make_shop, points_document


def pay_with_points(shop, card, yuan, points, cash_fen=None):
    """Buy ``yuan`` worth, paying ``points`` points and the rest in cash."""
    step = 10  # the default: 10 points = 1 yuan
    cash = yuan * 100 - points // step * 100 if cash_fen is None else cash_fen
    payments = [{"method": "points", "points": points}]
    if cash:
        payments.append({"method": "cash", "amount_fen": cash})
    return shop.checkout(card, [{"sku": "GOODS", "unit_price_fen": yuan * 100}], payments)


def test_p4_points_pay_at_10_points_per_yuan(shop):
    card = shop.card()
    shop.buy(card, 1000)  # 100 points
    response = pay_with_points(shop, card, 100, 50)  # 50 points = 5 yuan, 95 yuan cash
    assert response.status_code == 201, response.json
    receipt = response.json
    assert [(p["method"], p["amount_fen"]) for p in receipt["payments"]] == [("points", 500), ("cash", 9500)]
    assert receipt["payments"][0]["points"] == 50
    # Earning is on the lines' paid amount (100 yuan), whatever the tender (P1).
    assert receipt["earned"][0]["amount"] == 10
    assert shop.points(card) == 100 - 50 + 10
    assert shop.merchant_points("redeemed") == 50
    with shop.hk.db.read() as session:
        assert ledger.merchant_account(session, shop.id, "points_as_cash", "cny").balance == 500
        assert ledger.merchant_account(session, shop.id, "sales", "cny").balance == -(100000 + 10000)
    shop.verify()


def test_p4_the_rate_is_a_merchant_setting(client, hk):
    shop = make_shop(client, hk, cash_points=100, cash_value_fen=500)  # 100 points = 5 yuan
    card = shop.card()
    shop.buy(card, 3000)  # 300 points
    response = shop.checkout(card, [{"sku": "A", "unit_price_fen": 1500}],
                             [{"method": "points", "points": 300}])
    assert response.status_code == 201, response.json
    assert response.json["payments"] == [{"method": "points", "amount_fen": 1500, "points": 300}]
    assert shop.points(card) == 0 + 1  # spent 300, earned 1 on 15 yuan
    shop.verify()


@pytest.mark.parametrize("payment, pointer", [
    ({"method": "points", "points": 15}, "/payments"),  # not a multiple of 10
    ({"method": "points", "points": 0}, "/payments"),
    ({"method": "points", "points": -10}, "/payments"),
    ({"method": "points", "points": "10"}, "/payments"),
    ({"method": "points", "points": 10.0}, "/payments"),
    ({"method": "points"}, "/payments"),
    ({"method": "points", "points": 10, "amount_fen": 200}, "/payments"),  # 10 points pay 100
    ({"method": "points", "points": 10, "pin": "1"}, "/payments"),
])
def test_p4_bad_points_payments_are_refused_and_change_nothing(shop, payment, pointer):
    card = shop.card()
    shop.buy(card, 100)
    response = shop.checkout(card, [{"sku": "A", "unit_price_fen": 1000}],
                             [payment, {"method": "cash", "amount_fen": 900}])
    assert response.status_code == 422, response.json
    # Either the points plugin names the payment, or the documented schema its very field.
    assert any(d["pointer"].startswith(pointer) for d in response.json["error"]["details"])
    assert shop.points(card) == 10 and shop.merchant_points("redeemed") == 0
    shop.verify()


def test_p4_too_few_points_is_a_409_and_nothing_is_charged(shop):
    card = shop.card()
    shop.buy(card, 100)  # 10 points
    response = pay_with_points(shop, card, 100, 20)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "insufficient_balance"
    assert shop.points(card) == 10
    with shop.hk.db.read() as session:
        assert ledger.merchant_account(session, shop.id, "cash_drawer", "cny").balance == 10000
    shop.verify()


def test_p4_points_as_cash_needs_a_card_and_the_setting(client, hk):
    shop = make_shop(client, hk)
    walk_in = shop.checkout(None, [{"sku": "A", "unit_price_fen": 100}],
                            [{"method": "points", "points": 10}])
    assert walk_in.status_code == 422
    assert walk_in.json["error"]["details"][0]["pointer"] == "/card_number"

    off = make_shop(client, hk, "不抵现的店", cash_enabled=False)
    card = off.card()
    off.buy(card, 100)
    response = off.checkout(card, [{"sku": "A", "unit_price_fen": 100}],
                            [{"method": "points", "points": 10}])
    assert response.status_code == 422 and response.json["error"]["code"] == "points_cash_disabled"
    assert off.points(card) == 10
    off.verify()


def test_p4_points_payment_is_unknown_where_points_are_not_enabled(client, hk):
    from tests.support.factories import basic_document, make_merchant

    from .conftest import TIERS, Shop

    plain = Shop(client, hk, make_merchant(hk, "无积分", basic_document(tiers=TIERS)))
    card = plain.card()
    response = plain.checkout(card, [{"sku": "A", "unit_price_fen": 100}],
                              [{"method": "points", "points": 10}])
    assert response.status_code == 422
    assert response.json["error"]["details"][0]["pointer"] == "/payments/0/method"


def test_p7_lots_are_spent_soonest_expiry_first(shop, clock):
    card = shop.card()
    clock.at("2026-03-01 10:00")
    shop.buy(card, 500)  # 50 points, expire 2027-12-31
    clock.at("2027-02-01 10:00")
    shop.buy(card, 300)  # 30 points, expire 2028-12-31
    assert shop.lots(card) == [(50, "2027-12-31"), (30, "2028-12-31")]
    response = pay_with_points(shop, card, 10, 60, cash_fen=400)  # 60 points = 6 yuan
    assert response.status_code == 201, response.json
    assert shop.lots(card) == [(20, "2028-12-31"), (1, "2028-12-31")]  # + 1 point earned on 10 yuan
    shop.verify()


def test_p7_soonest_expiry_first_even_when_earned_later(client, hk, clock):
    settings = {"expiry_mode": "days_after_earning", "expiry_days": 365, "expiry_notice_days": 7}
    shop = make_shop(client, hk, **settings)
    card = shop.card()
    clock.at("2026-03-01 10:00")
    shop.buy(card, 500)  # 50 points until 2027-03-01
    shop.publish(points_document(**{**settings, "expiry_days": 30}))
    clock.at("2026-03-02 10:00")
    shop.buy(card, 300)  # 30 points until 2026-04-01: earned later, expire sooner
    assert shop.lots(card) == [(30, "2026-04-01"), (50, "2027-03-01")]
    assert shop.adjust(card, -40, "兑换纸质礼券").status_code == 201
    assert shop.lots(card) == [(40, "2027-03-01")]
    shop.verify()


def test_p7_expired_points_cannot_pay(shop, clock):
    card = shop.card()
    clock.at("2026-03-01 10:00")
    shop.buy(card, 500)  # 50 points until 2027-12-31
    clock.at("2028-01-01 00:01")  # expiry job not run yet: the points are still on the balance
    assert shop.points(card) == 50
    response = pay_with_points(shop, card, 10, 10, cash_fen=900)
    assert response.status_code == 409 and response.json["error"]["code"] == "insufficient_balance"
    shop.verify()
