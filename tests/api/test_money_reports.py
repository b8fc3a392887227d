"""The money reports (issue 12, items 2-4): sales_daily, shift_close and staff_performance
equal the ledger to the fen, after split payments, a return on another day, a card
replacement, recharges and a card fee; and they are the same folded or not."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from core import rollups
from core.clock import MERCHANT_TZ
from core.models import LedgerTransaction
from tests.support.money_world import build, ledger_entries, ledger_sum

DAYS = "from=2026-03-01&to=2026-03-02"
TENDERS = {"cash": "cash_drawer", "external_wechat": "external_wechat", "external_alipay": "external_alipay"}


@pytest.fixture
def world(client, hk, monkeypatch):
    return build(client, hk, monkeypatch)


def report(client, world, report_id, query=DAYS, who="owner"):
    answer = client.get(f"/api/v1/reports/{report_id}?{query}&limit=1000", headers=world.headers(who))
    assert answer.status_code == 200, answer.json
    return answer.json


def fold_states(hk, world):
    """Run ``check`` with nothing folded, half folded, all folded, and rebuilt from scratch."""
    with hk.db.read() as session:
        first, last = session.execute(select(func.min(LedgerTransaction.id), func.max(LedgerTransaction.id))
                                      .where(LedgerTransaction.merchant_id == world.shop.id)).one()
    yield "tail only"
    rollups.fold(hk.db, upto=(first + last) // 2)
    yield "half folded"
    rollups.fold(hk.db)
    assert rollups.status(hk.db)["folded_through"] >= last
    yield "all folded"
    rollups.rebuild(hk.db)
    yield "rebuilt"


def test_sales_daily_equals_the_ledger_by_day_and_method_whether_folded_or_not(client, hk, world):
    entries = ledger_entries(hk, world.shop.id)
    first = None
    for state in fold_states(hk, world):
        body = report(client, world, "sales_daily")
        first = first or body
        assert body["rows"] == first["rows"] and body["totals"] == first["totals"], state
    rows = first["rows"]
    for day in ("2026-03-01", "2026-03-02"):
        today = [row for row in rows if row["day"] == day]
        # Every fen sold and refunded is on the merchant's sales account.
        assert sum(r["sales_fen"] for r in today) == -ledger_sum(entries, day=day, type="checkout",
                                                                 purpose="sales")
        assert sum(r["refunds_fen"] for r in today) == ledger_sum(entries, day=day, type="return",
                                                                  purpose="sales")
        for method, purpose in TENDERS.items():
            mine = [r for r in today if r["method"] == method]
            assert sum(r["sales_fen"] for r in mine) == ledger_sum(entries, day=day, type="checkout",
                                                                   purpose=purpose)
            assert sum(r["refunds_fen"] for r in mine) == -ledger_sum(entries, day=day, type="return",
                                                                      purpose=purpose)
        stored = [r for r in today if r["method"] == "stored_value"]
        owed = lambda purpose: purpose in ("stored_value_sold", "stored_value_bonus_cost")  # noqa: E731
        assert sum(r["sales_fen"] - r["refunds_fen"] for r in stored) == ledger_sum(
            entries, day=day, type=lambda kind: kind in ("checkout", "return"), purpose=owed)
    by = {(r["day"], r["store"], r["method"]): r for r in rows}
    store1 = next(r["store"] for r in rows if r["store_id"] == world.shop.store_ids[0])
    cash = by[("2026-03-01", store1, "cash")]
    # The walk-in's 100.00 plus the split sale's cash 39.99; the split sale (99.99 list, 89.99
    # paid) counts once, under stored value (its larger payment).
    assert (cash["sales_fen"], cash["checkouts"], cash["walk_in_checkouts"]) == (13999, 1, 1)
    stored = by[("2026-03-01", store1, "stored_value")]
    assert (stored["sales_fen"], stored["checkouts"], stored["member_checkouts"]) == (5000, 1, 1)
    assert cash["gross_fen"] + stored["gross_fen"] == 10000 + 9999
    assert cash["discount_fen"] + stored["discount_fen"] == 9999 - 8999
    # The late sale at store 2 (23:30) is on the 1st; the return is on the 2nd, at store 1.
    late = by[("2026-03-01", "东店", "cash")]
    assert (late["sales_fen"], late["member_checkouts"]) == (12345, 1)
    assert by[("2026-03-01", "东店", "external_wechat")]["sales_fen"] == 20000
    back = [r for r in rows if r["day"] == "2026-03-02" and r["refunds_fen"]]
    # One unit of three (2999 of the 8999 paid) back to each tender in proportion, each floored.
    assert sum(r["refunds_fen"] for r in back) == 5000 * 2999 // 8999 + 3999 * 2999 // 8999
    assert all(r["net_fen"] == r["sales_fen"] - r["refunds_fen"] for r in rows)
    assert sum(r["returns"] for r in rows) == 1 and first["totals"]["checkouts"] == 6


def test_totals_by_day_is_what_the_report_adds_up_to(hk, world, client):
    from datetime import date

    from core.reports.sales_daily import totals_by_day

    with hk.db.read() as session:
        days = totals_by_day(session, world.shop.id, date(2026, 2, 28), date(2026, 3, 2))
    assert days[date(2026, 2, 28)]["net_fen"] == 0
    rows = report(client, world, "sales_daily")["rows"]
    for day in (date(2026, 3, 1), date(2026, 3, 2)):
        mine = [r for r in rows if r["day"] == day.isoformat()]
        assert days[day]["net_fen"] == sum(r["net_fen"] for r in mine)
        assert days[day]["checkouts"] == sum(r["checkouts"] for r in mine)


def test_a_store_filter_and_a_store_manager_see_one_store(client, world):
    east = report(client, world, "sales_daily", f"{DAYS}&store={world.store2_id}")
    assert {row["store"] for row in east["rows"]} == {"东店"}
    assert east["totals"]["sales_fen"] == 20000 + 12345


def test_shift_close_expected_money_is_each_cashiers_ledger_movement(client, hk, world):
    entries = ledger_entries(hk, world.shop.id)
    first = None
    for state in fold_states(hk, world):
        body = report(client, world, "shift_close")
        first = first or body
        assert body["rows"] == first["rows"], state
    rows = first["rows"]
    for row in rows:
        if row["expected_fen"] is None:
            assert row["method"] == "stored_value" and not row["recharges_fen"]
            continue
        purpose = TENDERS[row["method"]]
        assert row["expected_fen"] == ledger_sum(entries, staff_id=row["staff_id"], purpose=purpose)
        assert row["expected_fen"] == (row["sales_fen"] - row["refunds_fen"] + row["recharges_fen"]
                                       + row["other_fen"])
        assert row["recharges_fen"] == ledger_sum(entries, staff_id=row["staff_id"], purpose=purpose,
                                                  type="stored_value_recharge")
    cash = {(r["staff_id"], r["method"]): r for r in rows}
    cashier = cash[(world.staff_id("cashier"), "cash")]
    assert cashier["recharges_fen"] == 100000 and cashier["sales_fen"] == 13999 + 500
    manager = cash[(world.staff_id("manager"), "cash")]
    # The purchase card's fee in, the returned unit's cash share out (floor(3999 x 2999 / 8999)).
    assert manager["other_fen"] == 20000 and manager["refunds_fen"] == 3999 * 2999 // 8999
    alipay = cash[(world.staff_id("cashier2"), "external_alipay")]
    assert alipay["recharges_fen"] == 60000 and alipay["expected_fen"] == 60000
    one_day = report(client, world, "shift_close", f"from=2026-03-02&to=2026-03-02&staff={world.staff_id('cashier')}")
    assert {r["staff_id"] for r in one_day["rows"]} == {world.staff_id("cashier")}
    assert {r["method"]: r["sales_fen"] for r in one_day["rows"]} == {"cash": 500, "stored_value": 1800}


def test_staff_performance_counts_sales_cards_and_recharges_per_staff(client, hk, world):
    entries = ledger_entries(hk, world.shop.id)
    first = None
    for state in fold_states(hk, world):
        body = report(client, world, "staff_performance")
        first = first or body
        assert body["rows"] == first["rows"], state
    rows = {row["staff_id"]: row for row in first["rows"]}
    cashier, second, owner = (rows[world.staff_id(who)] for who in ("cashier", "cashier2", "owner"))
    assert (cashier["checkouts"], cashier["sales_fen"]) == (4, 10000 + 8999 + 1800 + 500)
    assert (second["checkouts"], second["sales_fen"]) == (2, 20000 + 12345)
    assert (cashier["recharges"], cashier["recharges_fen"]) == (1, 100000)
    assert (second["recharges"], second["recharges_fen"]) == (1, 60000)
    assert rows[world.staff_id("manager")]["card_fees_fen"] == 20000
    assert sum(r["card_fees_fen"] for r in rows.values()) == -ledger_sum(entries, purpose="card_fees")
    assert sum(r["net_fen"] for r in rows.values()) == -ledger_sum(
        entries, purpose="sales", type=lambda kind: kind in ("checkout", "return"))


def test_cards_issued_are_counted_for_who_issued_them(client, world):
    # The audit log dates a card's issue by the real clock, not the test's frozen one.
    today = datetime.now(MERCHANT_TZ).date().isoformat()
    rows = {row["staff_id"]: row for row in report(client, world, "staff_performance",
                                                   f"from=2026-03-01&to={today}")["rows"]}
    assert rows[world.staff_id("owner")]["cards_issued"] == 3
    assert sum(row["cards_issued"] for row in rows.values()) == 3  # a replacement is no sale


def test_the_money_reports_export_and_refuse_cashiers(client, world):
    for report_id in ("sales_daily", "shift_close", "staff_performance"):
        assert client.get(f"/api/v1/reports/{report_id}?{DAYS}&format=xlsx",
                          headers=world.headers()).status_code == 200
        assert client.get(f"/api/v1/reports/{report_id}", headers=world.headers("cashier")).status_code == 403
    for staff in ("abc", "0", "9999999999999999999", "1.5"):
        bad = client.get(f"/api/v1/reports/shift_close?staff={staff}", headers=world.headers())
        assert bad.status_code == 422 and bad.json["error"]["details"][0]["pointer"] == "/staff", staff
    unknown = client.get("/api/v1/reports/shift_close?staff=999999", headers=world.headers())
    assert unknown.status_code == 200 and unknown.json["rows"] == []
