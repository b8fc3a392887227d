"""sales_daily (issue 12, item 2): sales per local day, store and payment method.

Read from the rollups (core.rollups): folded day rows plus the not-yet-folded tail, so the
figures are current and a month reads a few hundred rows whatever the size of the ledger.

- ``gross_fen``: list price of the checkouts (a split payment shares it in proportion);
  ``discount_fen`` = gross - sales; ``sales_fen``: what the payment method took (the due
  amount); ``refunds_fen``: what returns gave back through this method ON THE RETURN'S DAY,
  store and method; ``net_fen`` = sales - refunds (the day's takings).
- ``checkouts`` (member / walk-in) count each checkout once, under its main method (its
  largest payment), so the column adds up to the number of checkouts; ``returns`` likewise.
Each money figure equals the ledger: sales_fen summed = minus the checkout entries on the
merchant's ("sales", cny) account; refunds_fen = the return entries on it (tests say so).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy.orm import Session

from ..rollups import sales_figures
from ..rollups.sources import CHECKOUTS, GROSS, MEMBER, REFUNDS, RETURNS, SALES, WALK_IN
from .money_common import method_name, store_names
from .types import Report, ReportQuery, count, date_column, money, text

DAY_FIGURES = ("gross_fen", "discount_fen", "sales_fen", "refunds_fen", "net_fen", "checkouts",
               "member_checkouts", "walk_in_checkouts", "returns")


def _by(figures: dict, key_of) -> dict:
    grouped: dict = defaultdict(lambda: [0] * 7)
    for key, values in figures.items():
        target = grouped[key_of(key)]
        for index, value in enumerate(values):
            target[index] += value
    return grouped


def _shown(values: list[int]) -> dict:
    return {"gross_fen": values[GROSS], "discount_fen": values[GROSS] - values[SALES],
            "sales_fen": values[SALES], "refunds_fen": values[REFUNDS],
            "net_fen": values[SALES] - values[REFUNDS], "checkouts": values[CHECKOUTS],
            "member_checkouts": values[MEMBER], "walk_in_checkouts": values[WALK_IN],
            "returns": values[RETURNS]}


def totals_by_day(session: Session, merchant_id: int, start: date, end: date,
                  store_id: int | None = None) -> dict[date, dict]:
    """Every day start..end (inclusive, local days) -> DAY_FIGURES over all stores (or one)
    and methods; days without sales give zeros. For the dashboard and other callers."""
    figures = sales_figures(session, merchant_id, start, end, store_id=store_id)
    grouped = _by(figures, lambda key: key[0])
    days, day = {}, start
    while day <= end:
        days[day] = _shown(grouped.get(day, [0] * 7))
        day = date.fromordinal(day.toordinal() + 1)
    return days


def rows(session: Session, query: ReportQuery):
    figures = sales_figures(session, query.merchant_id, query.start, query.end, store_id=query.store_id)
    grouped = _by(figures, lambda key: (key[0], key[1], key[3]))  # day, store, method
    stores = store_names(session, query.merchant_id)
    for (day, store_id, method) in sorted(grouped):
        yield {"day": day.isoformat(), "store_id": store_id, "store": stores.get(store_id, ""),
               "method": method, "method_name": method_name(method),
               **_shown(grouped[(day, store_id, method)])}


REPORT = Report(
    id="sales_daily",
    title={"zh-CN": "每日销售", "en": "Daily sales"},
    description={"zh-CN": "按日、门店、支付方式的销售额、折扣、退款与净额；退货在退货当日冲减净额。",
                 "en": "Sales, discounts, refunds and net takings per day, store and payment "
                       "method; a return reduces the net of the day it is made."},
    columns=[date_column("day", "日期", "Day"), text("store", "门店", "Store"),
             count("store_id", "门店编号", "Store id", total=False),
             text("method", "支付方式代码", "Method key"),
             text("method_name", "支付方式", "Payment method"),
             count("checkouts", "笔数", "Checkouts"),
             count("member_checkouts", "会员笔数", "Member checkouts"),
             count("walk_in_checkouts", "散客笔数", "Walk-in checkouts"),
             money("gross_fen", "原价金额", "Gross (list)"), money("discount_fen", "折扣", "Discount"),
             money("sales_fen", "实收", "Sales (paid)"), money("refunds_fen", "退款", "Refunds"),
             money("net_fen", "净额", "Net"), count("returns", "退货笔数", "Returns")],
    rows=rows,
    default_days=30,
)
