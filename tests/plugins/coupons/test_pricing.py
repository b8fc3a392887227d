"""Each coupon kind at the till: after the stacked discount (C2), never below 0, on the
lines it may lower, shown on the receipt lines; the ledger sees a lower due amount."""
from __future__ import annotations

from .conftest import line


def test_cash_coupon_comes_off_after_the_tier_discount(shop):
    card = shop.card(tier="gold")
    code = shop.coupon(shop.template(name="10元代金券", value_fen=1000), card)
    receipt = shop.bought([line(10000, "A"), line(5000, "B")], card, [code.lower()])
    # 8.8折 first: 8800 + 4400 = 13200; then 1000 off, spread 2:1 over the lines
    assert receipt["due_fen"] == 12200
    assert [ln["paid_fen"] for ln in receipt["lines"]] == [8133, 4067]
    assert receipt["lines"][0]["adjustments"] == [{"kind": "coupon", "code": code, "fen": 667}]
    assert receipt["adjustments"][0]["discount_fen"] == 1000
    assert receipt["discount_fen"] == 15000 - 12200
    assert receipt["payments"][0]["amount_fen"] == 12200
    assert shop.status(code) == "redeemed"
    shop.verify()


def test_cash_coupon_never_takes_a_basket_below_zero(shop):
    card = shop.card()
    code = shop.coupon(shop.template(value_fen=5000), card)
    receipt = shop.bought([line(1200)], card, [code])
    assert receipt["due_fen"] == 0
    assert receipt["adjustments"][0]["discount_fen"] == 1200
    shop.verify()


def test_discount_coupon_takes_a_share_rounded_once_and_capped(shop):
    card = shop.card()
    rate = shop.template(name="8.5折券", kind="discount", discount_permille=850, value_fen=None)
    assert rate["terms"] == "8.5折"
    code = shop.coupon(rate, card)
    quote = shop.quote([line(3333), line(3333, "B")], card, [code]).json
    assert quote["due_fen"] == 6666 - 1000  # 6666 x 15% = 999.9 -> 1000 off, once for the basket
    capped = shop.template(name="7折封顶20", kind="discount", discount_permille=700,
                           max_discount_fen=2000, value_fen=None)
    assert shop.quote([line(10000)], card, [shop.coupon(capped, card)]).json["due_fen"] == 8000


def test_threshold_coupon_needs_the_spend_on_eligible_lines(shop):
    card = shop.card(tier="gold")
    deal = shop.template(name="满200减30", kind="threshold", min_spend_fen=20000, value_fen=3000)
    assert deal["terms"] == "满200减30"
    code = shop.coupon(deal, card)
    # 220 yuan list at 8.8折 = 193.60: the threshold counts what is paid, not the list price
    short = shop.quote([line(22000)], card, [code])
    assert short.status_code == 409 and short.json["error"]["code"] == "coupon_min_spend"
    assert "¥200.00" in short.json["error"]["message"] and "¥193.60" in short.json["error"]["message"]
    assert shop.quote([line(25000)], card, [code]).json["due_fen"] == 22000 - 3000


def test_special_price_lines_and_categories(shop):
    card = shop.card()
    plain = shop.coupon(shop.template(value_fen=1000), card)
    quote = shop.quote([line(5000, "SPECIAL", special_price=True), line(2000, "B")], card, [plain]).json
    assert [ln["paid_fen"] for ln in quote["lines"]] == [5000, 1000]
    only_special = shop.quote([line(5000, special_price=True)], card, [plain])
    assert only_special.status_code == 409 and only_special.json["error"]["code"] == "coupon_no_lines"
    anything = shop.coupon(shop.template(name="特价也可用", value_fen=1000, special_price_lines=True), card)
    assert shop.quote([line(5000, special_price=True)], card, [anything]).json["due_fen"] == 4000
    drinks = shop.coupon(shop.template(name="饮品券", value_fen=500, categories=["饮品"]), card)
    quote = shop.quote([line(3000, "TEA", category="饮品"), line(3000, "CAKE", category="甜点")],
                       card, [drinks]).json
    assert [ln["paid_fen"] for ln in quote["lines"]] == [2500, 3000]


def test_two_coupons_of_two_campaigns_stack_in_the_order_sent(shop):
    card = shop.card()
    cash = shop.coupon(shop.template(name="代金10", value_fen=1000), card)
    rate = shop.coupon(shop.template(name="9折", kind="discount", discount_permille=900,
                                     value_fen=None), card)
    quote = shop.quote([line(10000)], card, [cash, rate]).json
    assert quote["due_fen"] == 8100  # 100 - 10 = 90, then 9折 = 81
    again = shop.coupon(shop.template(name="代金10b", value_fen=1000), card)
    same = shop.coupon({"id": quote["adjustments"][0]["template_id"]}, card)
    refused = shop.quote([line(10000)], card, [cash, same])
    assert refused.status_code == 409 and refused.json["error"]["code"] == "coupon_same_campaign"
    assert shop.quote([line(10000)], card, [cash, again]).json["due_fen"] == 8000


def test_bad_coupon_inputs_are_clear_errors_that_change_nothing(shop):
    card = shop.card()
    code = shop.coupon(shop.template(), card)
    for coupons, status in [("ABC", 422), ([12], 422), (["!!"], 422), ([code, code], 422),
                            (["ZZZZZZZZZZ"], 422), ([code] * 11, 422)]:
        response = shop.checkout([line(5000)], card, coupons)
        assert response.status_code == status, (coupons, response.json)
    assert shop.status(code) == "issued"
    shop.verify()
