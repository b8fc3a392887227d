"""Earning points at checkout: P1 (rate per full unit, per tier), P2, P3, P7 lot expiry dates."""
from __future__ import annotations

import pytest

from .conftest import make_shop


@pytest.mark.parametrize("yuan, points", [(500, 50), (550, 55), (559, 55), (9, 0)])
def test_p1_one_point_per_full_10_yuan_remainder_dropped(shop, yuan, points):
    card = shop.card()
    receipt = shop.buy(card, yuan)
    assert receipt["due_fen"] == yuan * 100
    earned = [e for e in receipt["earned"] if e["plugin"] == "points"]
    assert [e["amount"] for e in earned] == ([points] if points else [])
    if points:
        assert earned[0]["asset"] == "points" and earned[0]["basis_fen"] == yuan * 100
        assert earned[0]["earn_unit_fen"] == 1000 and earned[0]["points_per_unit"] == 1
    assert shop.points(card) == points
    assert receipt["balances"].get("points", 0) == points
    assert shop.merchant_points("issued") == -points
    shop.verify()


def test_p1_the_quote_announces_the_points(shop):
    card = shop.card()
    quote = shop.client.post("/api/v1/checkout/quote", json={
        "card_number": card, "lines": [{"sku": "A", "unit_price_fen": 55900}]},
        headers=shop.headers("cashier"))
    assert quote.status_code == 200
    assert [(e["plugin"], e["amount"]) for e in quote.json["earn"]] == [("points", 55)]
    assert shop.points(card) == 0  # a quote posts nothing
    shop.verify()


def test_p1_rate_and_unit_are_merchant_settings(client, hk):
    shop = make_shop(client, hk, earn_unit_fen=500, points_per_unit=3)  # 3 points per full 5 yuan
    card = shop.card()
    shop.buy(card, 559)  # 111 full units of 5 yuan
    assert shop.points(card) == 333
    shop.verify()


def test_p1_per_tier_rates_apply_to_the_discounted_amount_paid(client, hk):
    shop = make_shop(client, hk, tier_rates=[
        {"tier_key": "gold", "earn_unit_fen": 1000, "points_per_unit": 2}])
    gold, regular = shop.card(tier="gold"), shop.card(tier="regular")
    gold_receipt = shop.buy(gold, 1000)  # 8.8折: pays 880 yuan, 88 units x 2
    assert gold_receipt["due_fen"] == 88000
    assert shop.points(gold) == 176
    assert gold_receipt["earned"][0]["points_per_unit"] == 2
    shop.buy(regular, 1000)  # no tier row: the default rate
    assert shop.points(regular) == 100
    shop.verify()


def test_p1_tier_rates_must_name_the_merchants_tiers_once(shop):
    from .conftest import points_document

    response = shop.client.put("/api/v1/config/draft", json=points_document(tier_rates=[
        {"tier_key": "gold", "earn_unit_fen": 1000, "points_per_unit": 2},
        {"tier_key": "platinum", "earn_unit_fen": 1000, "points_per_unit": 3},
        {"tier_key": "gold", "earn_unit_fen": 500, "points_per_unit": 1}]), headers=shop.headers())
    assert response.status_code == 200
    published = shop.client.post("/api/v1/config/publish", headers=shop.headers())
    assert published.status_code == 422
    pointers = [d["pointer"] for d in published.json["error"]["details"]]
    assert pointers == ["/plugins/0/settings/tier_rates/1/tier_key",
                        "/plugins/0/settings/tier_rates/2/tier_key"]


def test_p2_special_price_lines_earn_although_not_discounted(shop):
    card = shop.card(tier="gold")
    receipt = shop.checkout(card, [
        {"sku": "SALE", "unit_price_fen": 10000, "special_price": True},  # pays 100 yuan
        {"sku": "TEA", "unit_price_fen": 10000},  # 8.8折: pays 88 yuan
    ]).json
    assert [line["paid_fen"] for line in receipt["lines"]] == [10000, 8800]
    assert receipt["earned"][0]["amount"] == 18  # 188 yuan; 8 if special price did not earn
    assert shop.points(card) == 18
    shop.verify()


def test_p3_purchase_cards_earn_nothing(shop):
    card = shop.card(kind="purchase")
    receipt = shop.buy(card, 500)
    assert receipt["earned"] == []
    assert shop.points(card) == 0
    quote = shop.client.post("/api/v1/checkout/quote", json={
        "card_number": card, "lines": [{"sku": "A", "unit_price_fen": 50000}]}, headers=shop.headers())
    assert quote.json["earn"] == []
    shop.verify()


def test_walk_in_sales_earn_nothing(shop):
    receipt = shop.checkout(None, [{"sku": "A", "unit_price_fen": 50000}]).json
    assert receipt["earned"] == [] and receipt["card_number"] is None
    assert shop.merchant_points("issued") == 0
    shop.verify()


def test_points_are_only_earned_where_the_plugin_is_enabled(client, hk):
    from tests.support.factories import basic_document, make_merchant

    from .conftest import TIERS, Shop

    plain = Shop(client, hk, make_merchant(hk, "不积分的店", basic_document(tiers=TIERS)))
    card = plain.card()
    assert plain.buy(card, 500)["earned"] == []
    assert plain.points(card) == 0


@pytest.mark.parametrize("settings, earned_at, expires_on", [
    ({}, "2026-03-01 12:00", "2027-12-31"),  # P7 default: end of the following year
    ({"expiry_mode": "end_of_year"}, "2026-03-01 12:00", "2026-12-31"),
    ({"expiry_mode": "days_after_earning", "expiry_days": 30, "expiry_notice_days": 7},
     "2026-03-01 12:00", "2026-03-31"),
    ({"expiry_mode": "never"}, "2026-03-01 12:00", None),
    # 00:30 on 1 January in Beijing is still 31 December in UTC: the merchant's year counts.
    ({"expiry_mode": "end_of_year"}, "2027-01-01 00:30", "2027-12-31"),
    ({}, "2026-12-31 23:59", "2027-12-31"),
])
def test_p7_each_lot_gets_its_expiry_in_the_merchants_local_date(client, hk, clock, settings,
                                                                 earned_at, expires_on):
    shop = make_shop(client, hk, **settings)
    card = shop.card()
    clock.at(earned_at)
    receipt = shop.buy(card, 100)
    assert receipt["earned"][0]["expires_on"] == expires_on
    assert shop.lots(card) == [(10, expires_on)]
    shop.verify()
