"""A report's figures for a period: the folded day rows plus the not-yet-folded tail.

The day rows and the watermark W are read in ONE statement (one snapshot, on PostgreSQL too):
a fold committing meanwhile cannot make a transaction count twice or not at all. The tail
(transactions above that W) is read from the ledger itself, whose rows never change, so it
does not matter that it is read a moment later.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from ..models import LedgerDay, RollupState, SalesDay
from .days import utc_bounds
from .sources import LEDGER_FIGURES, SALES_FIGURES, collect_ledger, collect_sales, merge
from .watermark import NAME


def sales_figures(session: Session, merchant_id: int, start: date, end: date, *,
                  store_id: int | None = None, staff_id: int | None = None) -> dict[tuple, list[int]]:
    """(day, store_id, staff_id, method) -> SALES_FIGURES for local days start..end."""
    return _figures(session, SalesDay, ("day", "store_id", "staff_id", "method"), SALES_FIGURES,
                    collect_sales, merchant_id, start, end, store_id, staff_id)


def ledger_figures(session: Session, merchant_id: int, start: date, end: date, *,
                   store_id: int | None = None, staff_id: int | None = None) -> dict[tuple, list[int]]:
    """(day, store_id, staff_id, type, account_id) -> [amount, entries] on the merchant's own
    accounts for local days start..end."""
    return _figures(session, LedgerDay, ("day", "store_id", "staff_id", "type", "account_id"),
                    LEDGER_FIGURES, collect_ledger, merchant_id, start, end, store_id, staff_id)


def _figures(session, model, keys, figures, collect, merchant_id, start, end, store_id, staff_id):
    table = model.__table__
    on = [table.c.merchant_id == merchant_id, table.c.day >= start, table.c.day <= end]
    if store_id is not None:
        on.append(table.c.store_id == store_id)
    if staff_id is not None:
        on.append(table.c.staff_id == staff_id)
    state = RollupState.__table__
    rows = session.execute(
        select(state.c.folded_through, *[table.c[key] for key in keys], *[table.c[f] for f in figures])
        .select_from(state.outerjoin(table, and_(*on))).where(state.c.name == NAME)).all()
    watermark = rows[0][0] if rows else 0
    totals = {tuple(row[1:1 + len(keys)]): [int(v) for v in row[1 + len(keys):]]
              for row in rows if row[1] is not None}
    since, until = utc_bounds(start, end)
    tail = collect(session, watermark, None, merchant_id=merchant_id, since=since, until=until)
    wanted = {}
    for (_merchant, *key), values in tail.items():
        day, store, staff = key[0], key[1], key[2]
        if start <= day <= end and store_id in (None, store) and staff_id in (None, staff):
            wanted[tuple(key)] = values
    return merge(totals, wanted)
