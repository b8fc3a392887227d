"""Item 8: the receipt states the rate paid beside the amount, as a merchant writes it (8.8折).

Real checkouts on SQLite and PostgreSQL; the rate comes from integer fen (due / list),
per-mille rounded half up to one decimal of 折.
"""
from __future__ import annotations

import pytest

from core.pricing import paid_share_permille
from tests.plugins.points.conftest import Shop
from tests.support.factories import basic_document, make_merchant


@pytest.mark.parametrize("paid, listed, permille", [
    (8800, 10000, 880), (9000, 10000, 900), (8500, 10000, 850), (7040, 10000, 700),
    (8850, 10000, 890),  # 8.85折: half up to 8.9折
    (8849, 10000, 880), (9990, 10000, 990),  # any real discount shows: 9.9折, never 10折
    (1, 10000, 10), (0, 10000, 0), (10000, 10000, None), (0, 0, None), (12000, 10000, None),
])
def test_paid_share_is_rounded_half_up_to_one_decimal_of_zhe(paid, listed, permille):
    assert paid_share_permille(paid, listed) == permille


def shop_with_tier(client, hk, discount_permille: int) -> Shop:
    tiers = [{"key": "vip", "name": {"zh-CN": "贵宾卡", "en": "VIP"}, "rank": 0,
              "discount_permille": discount_permille}]
    return Shop(client, hk, make_merchant(hk, f"折扣店{discount_permille}", basic_document(tiers=tiers)))


@pytest.mark.parametrize("discount_permille, zhe", [(880, "8.8折"), (900, "9折"), (850, "8.5折")])
def test_checkout_answer_and_receipt_show_the_rate(client, hk, discount_permille, zhe):
    shop = shop_with_tier(client, hk, discount_permille)
    card = shop.card(tier="vip")
    lines = [{"sku": "TEA", "unit_price_fen": 10000},
             {"sku": "CUP", "unit_price_fen": 5000, "special_price": True}]
    answer = shop.checkout(card, lines)
    assert answer.status_code == 201, answer.json
    receipt = answer.json
    due = 10000 * discount_permille // 1000 + 5000
    assert receipt["due_fen"] == due
    assert receipt["discount_permille"] == paid_share_permille(due, 15000)
    first, special = receipt["lines"]
    assert (first["discount_permille"], first["discount_zhe"]) == (discount_permille, zhe)
    assert (special["discount_permille"], special["discount_zhe"]) == (None, None)
    again = client.get(f"/api/v1/checkouts/{receipt['checkout_id']}", headers=shop.headers())
    assert again.status_code == 200
    assert again.json["lines"][0]["discount_zhe"] == zhe
    assert again.json["discount_permille"] == receipt["discount_permille"]


def test_stacked_promotion_and_walk_in(client, hk):
    shop = shop_with_tier(client, hk, 880)
    card = shop.card(tier="vip")
    # 8折 promotion then 8.8折 tier (C2): 70.4 % of list, written 7折.
    quote = client.post("/api/v1/checkout/quote", headers=shop.headers(), json={
        "card_number": card, "lines": [{"sku": "A", "unit_price_fen": 10000, "promotion_permille": 800}]})
    assert quote.status_code == 200
    assert quote.json["due_fen"] == 7040
    assert (quote.json["discount_permille"], quote.json["discount_zhe"]) == (700, "7折")
    walk_in = shop.checkout(None, [{"sku": "A", "unit_price_fen": 10000}])
    assert walk_in.status_code == 201
    assert walk_in.json["discount_permille"] is None and walk_in.json["discount_zhe"] is None
    assert walk_in.json["lines"][0]["discount_permille"] is None
