"""Folding: ranges of ledger transactions added into the rollup tables, exactly once.

A batch's totals are read in a read transaction (the ledger rows up to the settled bound
never change, so this needs no lock: on SQLite the one writer's lock is not held while
millions of entries are summed). Then one short write transaction locks the state row, checks
that the watermark is still where the batch starts, adds the totals (upserts that add to the
day rows) and moves the watermark. A crash anywhere rolls the write back whole; a second
folder that got there first makes this one read again from the new watermark; running the
fold again does nothing new. ``rebuild`` empties the tables and folds from scratch: the same
tables.
"""
from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..clock import now_utc
from ..db import Database
from ..models import LedgerDay, LedgerTransaction, RollupState, SalesDay
from .sources import LEDGER_FIGURES, SALES_FIGURES, collect_ledger, collect_sales
from .watermark import NAME, locked_state, settle, current_watermark

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
            with db.read() as session:
                start = current_watermark(session)
                if start >= bound:
                    break
                end = min(start + batch, bound)
                sales = collect_sales(session, start, end)
                ledger = collect_ledger(session, start, end)
            with db.write() as session:
                if locked_state(session).folded_through != start:
                    continue  # another folder folded this batch meanwhile: read again
                folded += add_batch(session, end, sales, ledger)
                batches += 1
    return {**status(db), "batches": batches, "rows_added": folded}


def add_batch(session: Session, end: int, sales: dict, ledger: dict) -> int:
    """Add a batch's totals and move the watermark to ``end``, in the caller's transaction."""
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
