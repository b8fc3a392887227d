"""The member strip's birthday fact and the birthday_benefits report (totals checked against
the checkouts' receipts)."""
from __future__ import annotations

from sqlalchemy import select

from core.models import Checkout

from .conftest import birthday_adjustment, line


def test_the_member_fact_says_when_what_and_whether_used(shop, clock):
    member = shop.member(birthday="1990-03-28")
    card = shop.card(member_id=member)
    fact = shop.member_fact(member)
    assert fact["label"]["zh-CN"] == "生日"
    assert fact["text"] == "3月28日 — 本月享 9 折，未使用"
    shop.bought([line(10000)], card)
    assert shop.member_fact(member)["text"] == "3月28日 — 本月享 9 折，已使用"
    clock.at("2026-04-02 10:00")
    assert shop.member_fact(member)["text"] == "3月28日"


def test_a_lunar_birthday_shows_its_lunar_date_and_this_years_solar_day(shop, clock):
    clock.at("2025-01-10 10:00")
    member = shop.member(birthday="1970-12-30", calendar="lunar")
    shop.card(member_id=member)
    assert shop.member_fact(member)["text"] == "12月30日（农历） — 本月享 9 折，未使用"
    clock.at("2025-02-10 10:00")
    assert shop.member_fact(member)["text"].startswith("12月30日（农历） · 公历 ")
    leap = shop.member(birthday="1980-02-01", calendar="lunar", leap=True)
    assert shop.member_fact(leap)["text"].startswith("闰2月1日（农历）")


def test_the_report_lists_each_use_and_its_total_matches_the_checkouts(shop):
    first = shop.card(birthday="1990-03-10")
    second = shop.card(birthday="1990-03-25", tier="gold")
    a = shop.bought([line(10000), line(2345, "B")], first)
    b = shop.bought([line(7777)], second)
    shop.bought([line(5000)], first)  # used already: not in the report
    shop.return_lines(b["checkout_id"], [{"line_no": 1, "quantity": 1}])
    response = shop.client.get("/api/v1/reports/birthday_benefits?format=json&from=2026-03-01&to=2026-03-31",
                               headers=shop.headers("owner"))
    assert response.status_code == 200, response.json
    rows = response.json["rows"]
    assert [row["checkout_id"] for row in rows] == [a["checkout_id"], b["checkout_id"]]
    assert [row["status"] for row in rows] == ["已使用", "已退回"]
    with shop.hk.db.read() as session:
        receipts = session.scalars(select(Checkout.receipt).where(Checkout.merchant_id == shop.id))
        from_checkouts = sum(adjustment["discount_fen"] for receipt in receipts
                             for adjustment in receipt.get("adjustments", [])
                             if adjustment["kind"] == "birthday")
    assert response.json["totals"]["discount_fen"] == from_checkouts
    assert from_checkouts == birthday_adjustment(a["receipt"])["discount_fen"] + \
        birthday_adjustment(b["receipt"])["discount_fen"]
    assert response.json["totals"]["net_discount_fen"] == birthday_adjustment(a["receipt"])["discount_fen"]
    excel = shop.client.get("/api/v1/reports/birthday_benefits?format=xlsx&from=2026-03-01&to=2026-03-31",
                            headers=shop.headers("owner"))
    assert excel.status_code == 200
