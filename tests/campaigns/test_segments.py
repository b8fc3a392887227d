"""Segments (issue 14 item 5): each filter against members built through the API, compiled to
one query, on SQLite and PostgreSQL; the RFM filter agrees with the member_rfm report."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.birthdays import BirthdaySpec, birthdays_between
from core.reports.member_rfm import SEGMENT_KEYS


def test_tier_store_and_field_filters(shop):
    gold = shop.member("金一", tier="gold", extra={"tags": ["vip", "wine"], "kids": 2, "smoker": False})
    regular = shop.member("普二", extra={"tags": ["new"], "favourite": "tea", "kids": 0, "note": "爱喝100%果汁"})
    bare = shop.member("无卡", card=False, extra={"wedding": "2020-05-20", "smoker": True})
    everyone = {gold["id"], regular["id"], bare["id"]}
    assert shop.ids({}) == everyone and shop.count({}) == 3
    assert shop.ids({"tiers": ["gold"]}) == {gold["id"]}
    assert shop.ids({"tiers": ["gold", "regular"]}) == {gold["id"], regular["id"]}
    assert shop.ids({"stores": [shop.merchant.store_ids[0]]}) == everyone
    field = lambda key, op, value=None: {"fields": [{"key": key, "op": op, **({} if value is None else {"value": value})}]}  # noqa: E731
    assert shop.ids(field("tags", "has_any", ["vip"])) == {gold["id"]}
    assert shop.ids(field("tags", "has_any", ["wine", "new"])) == {gold["id"], regular["id"]}
    assert shop.ids(field("tags", "unset")) == {bare["id"]}
    assert shop.ids(field("favourite", "eq", "tea")) == {regular["id"]}
    assert shop.ids(field("favourite", "in", ["tea", "coffee"])) == {regular["id"]}
    assert shop.ids(field("kids", "gte", 1)) == {gold["id"]}
    assert shop.ids(field("kids", "lte", 0)) == {regular["id"]}
    assert shop.ids(field("kids", "eq", 2)) == {gold["id"]}
    assert shop.ids(field("smoker", "eq", True)) == {bare["id"]}
    assert shop.ids(field("smoker", "eq", False)) == {gold["id"], regular["id"]}  # unset counts as not true
    assert shop.ids(field("wedding", "gte", "2020-01-01")) == {bare["id"]}
    assert shop.ids(field("note", "contains", "100%")) == {regular["id"]}
    assert shop.ids(field("note", "contains", "_")) == set()  # LIKE wildcards are plain text
    assert shop.ids({"tiers": ["gold"], **field("kids", "set")}) == {gold["id"]}  # filters AND


def test_birthday_month_solar_and_lunar(shop):
    """Birthday month: the solar date of each member's birthday in that year (core.birthdays)."""
    born = {
        "solar_feb": {"birthday": "1990-02-14"},
        "solar_feb29": {"birthday": "1992-02-29"},  # 2027: 28 February
        "lunar_new_year": {"birthday": "1985-01-01", "birthday_calendar": "lunar"},  # 2027: 6 Feb
        "lunar_12_30": {"birthday": "1980-12-30", "birthday_calendar": "lunar"},  # 腊月三十
        "lunar_leap_6": {"birthday": "1987-06-15", "birthday_calendar": "lunar", "birthday_leap_month": True},
        "solar_mar": {"birthday": "1991-03-01"},
        "none": {},
    }
    members = {key: shop.member(key, card=False, **fields) for key, fields in born.items()}
    for year, month in ((2027, 2), (2027, 1), (2025, 7), (2025, 8), (2026, 12)):
        first = date(year, month, 1)
        last = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
        expected = {members[key]["id"] for key, fields in born.items() if fields and birthdays_between(
            BirthdaySpec.of(fields["birthday"], fields.get("birthday_calendar", "solar"),
                            fields.get("birthday_leap_month", False)), first, last)}
        assert shop.ids({"birthday_month": {"month": month, "year": year}}) == expected, (year, month)
    assert members["lunar_new_year"]["id"] in shop.ids({"birthday_month": {"month": 2, "year": 2027}})
    assert members["lunar_leap_6"]["id"] in shop.ids({"birthday_month": {"month": 8, "year": 2025}})  # 闰六月十五 2025 = 8 August


