"""The birthday discount at the till: inside the window only, once per member per year, on
the quote and the receipt, never for a walk-in, stacked after the tier discount (C2) and
before coupons, never making a line negative."""
from __future__ import annotations

from .conftest import birthday_adjustment, line, make_shop


def test_the_birthday_month_takes_10_percent_once_a_year(shop):
    card = shop.card(birthday="1990-03-28")  # the clock says 2026-03-10: this is the birthday month
    quote = shop.quote([line(10000)], card)
    assert quote["due_fen"] == 9000 and quote["discount_fen"] == 1000
    adjustment = birthday_adjustment(quote)
    assert adjustment["name"] == "生日优惠" and adjustment["discount_fen"] == 1000
    assert adjustment["birthday_on"] == "2026-03-28" and adjustment["benefit_year"] == 2026
    assert quote["lines"][0]["adjustments"] == [{"kind": "birthday", "name": "生日优惠", "fen": 1000}]
    first = shop.bought([line(10000)], card)
    assert first["receipt"]["due_fen"] == 9000
    assert birthday_adjustment(first["receipt"])["discount_fen"] == 1000
    second = shop.bought([line(10000)], card)  # the same year: full price
    assert second["receipt"]["due_fen"] == 10000 and birthday_adjustment(second["receipt"]) is None
    assert [use[1:4] for use in shop.uses()] == [(2026, first["checkout_id"], 1000)]
    shop.verify()


def test_outside_the_window_and_walk_ins_get_nothing(shop):
    april = shop.card(birthday="1990-04-01")
    assert birthday_adjustment(shop.quote([line(10000)], april)) is None
    no_birthday = shop.card(birthday=None)
    assert shop.quote([line(10000)], no_birthday)["due_fen"] == 10000
    walk_in = shop.bought([line(10000)])
    assert walk_in["receipt"]["due_fen"] == 10000 and shop.uses() == []


def test_tier_then_birthday_then_coupon_stack_in_that_order(shop):
    card = shop.card(tier="gold", birthday="1990-03-10")
    template = shop.client.post("/api/v1/coupon-templates", headers=shop.headers("owner", True), json={
        "name": "满减券", "kind": "threshold", "value_fen": 2000, "min_spend_fen": 7000,
        "valid_days": 30}).json
    coupon = shop.client.post("/api/v1/coupons/issue", headers=shop.headers("cashier", True), json={
        "template_id": template["id"], "quantity": 1, "card_number": card}).json["coupons"][0]["code"]
    lines = [line(10000, "A"), line(3333, "B", special_price=True)]
    quote = shop.quote(lines, card, [coupon])
    # A: 10000 x 8.8折 = 8800 (C2), x 9折 = 7920 (birthday), then the coupon's 2000 comes off
    # what is left on the lines it may lower (A only: B is special price).
    first, special = quote["lines"]
    assert first["tier_permille"] == 880 and special["paid_fen"] == 3333
    assert [a["kind"] for a in first["adjustments"]] == ["birthday", "coupon"]
    assert first["adjustments"][0]["fen"] == 880 and first["adjustments"][1]["fen"] == 2000
    assert first["paid_fen"] == 10000 * 880 // 1000 - 880 - 2000 == 5920
    assert [a["kind"] for a in quote["adjustments"]] == ["birthday", "coupon"]
    receipt = shop.bought(lines, card, [coupon])["receipt"]
    assert receipt["due_fen"] == 5920 + 3333
    assert receipt["discount_fen"] == 13333 - (5920 + 3333)
    shop.verify()


def test_the_coupon_minimum_spend_sees_the_birthday_price(shop):
    card = shop.card(birthday="1990-03-10")
    template = shop.client.post("/api/v1/coupon-templates", headers=shop.headers("owner", True), json={
        "name": "满100减10", "kind": "threshold", "value_fen": 1000, "min_spend_fen": 10000,
        "valid_days": 30}).json
    coupon = shop.client.post("/api/v1/coupons/issue", headers=shop.headers("cashier", True), json={
        "template_id": template["id"], "quantity": 1, "card_number": card}).json["coupons"][0]["code"]
    response = shop.client.post("/api/v1/checkout/quote", headers=shop.headers("cashier"), json={
        "lines": [line(10000)], "card_number": card, "coupons": [coupon]})
    assert response.status_code == 409 and response.json["error"]["code"] == "coupon_min_spend"


def test_categories_cap_and_no_line_below_zero(client, hk, clock):
    shop = make_shop(client, hk, "蛋糕店", rules=[
        {"window": "day", "discount_permille": 1, "max_discount_fen": 1500, "categories": ["蛋糕"]}])
    card = shop.card(birthday="1990-03-10")
    lines = [line(1000, "CAKE1", category="蛋糕"), line(2001, "CAKE2", category="蛋糕"),
             line(5000, "TEA", category="茶")]
    quote = shop.quote(lines, card)
    cake1, cake2, tea = quote["lines"]
    assert tea["paid_fen"] == 5000  # not a birthday category
    assert (1000 - cake1["paid_fen"]) + (2001 - cake2["paid_fen"]) == 1500  # the cap
    assert all(item["paid_fen"] >= 0 for item in quote["lines"])
    free = make_shop(client, hk, "全免店", rules=[{"window": "day", "discount_permille": 1}])
    card = free.card(birthday="1990-03-10")
    quote = free.quote([line(1), line(3, "B"), line(7, "C")], card)
    assert all(item["paid_fen"] >= 0 for item in quote["lines"])
    assert quote["due_fen"] == 0  # 11 fen at 0.1折: 11 - round(0.011) = 11 off, nothing below 0
    receipt = free.bought([line(1), line(3, "B"), line(7, "C")], card)["receipt"]
    assert receipt["due_fen"] == quote["due_fen"]
    free.verify()


def test_rules_per_tier_first_match_wins(client, hk, clock):
    shop = make_shop(client, hk, "分级店", rules=[
        {"tiers": ["gold"], "window": "month", "discount_permille": 800},
        {"window": "day", "discount_permille": 950}])
    gold = shop.card(tier="gold", birthday="1990-03-20")
    regular_today = shop.card(birthday="1990-03-10")
    regular_later = shop.card(birthday="1990-03-20")
    assert birthday_adjustment(shop.quote([line(10000)], gold))["discount_permille"] == 800
    assert birthday_adjustment(shop.quote([line(10000)], regular_today))["discount_fen"] == 500
    assert birthday_adjustment(shop.quote([line(10000)], regular_later)) is None


def test_pricing_runs_after_c2_and_the_plugins_own_prices_and_before_coupons(plugin_registry):
    """pluggy's call order: tryfirst (C2), plain ones newest-registered first, trylast."""
    called = [impl.plugin_name for impl in
              reversed(plugin_registry.pm.hook.checkout_price_lines.get_hookimpls())]
    assert called[0] == "huika.builtin" and called[-1] == "coupons"
    assert called[-2] == "birthday_benefits"
    assert {"hotel_rooms", "training_courses"} <= set(called[1:-2])
