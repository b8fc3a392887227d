"""shift_close (交班/日结, issue 12 item 2): per cashier and payment method, what came in and
went out over a day (or a period), and what the till should hold.

- ``sales_fen`` / ``refunds_fen`` / ``checkouts``: checkouts and returns the staff member
  rang up, per payment method (core.rollups; a return counts for the one who gave the money back);
- ``recharges_fen``: stored value sold (充值) paid by this method: the recharge transactions'
  entries on the account the money went to (the ledger, not the plugin);
- ``other_fen``: any other movement of that money account by this staff member (card fees
  in, stored value withdrawn or refunded out, cheques cleared …);
- ``expected_fen``: what the staff member's moves added to that account: all its entries.
  For cash, the change in the drawer to count at the close. Methods that take no money in
  (stored value, points) show their sales and no expected amount.
expected = sales - refunds + recharges + other for every money method (tests say so).
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy.orm import Session

from ..rollups import ledger_figures, sales_figures
from ..text import INT64_MAX
from ..rollups.sources import CHECKOUTS, REFUNDS, SALES
from .money_common import RECHARGE, merchant_accounts, method_name, staff_list, tender_method
from .types import Report, ReportQuery, count, money, text

_SALES_TYPES = ("checkout", "return")


def figures(session: Session, query: ReportQuery) -> dict[tuple[int, str], dict]:
    """(staff_id, method) -> the row's figures (0 for a move by no staff member)."""
    staff_id = query.params.get("staff")
    sales = sales_figures(session, query.merchant_id, query.start, query.end, store_id=query.store_id,
                          staff_id=staff_id)
    ledger = ledger_figures(session, query.merchant_id, query.start, query.end, store_id=query.store_id,
                            staff_id=staff_id)
    return method_figures(session, query.merchant_id, sales, ledger)


def empty_figures() -> dict:
    return {"checkouts": 0, "sales_fen": 0, "refunds_fen": 0, "recharges_fen": 0, "other_fen": 0,
            "expected_fen": None}


def method_figures(session: Session, merchant_id: int, sales: dict, ledger: dict) -> dict[tuple[int, str], dict]:
    """(staff_id, method) -> figures from the rollups' sales figures ((day, store, staff,
    method) -> SALES_FIGURES) and ledger figures ((day, store, staff, type, account) ->
    [amount, entries]) of any period: a report's days or a shift's hours (core.shifts)."""
    rows: dict = defaultdict(empty_figures)
    for (_day, _store, staff, method), values in sales.items():
        row = rows[(staff, method)]
        row["checkouts"] += values[CHECKOUTS]
        row["sales_fen"] += values[SALES]
        row["refunds_fen"] += values[REFUNDS]
    accounts = merchant_accounts(session, merchant_id)
    for (_day, _store, staff, kind, account_id), (amount, _entries) in ledger.items():
        purpose, asset = accounts.get(account_id, ("", ""))
        method = tender_method(purpose) if asset == "cny" else None
        if method is None:
            continue
        row = rows[(staff, method)]
        row["expected_fen"] = (row["expected_fen"] or 0) + amount
        if kind == RECHARGE:
            row["recharges_fen"] += amount
        elif kind not in _SALES_TYPES:
            row["other_fen"] += amount
    return rows


def rows(session: Session, query: ReportQuery):
    found = figures(session, query)
    staff = staff_list(session, query.merchant_id)
    for staff_id, method in sorted(found, key=lambda key: (key[0], key[1])):
        row = found[(staff_id, method)]
        name = staff.get(staff_id, ("",))[0] if staff_id else ""
        yield {"staff_id": staff_id or None, "staff": name, "method": method,
               "method_name": method_name(method), **row}


REPORT = Report(
    id="shift_close",
    title={"zh-CN": "交班日结", "en": "Shift close"},
    description={"zh-CN": "按收银员与支付方式：销售、退款、充值收款、其他收支与应有金额"
                          "（现金即钱箱应有变动）。",
                 "en": "Per cashier and payment method: sales, refunds, recharges received, other "
                       "moves and the amount expected (for cash: the drawer's change)."},
    columns=[count("staff_id", "员工编号", "Staff id", total=False),
             text("staff", "收银员", "Cashier"),
             text("method", "支付方式代码", "Method key"),
             text("method_name", "支付方式", "Payment method"),
             count("checkouts", "笔数", "Checkouts"), money("sales_fen", "销售", "Sales"),
             money("refunds_fen", "退款", "Refunds"),
             money("recharges_fen", "充值收款", "Recharges received"),
             money("other_fen", "其他收支", "Other moves"),
             money("expected_fen", "应有金额", "Expected")],
    rows=rows,
    parameters={"staff": {"type": "integer", "minimum": 1, "maximum": INT64_MAX,
                          "description": "one staff member's figures (their id)",
                          "x-label": {"zh-CN": "员工编号", "en": "Staff ID"},
                          "x-help": {"zh-CN": "只看这位员工的数字（填员工编号）",
                                     "en": "One staff member's figures (their id)"}}},
    default_days=1,
)
