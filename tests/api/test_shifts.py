"""Shifts (交班/日结, issue 13 item 5): the figures of a shift are the ledger's to the fen
(sales, split tenders, a return, a recharge, the float), only the shift's own staff member,
store and hours count, the close is stored once and never changes, and each role sees what
it should. Built through the real API on SQLite and PostgreSQL."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from core import ledger
from core.models import Account, AuditEntry, Entry, LedgerTransaction, Staff
from tests.support.clock import beijing, freeze
from tests.support.factories import _password_hash, make_merchant
from tests.support.money_world import PIN, document

FLOAT = 20000


@pytest.fixture
def shop(client, hk, monkeypatch):
    shop = make_merchant(hk, f"交班店-{uuid.uuid4().hex[:6]}", document())
    from core import tenancy
    with hk.db.write() as session:
        other = Staff(merchant_id=shop.id, username="cashier2", display_name="二号收银", role="cashier",
                      password_hash=_password_hash(), store_id=shop.store_ids[0])
        session.add(other)
        session.flush()
        shop.tokens["cashier2"], shop.staff_ids["cashier2"] = tenancy.issue_token(session, other), other.id
    shop.clock = freeze(monkeypatch, "2026-03-01 08:00")
    return shop


def call(client, shop, path, body=None, who="cashier", expect=201, method="post"):
    answer = getattr(client, method)(f"/api/v1{path}", json=body,
                                     headers={**shop.headers(who), "Idempotency-Key": uuid.uuid4().hex})
    assert answer.status_code == expect, (path, answer.json)
    return answer.json


def sell(client, shop, lines, payments, who="cashier", card=None):
    body = {"lines": lines, "payments": payments, **({"card_number": card} if card else {})}
    return call(client, shop, "/checkout", body, who)


def drawer_moves(hk, shop, staff_id, purpose, since, until) -> int:
    """The ledger itself: entries on the merchant's ``purpose`` account by ``staff_id`` in [since, until)."""
    with hk.db.read() as session:
        return int(session.scalar(
            select(text("coalesce(sum(entries.amount), 0)"))
            .select_from(Entry).join(LedgerTransaction, LedgerTransaction.id == Entry.transaction_id)
            .join(Account, Account.id == Entry.account_id)
            .where(LedgerTransaction.merchant_id == shop.id, LedgerTransaction.staff_id == staff_id,
                   LedgerTransaction.created_at >= since, LedgerTransaction.created_at < until,
                   Account.owner == "merchant", Account.purpose == purpose)))


def a_day_of_sales(client, shop):
    """Before the shift, during it (by this cashier and another), and after the close."""
    gold = call(client, shop, "/members", {"name": "金卡会员", "phone": "13800000021"}, "owner")
    gold = call(client, shop, "/cards", {"member_id": gold["id"], "tier": "gold", "pin": PIN}, "owner")["number"]
    sell(client, shop, [{"sku": "EARLY", "unit_price_fen": 5000}], [{"method": "cash", "amount_fen": 5000}])
    shop.clock.at("2026-03-01 09:00")
    opened = call(client, shop, "/shifts", {"opening_float_fen": FLOAT, "note": "早班"})
    shop.clock.at("2026-03-01 09:10")
    sell(client, shop, [{"sku": "A", "unit_price_fen": 10000}], [{"method": "cash", "amount_fen": 10000}])
    call(client, shop, f"/cards/{gold}/recharge", {"amount_fen": 100000, "payment": {"method": "cash"}})
    # Gold 9折: 3 x 33.33 = 99.99 list, 89.99 due: 50.00 stored value, 39.99 cash.
    split = sell(client, shop, [{"sku": "B", "unit_price_fen": 3333, "quantity": 3}],
                 [{"method": "stored_value", "amount_fen": 5000, "pin": PIN},
                  {"method": "cash", "amount_fen": 3999}], card=gold)
    sell(client, shop, [{"sku": "C", "unit_price_fen": 20000}],
         [{"method": "external", "channel": "wechat", "amount_fen": 20000}])
    sell(client, shop, [{"sku": "OTHER", "unit_price_fen": 7700}], [{"method": "cash", "amount_fen": 7700}],
         who="cashier2")
    shop.clock.at("2026-03-01 15:00")
    given = call(client, shop, f"/checkouts/{split['checkout_id']}/returns", {"lines": [{"line_no": 1, "quantity": 1}]})
    return opened, given["refund_fen"]


