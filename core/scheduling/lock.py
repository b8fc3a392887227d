"""Exactly one scheduler per installation: a lock that dies with its holder.

- SQLite: an exclusive ``flock`` (the filelock package) on ``<database file>-scheduler.lock``
  beside the database. The kernel drops it when the holding process ends, however it ends.
- PostgreSQL: ``pg_try_advisory_lock`` on a connection of its own (autocommit, so it never
  keeps a transaction open), held for the scheduler's life. The server drops the lock when
  the session ends: a killed process's socket closes at once; a vanished host's session ends
  when TCP keepalives give up (set below, about a minute). The holder checks its connection
  every few seconds and stands down when it is gone; a standby connects only to try.
- A SQLite database in memory (tests): a lock inside this process.

Advisory locks belong to one database, so two installations on one server do not meet.
"""
from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading

from filelock import FileLock, Timeout
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from ..db import Database, sqlite_file

log = logging.getLogger(__name__)

LOCK_FILE_SUFFIX = "-scheduler.lock"
# The advisory lock's 64-bit key: fixed, derived from a name so it collides with nobody's by chance.
ADVISORY_KEY = int.from_bytes(hashlib.sha256(b"huika.scheduler").digest()[:8], "big", signed=True)
APPLICATION_NAME = "huika-scheduler"
_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 20, "keepalives_interval": 10, "keepalives_count": 3}


def _who() -> str:
    return f"{socket.gethostname()} pid {os.getpid()}"


class SchedulerLock:
    """``try_acquire()`` without waiting; ``still_held()`` before each round; ``release()``."""

    def try_acquire(self) -> bool:
        raise NotImplementedError

    def still_held(self) -> bool:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError

    def holder(self) -> str | None:
        """Who holds the lock now ("nobody" when free), for ``huika jobs status``."""
        raise NotImplementedError


class FileSchedulerLock(SchedulerLock):
    def __init__(self, database_file: str) -> None:
        self.path = database_file + LOCK_FILE_SUFFIX
        # thread_local=False: the lock belongs to the scheduler, whichever thread releases it.
        self._lock = FileLock(self.path, timeout=0, thread_local=False)

    def try_acquire(self) -> bool:
        if self._lock.is_locked:
            return True
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            return False
        except OSError as error:  # unreadable folder, no flock: say so, stay a standby
            log.warning("scheduler lock %s cannot be taken: %s", self.path, error)
            return False
        return True

    def still_held(self) -> bool:
        return self._lock.is_locked

    def release(self) -> None:
        if self._lock.is_locked:
            self._lock.release(force=True)

    def holder(self) -> str | None:
        if self._lock.is_locked:
            return f"this process ({_who()})"
        probe = FileLock(self.path, timeout=0, thread_local=False)
        try:
            probe.acquire(timeout=0)
        except Timeout:
            return "another process"
        except OSError:
            return None
        probe.release(force=True)
        return "nobody"


class AdvisorySchedulerLock(SchedulerLock):
    def __init__(self, db: Database) -> None:
        self.url = db.engine.url
        self._engine = None
        self._connection = None
        self._held = False

    def _connect(self):
        if self._connection is None:
            self._engine = create_engine(
                self.url, poolclass=NullPool, isolation_level="AUTOCOMMIT",
                connect_args={"application_name": f"{APPLICATION_NAME} {_who()}"[:63], **_KEEPALIVES})
            self._connection = self._engine.connect()
        return self._connection

    def try_acquire(self) -> bool:
        if self._held:
            return self.still_held()
        try:
            self._held = bool(self._connect().scalar(text("SELECT pg_try_advisory_lock(:key)"),
                                                     {"key": ADVISORY_KEY}))
        except Exception as error:  # noqa: BLE001 - the database is away: try again later
            log.warning("scheduler lock: cannot reach PostgreSQL: %s", error)
        if not self._held:
            self._close()  # a standby keeps no connection between tries (workers x hosts of them)
        return self._held

    def still_held(self) -> bool:
        if not self._held:
            return False
        try:
            self._connection.scalar(text("SELECT 1"))
            return True
        except Exception as error:  # noqa: BLE001 - the session (and with it the lock) is gone
            log.warning("scheduler lock lost with its PostgreSQL session: %s", error)
            self._close()
            return False

    def release(self) -> None:
        if self._held and self._connection is not None:
            try:
                self._connection.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
            except Exception:  # noqa: BLE001 - closing the session releases it anyway
                pass
        self._close()

    def _close(self) -> None:
        self._held = False
        connection, engine, self._connection, self._engine = self._connection, self._engine, None, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: BLE001
                pass
        if engine is not None:
            engine.dispose()

    def holder(self) -> str | None:
        engine = create_engine(self.url, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                row = connection.execute(text(
                    "SELECT a.application_name, a.client_addr, a.backend_start FROM pg_locks l "
                    "JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
                    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                    "AND l.classid::bigint = :high AND l.objid::bigint = :low"),
                    {"high": (ADVISORY_KEY >> 32) & 0xFFFFFFFF, "low": ADVISORY_KEY & 0xFFFFFFFF}).first()
        finally:
            engine.dispose()
        if row is None:
            return "nobody"
        return f"{row.application_name or 'a session'} from {row.client_addr or 'local socket'} since {row.backend_start:%Y-%m-%d %H:%M:%S %Z}"


class ProcessSchedulerLock(SchedulerLock):
    """For a database no other process can open (SQLite in memory)."""

    _locks: dict[str, threading.Lock] = {}

    def __init__(self, key: str) -> None:
        self._lock = self._locks.setdefault(key, threading.Lock())
        self._held = False

    def try_acquire(self) -> bool:
        if not self._held:
            self._held = self._lock.acquire(blocking=False)
        return self._held

    def still_held(self) -> bool:
        return self._held

    def release(self) -> None:
        if self._held:
            self._held = False
            self._lock.release()

    def holder(self) -> str | None:
        return f"this process ({_who()})" if self._held else ("another thread" if self._lock.locked() else "nobody")


def lock_for(db: Database) -> SchedulerLock:
    """The scheduler lock of ``db``'s installation."""
    if db.dialect == "postgresql":
        return AdvisorySchedulerLock(db)
    database_file = sqlite_file(db.engine)
    if database_file is None:
        return ProcessSchedulerLock(str(db.engine.url))
    return FileSchedulerLock(os.path.abspath(database_file))
