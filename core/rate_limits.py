"""Fixed-window counters in the database, for request throttling (webui/throttle.py).

A counter is a row ``(key, hits, expires_at)``. ``count_hit`` adds to it in ONE statement,
``INSERT … ON CONFLICT (key) DO UPDATE … RETURNING hits``, which both SQLite and
PostgreSQL run atomically: two workers hitting the same key at the same moment get two
different counts, never the same one, so a limit of N lets exactly N requests through. A
row whose window has passed is restarted by the same statement (the window starts at the
first hit after it), and ``purge_expired`` deletes the rows nobody hit again.

Times are passed in (``now``, aware UTC), so the tests' frozen clock moves the windows.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from .models import RateLimitCounter

_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def count_hit(session: Session, key: str, window: timedelta, now: datetime,
              amount: int = 1) -> int:
    """Add ``amount`` hits to ``key``'s current window (a new window if none is open) and
    return the window's total, this hit included."""
    table = RateLimitCounter.__table__
    insert = _INSERT[session.get_bind().dialect.name](table).values(
        key=key, hits=amount, expires_at=now + window)
    window_over = table.c.expires_at <= now
    statement = insert.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={"hits": case((window_over, insert.excluded.hits), else_=table.c.hits + insert.excluded.hits),
              "expires_at": case((window_over, insert.excluded.expires_at), else_=table.c.expires_at)},
    ).returning(table.c.hits)
    return session.execute(statement).scalar_one()


_OPEN_WINDOW = (select(RateLimitCounter.__table__.c.hits, RateLimitCounter.__table__.c.expires_at)
                .where(RateLimitCounter.__table__.c.key == bindparam("key"),
                       RateLimitCounter.__table__.c.expires_at > bindparam("now")))


def open_window(connection: Session | Connection, key: str, now: datetime) -> tuple[int, datetime]:
    """(hits, end) of ``key``'s open window; (0, ``now``) when there is none. One indexed
    read by a statement built once (the API reads a counter on every request)."""
    row = connection.execute(_OPEN_WINDOW, {"key": key, "now": now}).first()
    return (row.hits, row.expires_at) if row is not None else (0, now)


def current_hits(session: Session | Connection, key: str, now: datetime) -> int:
    """Hits in ``key``'s open window (0 when there is none)."""
    return open_window(session, key, now)[0]


def window_end(session: Session | Connection, key: str, now: datetime) -> datetime:
    """When ``key``'s open window ends (``now`` when there is none)."""
    return open_window(session, key, now)[1]


def clear(session: Session, key: str | None = None) -> int:
    """Forget ``key``'s counter, or every counter; returns how many rows went."""
    statement = delete(RateLimitCounter)
    if key is not None:
        statement = statement.where(RateLimitCounter.key == key)
    return session.execute(statement).rowcount


def purge_expired(session: Session, now: datetime) -> int:
    """Delete the counters whose window has passed; returns how many."""
    return session.execute(delete(RateLimitCounter).where(RateLimitCounter.expires_at <= now)).rowcount
