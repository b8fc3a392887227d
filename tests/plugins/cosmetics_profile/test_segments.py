"""K4 / M5 segments: buying habit (skincare vs make-up share), age band on the merchant's local
date, purchase frequency and amount, with filters."""
from __future__ import annotations


def names(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [item["name"] for item in response.json["items"]]


def test_k4_segments_by_habit_age_frequency_and_amount(shop, clock):
    young, young_card = shop.member_with_card("护肤为主", birthday="2001-03-02", gender="female")
    mixed, mixed_card = shop.member_with_card("两者都买", birthday="1985-07-01")
    shop.member("没买过")
    shop.buy(young_card, ("面霜", 800), ("口红", 100))
    shop.buy(young_card, ("精华", 100))
    shop.buy(mixed_card, ("口红", 300), ("面霜", 250))

    clock.at("2026-03-01 23:30")  # 15:30 UTC: still 1 March in Beijing, the day before her birthday
    everyone = shop.get("/cosmetics/segments", role="manager")
    facts = {item["name"]: item for item in everyone.json["items"]}
    assert (facts["护肤为主"]["age"], facts["护肤为主"]["age_band"]) == (24, "under_25")
    assert facts["两者都买"]["age_band"] == "35_44" and facts["没买过"]["age_band"] == "unknown"
    assert [facts[n]["habit"] for n in ("护肤为主", "两者都买", "没买过")] == ["skincare", "mixed", "none"]
    assert facts["护肤为主"]["orders"] == 2 and facts["护肤为主"]["frequency_band"] == "2_5"
    assert facts["没买过"]["frequency_band"] == "under_2" and facts["没买过"]["amount_band"] == "under_100000"
    assert facts["两者都买"]["group_spend_fen"]["makeup"] * 1000 < 600 * (
        facts["两者都买"]["group_spend_fen"]["makeup"] + facts["两者都买"]["group_spend_fen"]["skincare"])
    assert everyone.json["options"]["habit"] == ["skincare", "makeup", "mixed", "none"]

    assert names(shop.get("/cosmetics/segments", habit="skincare")) == ["护肤为主"]
    assert names(shop.get("/cosmetics/segments", age_band="under_25", gender="female")) == ["护肤为主"]
    assert names(shop.get("/cosmetics/segments", frequency_band="under_2", habit="none")) == ["没买过"]
    # Both buyers spent under 1000 yuan; the bigger spender comes first.
    assert names(shop.get("/cosmetics/segments", amount_band="under_100000", min_orders="1")) == [
        "护肤为主", "两者都买"]
    clock.at("2026-03-02 00:30")  # still 1 March in UTC, but her birthday in Beijing
    assert names(shop.get("/cosmetics/segments", age_band="25_34")) == ["护肤为主"]
    page = shop.get("/cosmetics/segments", per_page="1", page="2")
    assert page.json["total"] == 3 and len(page.json["items"]) == 1


def test_k4_bad_segment_filters_are_refused(shop, clock):
    bad = shop.get("/cosmetics/segments", habit="perfume", age_band="teen", per_page="500")
    assert bad.status_code == 422
    assert {d["pointer"] for d in bad.json["error"]["details"]} == {"/habit", "/age_band", "/per_page"}
    assert shop.get("/cosmetics/segments", role="cashier").status_code == 403


def test_m5_r2_recency_average_ticket_and_income(shop, clock):
    clock.at("2025-06-01 10:00")  # 273 days before: dormant, though still in the 365-day window
    sleeper, sleeper_card = shop.member_with_card("久未消费", income_band="high")
    shop.buy(sleeper_card, ("面霜", 200))
    clock.at("2026-02-20 10:00")
    regular, regular_card = shop.member_with_card("常客")
    first = shop.buy(regular_card, ("面霜", 100))["due_fen"]
    second = shop.buy(regular_card, ("口红", 300))["due_fen"]
    never = shop.member("从未消费")
    clock.at("2026-03-01 10:00")
    facts = {i["member_id"]: i for i in shop.get("/cosmetics/segments").json["items"]}
    assert facts[regular]["average_ticket_fen"] == (first + second) // 2
    assert (facts[regular]["last_purchase_on"], facts[regular]["days_since_purchase"]) == ("2026-02-20", 9)
    assert (facts[sleeper]["orders"], facts[sleeper]["days_since_purchase"]) == (1, 273)
    assert facts[never]["days_since_purchase"] is None
    dormant = shop.get("/cosmetics/segments", min_days_since_purchase="90").json["items"]
    assert {i["member_id"] for i in dormant} == {sleeper, never}
    recent = shop.get("/cosmetics/segments", max_days_since_purchase="30").json["items"]
    assert [i["member_id"] for i in recent] == [regular]
    assert [i["member_id"] for i in shop.get("/cosmetics/segments", income_band="high").json["items"]] == [sleeper]
    assert shop.get("/cosmetics/segments", min_days_since_purchase="-1").status_code == 422
