"""points_liability and points_detail in the report catalogue (issue 12, G2/G3): equal to the
ledger to the point after earning, points as cash, partial returns, an adjustment, a card
replacement and the expiry job, on both databases; served as JSON, Excel and CSV."""
from __future__ import annotations

import pytest

from core.config_versions import published_config
from core.reports import ReportQuery
from plugins.points import expire_points
from plugins.points.reports import liability_rows
from tests.support.report_client import report_csv, report_json, report_xlsx

from .conftest import beijing, key, make_shop
from .test_points_as_cash import pay_with_points
from .test_wheel import add_prize, spin

PERIOD = {"from": "2026-03-01", "to": "2028-01-01"}


def give_back(shop, checkout_id, lines):
    answer = shop.client.post(f"/api/v1/checkouts/{checkout_id}/returns", json={"lines": lines},
                              headers={**shop.headers("manager"), **key()})
    assert answer.status_code == 201, answer.json
    return answer.json


def replace(shop, card, new_number):
    answer = shop.client.post(f"/api/v1/cards/{card}/replace", json={"new_number": new_number},
                              headers=shop.headers("manager", idempotent=True))
    assert answer.status_code == 201, answer.json
    return new_number


@pytest.fixture
def history(shop, clock):
    """Two members' points over two years; returns (shop, every card number, old card)."""
    first, second = shop.card(), shop.card()
    clock.at("2026-03-01 10:00")
    shop.buy(first, 500)  # 50 points until 2027-12-31
    shop.buy(second, 200)  # 20 until 2027-12-31
    clock.at("2027-02-01 10:00")
    two_lines = shop.checkout(first, [{"sku": "COAT", "unit_price_fen": 45900},
                                      {"sku": "SHOES", "unit_price_fen": 10000}]).json  # 55 until 2028
    give_back(shop, two_lines["checkout_id"], [{"line_no": 2, "quantity": 1}])  # -10: partial return
    paid = pay_with_points(shop, first, 100, 30)  # 30 points off the 2027 lot, 10 earned
    assert paid.status_code == 201, paid.json
    give_back(shop, paid.json["checkout_id"], [{"line_no": 1, "quantity": 1}])  # 30 back, 10 taken
    clock.at("2027-06-01 10:00")
    assert shop.adjust(second, 7, "补录积分").status_code == 201  # 7 until 2028-12-31
    assert pay_with_points(shop, second, 10, 20).status_code == 201  # 20 off the 2027 lot
    new_first = replace(shop, first, "PTSNEW01")  # the balance moves, lot by lot
    shop.buy(new_first, 300)  # 30 until 2028-12-31 on the new card
    with shop.hk.db.write() as session:
        expired = expire_points(session, shop.id, beijing("2028-01-01 08:00"))
    assert expired["points"] == 50  # what was left of first's 2027 lot (now on the new card)
    shop.verify()
    return shop, [first, new_first, second], first


def test_points_liability_equals_the_ledger_by_month_and_by_member(history):
    shop, cards, old = history
    ledger_points = {card: shop.points(card) for card in cards}
    assert ledger_points[old] == 0  # replaced: nothing is counted twice
    body = report_json(shop.client, shop.headers(), "points_liability")
    assert body["totals"]["points"] == sum(ledger_points.values()) > 0
    assert [(row["month"], row["cards"]) for row in body["rows"]] == [("2028-12", 2)]
    per_member = report_json(shop.client, shop.headers(), "points_liability", by="member")
    assert {row["card_number"]: row["points"] for row in per_member["rows"]} == {
        card: points for card, points in ledger_points.items() if points}
    assert per_member["totals"]["points"] == body["totals"]["points"]
    manager = report_json(shop.client, shop.headers("manager"), "points_liability")
    assert manager["totals"] == body["totals"]  # the test shop's manager sees the one store


