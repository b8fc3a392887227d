"""P6 projection, the points part (member_projection hook): the next mall gift and points by
year end at the member's pace, after real checkouts on SQLite and PostgreSQL."""
from __future__ import annotations

from .conftest import make_shop


def add_gift(shop, name, points_cost, stock=5, active=True):
    response = shop.client.post("/api/v1/points/mall/items", headers=shop.headers(), json={
        "name": name, "points_cost": points_cost, "stock": stock, "active": active})
    assert response.status_code == 201, response.json
    return response.json["id"]


def points_lines(shop, card):
    response = shop.client.get(f"/api/v1/cards/{card}/projection", headers=shop.headers("cashier"))
    assert response.status_code == 200, response.json
    return {line["kind"]: line for line in response.json["lines"] if line.get("plugin") == "points"}


def test_no_history_gives_the_next_gift_but_no_year_end_line(shop, clock):
    add_gift(shop, "保温杯", 300)
    card = shop.card()
    lines = points_lines(shop, card)
    assert set(lines) == {"gift"}
    assert lines["gift"]["item_name"] == "保温杯" and lines["gift"]["points_needed"] == 300
    assert lines["gift"]["spend_fen"] == 300000  # 1 point per full 10 yuan (P1)


def test_a_member_whose_pace_reaches_a_gift_by_year_end(shop, clock):
    cup = add_gift(shop, "保温杯", 300)
    cooker = add_gift(shop, "电饭煲", 1000)
    add_gift(shop, "电视", 5000)
    add_gift(shop, "雨伞", 200, stock=0)  # out of stock: never offered
    card = shop.card()
    clock.at("2026-09-04 10:00")
    shop.buy(card, 1400)
    clock.at("2026-09-20 10:00")
    shop.buy(card, 1400)
    clock.at("2026-10-01 12:00")
    lines = points_lines(shop, card)
    # 280 points; the cheapest gift out of reach: 20 points, 200 yuan in one purchase.
    assert lines["gift"] == {"kind": "gift", "plugin": "points", "item_id": cup, "item_name": "保温杯",
                             "points_cost": 300, "points": 280, "points_needed": 20, "spend_fen": 20000}
    # 280000 fen over 28 days (09-04 .. 10-01): 70000 a week; 91 days to go: 910000 fen,
    # 910 points; 280 + 910 = 1190 buys the cooker, not the television.
    assert lines["year_end"] == {"kind": "year_end", "plugin": "points", "until": "2026-12-31",
                                 "weekly_fen": 70000, "spend_fen": 910000, "points": 280,
                                 "points_at_year_end": 1190, "item_id": cooker, "item_name": "电饭煲",
                                 "points_cost": 1000}


def test_tier_rates_and_points_that_expire_before_year_end(client, hk, clock):
    shop = make_shop(client, hk, "快过期店", expiry_mode="days_after_earning", expiry_days=30, expiry_notice_days=7,
                     tier_rates=[{"tier_key": "gold", "earn_unit_fen": 500, "points_per_unit": 1}])
    add_gift(shop, "茶叶", 100)
    card = shop.card(tier="gold")
    clock.at("2026-11-01 10:00")
    shop.buy(card, 500)  # 8.8折: 440 yuan paid, 88 points at 1 per 5 yuan; they expire 12-01
    clock.at("2026-11-07 12:00")
    lines = points_lines(shop, card)
    assert lines["gift"]["points_needed"] == 12 and lines["gift"]["spend_fen"] == 6000
    # 44000 fen over 7 days; 54 days to go: 44000 * 54 // 7 = 339428 fen, 678 points at the
    # gold rate; the 88 points held now are gone by 31 December.
    assert lines["year_end"]["points"] == 88
    assert lines["year_end"]["spend_fen"] == 339428
    assert lines["year_end"]["points_at_year_end"] == 678
    assert lines["year_end"]["item_name"] == "茶叶"


def test_a_card_that_earns_nothing_gets_no_points_lines(shop, clock):
    add_gift(shop, "保温杯", 300)
    card = shop.card(kind="purchase")  # P3
    shop.buy(card, 100)
    assert points_lines(shop, card) == {}


def test_no_year_end_line_on_the_last_day(shop, clock):
    card = shop.card()
    clock.at("2026-12-31 09:00")
    shop.buy(card, 100)
    assert "year_end" not in points_lines(shop, card)
