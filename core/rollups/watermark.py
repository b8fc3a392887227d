"""The watermark of the rollups, and how far a fold may safely go.

``rollup_state.folded_through`` = W: every ledger transaction with id <= W is in the rollup
tables, and no transaction with id <= W can still appear. Reports add the tail (id > W) to
the tables, so they are current whatever W is; W only has to be *sound*.

SQLite has one writer at a time, and the fold is a write transaction (core.writer_lock): while
it runs no transaction is half done, so the newest id it sees is final.

PostgreSQL hands out ids (a sequence) in one order and commits transactions in another: with
checkout A holding id 100 still open while checkout B with id 101 commits, "fold every id
above W" would fold 101, move W to 101 and never see 100. So a fold does not take the newest
id at once. It records it as a candidate (``pending_bound``) with the snapshot's ``xmax`` (the
first transaction id not yet started, ``pending_xid``); a later fold may go up to the candidate
once the snapshot's ``xmin`` (the oldest transaction still running) has reached that xid:
every transaction that had started when the candidate was read has ended by then, committed
(visible) or rolled back (its ids are gaps for ever). A ledger transaction takes its id and
its transaction id in the same INSERT (core.ledger.post), so a transaction holding an id
<= the candidate had started when the candidate was read.

A fold with a quiet database settles at once (fold() takes two rounds); under load the
candidate settles as soon as the transactions running at the first round have ended
(milliseconds for a checkout). Nothing is ever lost waiting: the tail covers it.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import LedgerTransaction, RollupState

NAME = "money"  # one watermark for rollup_sales_days and rollup_ledger_days
_state = RollupState.__table__


@dataclass
class State:
    folded_through: int
    pending_bound: int | None
    pending_xid: int | None


def current_watermark(session: Session) -> int:
    return session.scalar(select(_state.c.folded_through).where(_state.c.name == NAME)) or 0


def locked_state(session: Session) -> State:
    """The state row, created if missing, locked until this transaction ends: a second
    folder waits here and then sees the first one's watermark."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(_state).values(name=NAME, folded_through=0)
                    .on_conflict_do_nothing(index_elements=["name"]))
    row = session.execute(select(_state.c.folded_through, _state.c.pending_bound, _state.c.pending_xid)
                          .where(_state.c.name == NAME).with_for_update()).one()
    return State(*row)


def settle(session: Session, state: State) -> int:
    """How far this fold may go (>= state.folded_through); records the next candidate."""
    newest = session.scalar(select(func.max(LedgerTransaction.id))) or 0
    if session.get_bind().dialect.name != "postgresql":
        return max(newest, state.folded_through)
    bound = state.folded_through
    oldest_running = session.scalar(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"))
    if state.pending_bound is not None and oldest_running >= state.pending_xid:
        bound = max(bound, state.pending_bound)
        state.pending_bound = state.pending_xid = None
    if state.pending_bound is None and newest > bound:
        # Read after the newest id: every transaction holding an id <= newest has started.
        state.pending_xid = session.scalar(
            text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint"))
        state.pending_bound = newest
    session.execute(update(_state).where(_state.c.name == NAME).values(
        pending_bound=state.pending_bound, pending_xid=state.pending_xid))
    return bound
