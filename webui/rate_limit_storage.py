"""The ``limits`` storage ``huika-db://``: rate-limit counters in the app's own database.

Flask-Limiter keeps its counters in a ``limits`` storage; the in-memory one would be per
gunicorn worker (each worker would allow the limit again) and Huika has neither Redis nor
Memcached. This storage counts in the ``rate_limit_counters`` table through
core.rate_limits, whose increment is one atomic upsert on SQLite and PostgreSQL, so every
worker and every app instance on the same database shares each counter exactly.

Reads are cached in the process for ``FRESH_FOR`` (issue 11, F4): the API checks its
token-failure counter before every request, and a database read there cost about 0.9 ms
of a 1 ms lookup. Counting stays exact: every increment goes to the database and drops the
process's copy, so the process that counts sees the new total at once; another worker (or
``huika unthrottle`` from a shell) is seen within ``FRESH_FOR``. Only the two limits counted
after the answer (refused API tokens, SMS codes sent) read counters; the others count with
each request and compare the count the increment returns.

Only the fixed-window strategy is supported (what ``incr``/``get``/``get_expiry`` give). The
storage is created by webui.throttle with the app's ``Database`` in the storage options;
the clock is core.clock's, so a frozen clock in the tests moves the windows.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from limits.errors import ConfigurationError
from limits.storage import Storage
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from core import clock, rate_limits
from core.db import Database, end_read

SCHEME = "huika-db"
PURGE_EVERY = timedelta(minutes=5)  # how often one process deletes windows that have passed
FRESH_FOR = 1.0  # seconds a counter read here stands for the database's
_MAX_CACHED = 10_000  # keys; past it the copies are dropped (a flood of addresses)


class DatabaseStorage(Storage):
    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False,
                 database: Database | None = None, **options) -> None:
        if not isinstance(database, Database):
            raise ConfigurationError(f"{SCHEME}:// counts in the app's own database: pass it as "
                                     "the storage option 'database' (webui.throttle does)")
        self.database = database
        self._next_purge = None
        # key -> (hits, window end, time.monotonic() when read)
        self._read: dict[str, tuple[int, datetime, float]] = {}
        self._lock = threading.Lock()
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = clock.now_utc()
        with self.database.write(repeatable=True) as session:
            hits = rate_limits.count_hit(session, key, timedelta(seconds=expiry), now, amount)
        with self._lock:
            self._read.pop(key, None)
        self._purge_now_and_then(now)
        return hits

    def get(self, key: str) -> int:
        return self.open_window(key)[0]

    def get_expiry(self, key: str) -> float:
        return self.open_window(key)[1].timestamp()

    def open_window(self, key: str) -> tuple[int, datetime]:
        """(hits, end) of the open window, from this process's copy while it is fresh. Not
        one of ``limits``' storage methods, so called without their error-wrapping layer (the
        API's token check asks before every request, F4); errors are SQLAlchemy's."""
        now = clock.now_utc()
        with self._lock:
            copy = self._read.get(key)
        if copy is None or time.monotonic() - copy[2] >= FRESH_FOR:
            with self.database.read_engine.connect() as connection:
                hits, end = rate_limits.open_window(connection, key, now)
                end_read(connection)
            copy = (hits, end, time.monotonic())
            with self._lock:
                if len(self._read) >= _MAX_CACHED:
                    self._read.clear()
                self._read[key] = copy
        hits, end, _read_at = copy
        return (hits, end) if end > now else (0, now)

    def check(self) -> bool:
        try:
            with self.database.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int:
        with self.database.write(repeatable=True) as session:
            cleared = rate_limits.clear(session)
        self.forget_reads()
        return cleared

    def clear(self, key: str) -> None:
        with self.database.write(repeatable=True) as session:
            rate_limits.clear(session, key)
        with self._lock:
            self._read.pop(key, None)

    def forget_reads(self) -> None:
        """Drop this process's copies: the next check reads the database."""
        with self._lock:
            self._read.clear()

    def _purge_now_and_then(self, now) -> None:
        """Expire old windows: at most once per PURGE_EVERY in each process, so the table holds
        roughly the keys active in the longest window, not every client ever seen."""
        if self._next_purge is not None and now < self._next_purge:
            return
        self._next_purge = now + PURGE_EVERY
        with self.database.write(repeatable=True) as session:
            rate_limits.purge_expired(session, now)