def test_dormant_spend_and_rfm_agree_with_the_report(shop, clock):
    members = [shop.member(f"会员{index}") for index in range(8)]
    clock.at("2027-01-10 12:00")
    for index, member in enumerate(members[:6]):
        for _ in range(1 + index % 3):
            shop.buy(member, 1000 * (index + 1))
    clock.at("2027-05-20 12:00")
    shop.buy(members[0], 50000)
    refund = shop.buy(members[1], 30000)
    returned = shop.client.post(f"/api/v1/checkouts/{refund['checkout_id']}/returns",
                                json={"lines": [{"line_no": 1, "quantity": 1}]},
                                headers={**shop.headers(), "Idempotency-Key": "ret-1"})
    assert returned.status_code == 201, returned.json
    clock.at("2027-06-01 12:00")
    ids = [member["id"] for member in members]
    # Dormant 90 days: everyone but the two who bought in May (a returned sale is still a visit).
    assert shop.ids({"dormant_days": 90}) == set(ids) - {ids[0], ids[1]}
    assert shop.ids({"dormant_days": 150}) == {ids[6], ids[7]}  # nothing since 3 January
    assert shop.ids({"dormant_days": 400}) == set()  # nobody was a member 400 days ago
    # Spend over 365 days, returns deducted: member 1 bought 2×2000 then 30000 returned.
    assert shop.ids({"spend": {"min_fen": 50001}}) == {ids[0]}
    assert shop.ids({"spend": {"min_fen": 4000, "max_fen": 4000}}) == {ids[1], ids[3]}  # 3: one sale of 4000
    assert shop.ids({"spend": {"max_fen": 0}}) == {ids[6], ids[7]}
    assert shop.ids({"spend": {"min_fen": 1, "days": 30}}) == {ids[0]}
    # RFM: every segment is exactly the report's rows of that segment, same period.
    rows = shop.get("/reports/member_rfm?from=2026-06-02&to=2027-06-01&format=json&limit=1000")
    assert rows.status_code == 200, rows.json
    by_segment: dict = {}
    for row in rows.json["rows"]:
        by_segment.setdefault(row["segment"], set()).add(row["member_id"])
    assert by_segment, "the report has buyers"
    for key in SEGMENT_KEYS:
        if key == "no_purchase":
            continue
        assert shop.ids({"rfm": {"segments": [key], "days": 365}}) == by_segment.get(key, set()), key
    assert shop.ids({"rfm": {"segments": ["no_purchase"]}}) == {ids[6], ids[7]}


@pytest.mark.parametrize("segment, pointer", [
    ({"tiers": ["platinum"]}, "/segment/tiers/0"),
    ({"stores": [999999]}, "/segment/stores/0"),
    ({"rfm": {"segments": ["rich"]}}, "/segment/rfm/segments/0"),
    ({"dormant_days": 0}, "/segment/dormant_days"),
    ({"birthday_month": {"month": 13}}, "/segment/birthday_month/month"),
    ({"spend": {"min_fen": 5, "max_fen": 1}}, "/segment/spend/max_fen"),
    ({"spend": {"min_fen": 1.5}}, "/segment/spend/min_fen"),
    ({"fields": [{"key": "shoe_size", "op": "eq", "value": 1}]}, "/segment/fields/0/key"),
    ({"fields": [{"key": "kids", "op": "contains", "value": "1"}]}, "/segment/fields/0/op"),
    ({"fields": [{"key": "kids", "op": "gte", "value": "x"}]}, "/segment/fields/0/value"),
    ({"fields": [{"key": "tags", "op": "has_any", "value": ["gold"]}]}, "/segment/fields/0/value/0"),
    ({"fields": [{"key": "tags", "op": "has_any"}]}, "/segment/fields/0/value"),
    ({"fields": [{"key": "note", "op": "set", "value": "x"}]}, "/segment/fields/0/value"),
    ({"colour": "red"}, "/segment"),
])
def test_bad_segments_are_422_naming_the_filter(shop, segment, pointer):
    response = shop.post("/campaigns/preview", {"segment": segment})
    assert response.status_code == 422, response.json
    pointers = [detail["pointer"] for detail in response.json["error"]["details"]]
    assert any(p.startswith(pointer) for p in pointers), pointers


def test_preview_samples_masked_phones_and_cashiers_may_not(shop):
    shop.member("李四")
    response = shop.post("/campaigns/preview", {"segment": {}})
    assert response.json["count"] == 1
    assert response.json["sample"][0]["name"] == "李四" and "****" in response.json["sample"][0]["phone"]
    assert shop.post("/campaigns/preview", {"segment": {}}, role="cashier").status_code == 403
    assert shop.post("/campaigns/preview", {"segment": {}}, role="manager").status_code == 200
    assert shop.post("/campaigns/preview", {"segment": []}).status_code == 422
    assert shop.client.post("/api/v1/campaigns/preview", data="{", content_type="application/json",
                            headers=shop.headers()).status_code == 400