def test_a_shift_counts_exactly_its_own_cashiers_hours_to_the_fen(client, hk, shop):
    opened, refund = a_day_of_sales(client, shop)
    assert opened["state"] == "open" and opened["opening_float_fen"] == FLOAT and opened["note"] == "早班"
    shop.clock.at("2026-03-01 18:00")
    live = call(client, shop, "/shifts/current", method="get", expect=200)
    lines = {line["method"]: line for line in live["lines"]}
    assert list(lines)[0] == "cash"
    since, until = beijing("2026-03-01 09:00"), beijing("2026-03-01 18:00")
    cashier = shop.staff_ids["cashier"]
    cash_moves = drawer_moves(hk, shop, cashier, "cash_drawer", since, until)
    # 100.00 + 39.99 + a 1000.00 recharge, less the return's cash share (a third of 39.99).
    cash_refund = lines["cash"]["refunds_fen"]
    assert 1332 <= cash_refund <= 1334 and cash_refund + lines["stored_value"]["refunds_fen"] == refund
    assert cash_moves == 10000 + 3999 + 100000 - cash_refund
    assert lines["cash"]["expected_fen"] == FLOAT + cash_moves
    assert lines["cash"]["sales_fen"] == 13999
    assert lines["cash"]["recharges_fen"] == 100000
    assert lines["cash"]["expected_fen"] - FLOAT == (lines["cash"]["sales_fen"] - lines["cash"]["refunds_fen"]
                                                      + lines["cash"]["recharges_fen"] + lines["cash"]["other_fen"])
    assert lines["external_wechat"]["expected_fen"] == 20000 == drawer_moves(
        hk, shop, cashier, "external_wechat", since, until)
    assert lines["stored_value"]["expected_fen"] is None
    assert lines["stored_value"]["sales_fen"] == 5000
    # The shift_close report of the day says the same, but for the sale before the opening.
    day = client.get(f"/api/v1/reports/shift_close?from=2026-03-01&to=2026-03-01&staff={cashier}",
                     headers=shop.headers("owner")).json
    report_cash = next(row for row in day["rows"] if row["method"] == "cash")
    assert report_cash["expected_fen"] - 5000 + FLOAT == lines["cash"]["expected_fen"]

    counted = lines["cash"]["expected_fen"] - 100  # one yuan short
    closed = call(client, shop, f"/shifts/{live['id']}/close",
                  {"counted": {"cash": counted, "external_wechat": 20000}, "note": "少一元"}, expect=200)
    assert closed["state"] == "closed" and closed["closed_by"] == cashier
    assert (closed["cash_expected_fen"], closed["cash_counted_fen"], closed["difference_fen"]) == (
        lines["cash"]["expected_fen"], counted, -100)
    by_method = {line["method"]: line for line in closed["lines"]}
    assert by_method["cash"]["difference_fen"] == -100 and by_method["external_wechat"]["difference_fen"] == 0
    assert by_method["stored_value"]["counted_fen"] is None
    with hk.db.read() as session:
        assert ledger.verify(session, shop.id) == []
        audited = session.execute(select(AuditEntry.target, AuditEntry.after).where(
            AuditEntry.merchant_id == shop.id, AuditEntry.action == "shift.close")).one()
    assert audited.target == f"shift:{live['id']}" and audited.after["difference_fen"] == -100

    # Later sales do not change the stored close; there is no open shift any more.
    shop.clock.at("2026-03-01 19:00")
    sell(client, shop, [{"sku": "LATE", "unit_price_fen": 900}], [{"method": "cash", "amount_fen": 900}])
    again = call(client, shop, f"/shifts/{live['id']}", method="get", expect=200)
    assert again["lines"] == closed["lines"]
    assert call(client, shop, "/shifts/current", method="get", expect=404)["error"]["code"] == "no_open_shift"


