"""Folding: ranges of ledger transactions added into the rollup tables, exactly once.

Each batch is one write transaction: lock the state row, add the batch's totals (upserts that
add to the day rows), move the watermark. A crash anywhere in it rolls all of it back; a
second folder waits on the lock and continues from the new watermark; running the fold again
does nothing new. ``rebuild`` empties the tables and folds from scratch: the same tables.
"""
from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..clock import now_utc
from ..db import Database
from ..models import LedgerDay, LedgerTransaction, RollupState, SalesDay
from .sources import LEDGER_FIGURES, SALES_FIGURES, collect_ledger, collect_sales
from .watermark import NAME, locked_state, settle

BATCH_IDS = 200_000  # ledger transaction ids per transaction of the fold
_ROWS_PER_STATEMENT = 2_000
_SALES_KEYS = ("merchant_id", "day", "store_id", "staff_id", "method")
_LEDGER_KEYS = ("merchant_id", "day", "store_id", "staff_id", "type", "account_id")


def fold(db: Database, *, upto: int | None = None, batch: int = BATCH_IDS) -> dict:
    """Fold what is safely final (core.rollups.watermark), at most up to id ``upto``."""
    folded = batches = 0
    rounds = 2 if db.dialect == "postgresql" else 1  # the 2nd settles what the 1st saw
    for _round in range(rounds):
        with db.write() as session:
            bound = settle(session, locked_state(session))
        if upto is not None:
            bound = min(bound, upto)
        while True:
            with db.write() as session:
                start = locked_state(session).folded_through  # another folder may have moved it
                if start >= bound:
                    break
                end = min(start + batch, bound)
                folded += fold_range(session, start, end)
                batches += 1
    return {**status(db), "batches": batches, "rows_added": folded}


def fold_range(session: Session, start: int, end: int) -> int:
    """Add transactions start < id <= end, and move the watermark to ``end`` (one transaction)."""
    sales = collect_sales(session, start, end)
    ledger = collect_ledger(session, start, end)
    _add(session, SalesDay.__table__, _SALES_KEYS, SALES_FIGURES, sales)
    _add(session, LedgerDay.__table__, _LEDGER_KEYS, LEDGER_FIGURES, ledger)
    before_watermark(session)
    session.execute(update(RollupState.__table__).where(RollupState.name == NAME)
                    .values(folded_through=end, folded_at=now_utc()))
    return len(sales) + len(ledger)


def before_watermark(session: Session) -> None:
    """Nothing; a test replaces it with a crash between the rows and the watermark."""


def _add(session: Session, table, keys, figures, totals: dict) -> None:
    if not totals:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: table.c[name] + statement.excluded[name] for name in figures})
    rows = [{**dict(zip(keys, key)), **dict(zip(figures, values))}
            for key, values in sorted(totals.items())]  # key order: concurrent folds lock alike
    for first in range(0, len(rows), _ROWS_PER_STATEMENT):
        session.execute(statement, rows[first:first + _ROWS_PER_STATEMENT])


def rebuild(db: Database, **options) -> dict:
    """Empty the tables and fold everything again (same figures: the fold is deterministic)."""
    with db.write() as session:
        locked_state(session)
        session.execute(delete(SalesDay.__table__))
        session.execute(delete(LedgerDay.__table__))
        session.execute(update(RollupState.__table__).where(RollupState.name == NAME).values(
            folded_through=0, pending_bound=None, pending_xid=None, folded_at=None))
    return fold(db, **options)


def status(db: Database) -> dict:
    with db.read() as session:
        state = session.get(RollupState, NAME)
        newest = session.scalar(select(func.max(LedgerTransaction.id))) or 0
        return {"folded_through": state.folded_through if state else 0,
                "newest_transaction": newest,
                "pending_bound": state.pending_bound if state else None,
                "folded_at": state.folded_at.isoformat() if state and state.folded_at else None,
                "sales_rows": session.scalar(select(func.count()).select_from(SalesDay)),
                "ledger_rows": session.scalar(select(func.count()).select_from(LedgerDay))}