def test_points_detail_lists_every_movement_and_nets_to_the_liability(history):
    shop, cards, old = history
    body = report_json(shop.client, shop.headers(), "points_detail", **PERIOD)
    rows = body["rows"]
    assert body["totals"]["points"] == sum(shop.points(card) for card in cards)
    assert body["totals"]["points_in"] - body["totals"]["points_out"] == body["totals"]["points"]
    kinds = {row["kind"] for row in rows}
    assert kinds == {"earned", "spent", "reversed", "adjusted", "moved", "expired"}
    moved = [row for row in rows if row["kind"] == "moved"]
    assert {row["card_number"] for row in moved} == {old, "PTSNEW01"}
    assert sum(row["points"] for row in moved) == 0  # a replacement moves, it adds nothing
    expired = [row for row in rows if row["kind"] == "expired"]
    assert [(row["card_number"], row["points"]) for row in expired] == [("PTSNEW01", -50)]
    assert all(row["member_name"] == "李娜" for row in rows)
    assert {row["staff_name"] for row in rows if row["kind"] == "adjusted"} != {""}
    assert rows == sorted(rows, key=lambda row: int(row["transaction_id"]))
    later = report_json(shop.client, shop.headers(), "points_detail", **{"from": "2027-06-01", "to": "2027-06-01"})
    assert {row["kind"] for row in later["rows"]} == {"adjusted", "spent", "earned", "moved"}


def test_points_reports_as_excel_and_csv_match_the_json(history):
    shop = history[0]
    body = report_json(shop.client, shop.headers(), "points_detail", **PERIOD)
    titles, rows = report_xlsx(shop.client, shop.headers(), "points_detail", **PERIOD)
    assert titles[:3] == ["时间", "日期", "类型代码"] and "净变动" in titles
    assert rows[-1]["时间"] == "合计" and rows[-1]["净变动"] == body["totals"]["points"]
    assert [row["净变动"] for row in rows[:-1]] == [row["points"] for row in body["rows"]]
    titles, rows = report_csv(shop.client, shop.headers(), "points_liability", by="member", lang="en")
    assert "Points outstanding" in titles
    assert sum(int(row["Points outstanding"]) for row in rows) == sum(shop.points(card) for card in history[1])


def test_points_past_their_month_but_not_swept_yet_are_still_owed_and_marked_due(shop, clock):
    card = shop.card()
    shop.buy(card, 500)  # 2026-03-01: 50 points until 2027-12-31
    with shop.hk.db.read() as session:
        config = published_config(session, shop.id, shop.hk.plugins)
        query = ReportQuery(merchant_id=shop.id, config=config, now=beijing("2028-01-01 00:05"),
                            params={"by": "month"})
        rows = list(liability_rows(session, query))
    assert rows == [{"month": "2027-12", "state": "due", "cards": 1, "points": 50,
                     "state_name": {"zh-CN": "已到期，待清零", "en": "Due, not yet swept"}}]


def test_a_bad_grouping_is_named_and_nothing_runs(shop):
    answer = shop.client.get("/api/v1/reports/points_liability?by=year", headers=shop.headers())
    assert answer.status_code == 422 and answer.json["error"]["details"][0]["pointer"] == "/by"
    cashier = shop.client.get("/api/v1/reports/points_liability", headers=shop.headers("cashier"))
    assert cashier.status_code == 403


def test_a_paid_wheel_spin_shows_its_price_and_its_prize(client, hk, clock):
    shop = make_shop(client, hk, "转盘报表店", wheel_enabled=True)
    assert add_prize(shop, name="8 积分", kind="points", points=8).status_code == 201
    card = shop.card()
    shop.buy(card, 100)  # 10 points
    assert spin(shop, card).status_code == 201  # free: +8
    assert spin(shop, card).status_code == 201  # paid: -5, +8
    body = report_json(shop.client, shop.headers(), "points_detail", **{"from": "2026-03-01", "to": "2026-03-01"})
    assert [(row["kind"], row["points_in"], row["points_out"], row["points"]) for row in body["rows"]] == [
        ("earned", 10, 0, 10), ("earned", 8, 0, 8), ("earned", 8, 5, 3)]
    assert body["totals"]["points"] == shop.points(card) == 21