def test_a_closed_shift_never_changes_and_is_corrected_by_notes(client, hk, shop):
    shift = call(client, shop, "/shifts", {})
    shop.clock.at("2026-03-01 12:00")
    closed = call(client, shop, f"/shifts/{shift['id']}/close", {"counted": {"cash": 0}}, expect=200)
    assert closed["difference_fen"] == 0 and closed["cash_expected_fen"] == 0
    second = call(client, shop, f"/shifts/{shift['id']}/close", {"counted": {"cash": 5}}, expect=409)
    assert second["error"]["code"] == "shift_closed"
    noted = call(client, shop, f"/shifts/{shift['id']}/notes", {"text": "钱箱下找到10元", "amount_fen": 1000})
    assert noted["corrections_fen"] == 1000 and noted["notes"][0]["text"] == "钱箱下找到10元"
    for statement in ("UPDATE shifts SET cash_counted_fen = 1 WHERE id = :id",
                      "DELETE FROM shifts WHERE id = :id",
                      "UPDATE shift_notes SET amount_fen = 0 WHERE shift_id = :id",
                      "DELETE FROM shift_counts WHERE shift_id = :id"):
        with pytest.raises(DBAPIError, match="immutable"):
            with hk.db.engine.begin() as connection:
                connection.execute(text(statement), {"id": shift["id"]})
    # A new shift can be opened once the last one is closed.
    assert call(client, shop, "/shifts", {"opening_float_fen": 100})["state"] == "open"


def test_bad_input_is_a_clear_json_error_and_changes_nothing(client, hk, shop):
    assert call(client, shop, "/shifts", {"opening_float_fen": -1}, expect=422)["error"]["details"]
    assert call(client, shop, "/shifts", {"opening_float_fen": 1.5}, expect=422)
    shift = call(client, shop, "/shifts", {})
    assert call(client, shop, "/shifts", {}, expect=409)["error"]["code"] == "shift_already_open"
    missing = call(client, shop, f"/shifts/{shift['id']}/close", {"counted": {}}, expect=422)
    assert any(d["pointer"] == "/counted/cash" for d in missing["error"]["details"])
    unknown = call(client, shop, f"/shifts/{shift['id']}/close", {"counted": {"cash": 0, "bitcoin": 5}},
                   expect=422)
    assert any(d["pointer"] == "/counted/bitcoin" for d in unknown["error"]["details"])
    assert call(client, shop, "/shifts/999999/close", {"counted": {"cash": 0}}, expect=404)
    assert call(client, shop, "/shifts?from=2026-13-01", method="get", expect=422)["error"]["details"]
    assert call(client, shop, "/shifts?state=maybe", method="get", expect=422)
    assert call(client, shop, f"/shifts/{shift['id']}", method="get", expect=200)["state"] == "open"


def test_owners_see_every_shift_cashiers_their_own(client, hk, shop):
    mine = call(client, shop, "/shifts", {})
    theirs = call(client, shop, "/shifts", {"opening_float_fen": 500}, who="cashier2")
    owner_list = call(client, shop, "/shifts", method="get", who="owner", expect=200)
    assert {s["id"] for s in owner_list["shifts"]} == {mine["id"], theirs["id"]}
    assert owner_list["shifts"][0]["staff"] in ("cashier", "二号收银")
    cashier_list = call(client, shop, "/shifts", method="get", expect=200)
    assert [s["id"] for s in cashier_list["shifts"]] == [mine["id"]]
    assert call(client, shop, f"/shifts/{theirs['id']}", method="get", expect=404)
    assert call(client, shop, f"/shifts/{theirs['id']}/close", {"counted": {"cash": 500}}, expect=404)
    # The store's manager sees it and may close it for the cashier who forgot.
    closed = call(client, shop, f"/shifts/{theirs['id']}/close", {"counted": {"cash": 500}}, who="manager",
                  expect=200)
    assert closed["closed_by"] == shop.staff_ids["manager"] and closed["difference_fen"] == 0
    closed_only = call(client, shop, "/shifts?state=closed", method="get", who="owner", expect=200)
    assert [s["id"] for s in closed_only["shifts"]] == [theirs["id"]]
