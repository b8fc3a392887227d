"""staff_performance (issue 12 item 2): what each staff member sold in a period.

- ``checkouts``, ``sales_fen``, ``refunds_fen``, ``net_fen``: as in sales_daily, for the staff
  member who rang the checkout up (refunds: who gave the money back), every payment method;
- ``cards_issued``: cards the staff member issued (the audit log's ``card.issue``);
  ``card_fees_fen``: card fees taken (the ledger's ("card_fees", cny) account, C3);
- ``recharges`` / ``recharges_fen``: stored-value recharges the staff member took and the
  money received for them (the recharge transactions' entries on the money accounts).
Every staff member of the merchant (of the store, if one is chosen) has a row.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import AuditEntry
from ..rollups import ledger_figures, sales_figures
from ..rollups.days import utc_bounds
from ..rollups.sources import CHECKOUTS, MEMBER, REFUNDS, SALES
from .money_common import RECHARGE, merchant_accounts, staff_list, tender_method
from .types import Report, ReportQuery, count, money, text


def _zero() -> dict:
    return {"checkouts": 0, "member_checkouts": 0, "sales_fen": 0, "refunds_fen": 0, "net_fen": 0,
            "cards_issued": 0, "card_fees_fen": 0, "recharges": 0, "recharges_fen": 0}


def rows(session: Session, query: ReportQuery):
    staff = staff_list(session, query.merchant_id)
    shown = {staff_id: _zero() for staff_id, (_name, store) in staff.items()
             if query.store_id is None or store == query.store_id}
    for (_day, _store, staff_id, _method), values in sales_figures(
            session, query.merchant_id, query.start, query.end, store_id=query.store_id).items():
        row = shown.setdefault(staff_id, _zero())
        row["checkouts"] += values[CHECKOUTS]
        row["member_checkouts"] += values[MEMBER]
        row["sales_fen"] += values[SALES]
        row["refunds_fen"] += values[REFUNDS]
        row["net_fen"] += values[SALES] - values[REFUNDS]
    accounts = merchant_accounts(session, query.merchant_id)
    for (_day, _store, staff_id, kind, account_id), (amount, entries) in ledger_figures(
            session, query.merchant_id, query.start, query.end, store_id=query.store_id).items():
        purpose, asset = accounts.get(account_id, ("", ""))
        if asset != "cny":
            continue
        if purpose == "card_fees":
            shown.setdefault(staff_id, _zero())["card_fees_fen"] -= amount  # a fee credits it
        elif kind == RECHARGE and tender_method(purpose):
            row = shown.setdefault(staff_id, _zero())
            row["recharges_fen"] += amount
            row["recharges"] += entries  # one money entry per recharge
    since, until = utc_bounds(query.start, query.end)
    for staff_id, issued in session.execute(
            select(AuditEntry.staff_id, func.count())
            .where(AuditEntry.merchant_id == query.merchant_id, AuditEntry.action == "card.issue",
                   AuditEntry.created_at >= since, AuditEntry.created_at < until,
                   AuditEntry.staff_id.is_not(None))
            .group_by(AuditEntry.staff_id)):
        if staff_id in shown:
            shown[staff_id]["cards_issued"] += issued
    for staff_id in sorted(shown):
        yield {"staff_id": staff_id or None, "staff": staff.get(staff_id, ("",))[0], **shown[staff_id]}


REPORT = Report(
    id="staff_performance",
    title={"zh-CN": "员工业绩", "en": "Staff performance"},
    description={"zh-CN": "每位员工的销售、退款、净额、发卡与卡费、充值笔数与金额。",
                 "en": "Per staff member: sales, refunds, net, cards issued and card fees, "
                       "recharges and the money received for them."},
    columns=[count("staff_id", "员工编号", "Staff id", total=False), text("staff", "员工", "Staff"),
             count("checkouts", "笔数", "Checkouts"),
             count("member_checkouts", "会员笔数", "Member checkouts"),
             money("sales_fen", "销售", "Sales"), money("refunds_fen", "退款", "Refunds"),
             money("net_fen", "净额", "Net"), count("cards_issued", "发卡数", "Cards issued"),
             money("card_fees_fen", "卡费", "Card fees"), count("recharges", "充值笔数", "Recharges"),
             money("recharges_fen", "充值金额", "Recharges received")],
    rows=rows,
    default_days=30,
)
