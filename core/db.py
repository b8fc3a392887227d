"""Engines and sessions for SQLite (default) and PostgreSQL.

Write transactions on SQLite start with BEGIN IMMEDIATE (SQLAlchemy's documented pysqlite
recipe) so two writers never both read and then fail to upgrade their lock; read-only
sessions use a plain deferred BEGIN and run beside writers under WAL. Before BEGIN IMMEDIATE
a writer waits for its turn in a queue shared by every thread and process on the database
file (core.writer_lock), so no writer sleeps in SQLite's polling busy handler.
"""
from __future__ import annotations

import logging
import threading
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator
from weakref import WeakKeyDictionary

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from . import json_text
from .wal_sync import AFTER_COMMIT, WalSync, check_mode
from .writer_lock import WriterQueue, queue_for

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 5000
# Reads straight from the operating system's page cache, shared by every connection and
# worker, instead of copying each page into a per-connection 2 MB cache: a lookup at 1M
# members reads ~60 scattered pages, and this halves its time in SQLite (issue 11, F4).
# Address space only; writes still go through write() (SQLite's default).
SQLITE_MMAP_BYTES = 1 << 30
_WRITE_OPTION = "huika_write"
# What SQLite and PostgreSQL say when a transaction lost a lock race and was rolled back whole:
# running it again is safe, and usually succeeds a moment later.
_BUSY_WORDS = ("database is locked", "database table is locked", "database is busy",
               "could not serialize", "deadlock detected")


def is_busy(error: BaseException) -> bool:
    """Whether ``error`` is the database giving up on a lock (retry the transaction whole)."""
    if not isinstance(error, DBAPIError) or error.orig is None:
        return False
    text = str(error.orig).lower()
    return any(words in text for words in _BUSY_WORDS)


def default_sqlite_url(instance_path: str | Path) -> str:
    path = Path(instance_path) / "huika.sqlite"
    return f"sqlite:///{path}"


def make_engine(url: str, *, sqlite_sync: str = AFTER_COMMIT, **kwargs) -> Engine:
    """Create an engine with Huika's connection settings for the URL's dialect.

    ``sqlite_sync``: how a SQLite commit reaches the disk (core.wal_sync): ``after_commit``
    (the WAL fsynced by the committing thread after the writer's turn) or ``full`` (SQLite's
    synchronous=FULL). Either way a commit is on disk before its request goes on."""
    check_mode(sqlite_sync)
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("json_serializer", json_text.dumps)
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine, sqlite_sync)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    kwargs.setdefault("isolation_level", "READ COMMITTED")
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("json_serializer", json_text.dumps)
    engine = create_engine(url, **kwargs)
    # Several rows of one INSERT (a checkout's entries, lines, lot movements) as one
    # multi-row INSERT, as psycopg2's dialect does, instead of one execution per row in a
    # pipeline: a third of a checkout's executions on the server, and less client CPU.
    engine.dialect.use_insertmanyvalues_wo_returning = True
    return engine


def sqlite_file(engine: Engine) -> str | None:
    """The database file of a SQLite engine; None in memory."""
    name = engine.url.database
    if not name or name == ":memory:" or name.startswith("file:") or engine.url.query.get("uri"):
        return None
    return name


def _main_file(cursor) -> str | None:
    """The file SQLite opened for the main database (symbolic links resolved by SQLite)."""
    for _seq, name, file in cursor.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return file or None
    return None


_WAL_SYNCS: WeakKeyDictionary = WeakKeyDictionary()  # Engine -> WalSync (after_commit mode)


def wal_sync_of(engine: Engine) -> WalSync | None:
    """The WAL fsync of a SQLite file engine in ``after_commit`` mode, else None."""
    return _WAL_SYNCS.get(engine)


def _configure_sqlite(engine: Engine, sync: str) -> None:
    database_file = sqlite_file(engine)
    wal = WalSync(database_file) if sync == AFTER_COMMIT and database_file else None
    if wal is not None:
        _WAL_SYNCS[engine] = wal
        # Every commit of this engine (sessions, engine.begin(), migrations) is followed by
        # the WAL's fsync: the dialect's commit is the one place they all pass.
        commit = engine.dialect.do_commit

        def do_commit(dbapi_connection) -> None:
            commit(dbapi_connection)
            wal.committed()

        engine.dialect.do_commit = do_commit

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        journal = cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if wal is not None and str(journal).lower() == "wal":
            wal.watch(_main_file(cursor) or database_file)
            cursor.execute("PRAGMA synchronous=NORMAL")  # the fsync: core.wal_sync
        else:
            if wal is not None:  # e.g. a file system without shared memory for the WAL index
                log.warning("%s is in %s journal mode, not WAL: SQLite's synchronous=FULL "
                            "instead of the WAL fsync after the writer's turn", database_file, journal)
            cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get(_WRITE_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


_PG_IN_TRANSACTION = 2  # psycopg.pq.TransactionStatus.INTRANS: idle inside a transaction


def end_read(reader) -> None:
    """End the read transaction of ``reader`` (a Session or Connection of a read engine):
    COMMIT where it is a READ ONLY one on PostgreSQL (a ROLLBACK would cost psycopg its
    prepared statements, see Database.read_engine), else ROLLBACK, as before."""
    session = isinstance(reader, Session)
    dialect = reader.get_bind().dialect if session else reader.dialect
    if dialect.name != "postgresql" or (session and (reader.new or reader.dirty or reader.deleted)):
        if reader.in_transaction():
            reader.rollback()
        return
    if reader.in_transaction():
        try:
            reader.commit()
            return
        except Exception:  # a failed transaction, a lost connection: it ends rolled back
            reader.rollback()
            return
    if not session and not reader.closed:
        # Statements run on the driver's cursor (core.direct_sql) begin a transaction that
        # SQLAlchemy does not track: end it the same way, at the driver.
        driver = reader.connection.dbapi_connection
        if driver.info.transaction_status == _PG_IN_TRANSACTION:
            driver.commit()


PIN_PEPPERS = "huika.pin_peppers"  # Session.info key: (current, *retired) PIN peppers
_REPEATABLE = "huika.repeatable"  # Session.info key: see Database.write
WRITING = "huika.writing"  # Session.info key: True in a write transaction (Database.write)
SHARED = "huika.shared"  # Session.info key: a dict shared by the Database's sessions (caches)


@dataclass
class Database:
    """One engine plus session factories for reading and for writing.

    ``pin_peppers`` (current first, then retired ones) reach the core's PIN code through
    ``session.info[PIN_PEPPERS]``: they belong to this installation, not to the data.
    """

    engine: Engine
    pin_peppers: tuple[bytes, ...] = ()
    _commits: threading.local = field(default_factory=threading.local, repr=False)
    _writers: WriterQueue | None = field(default=None, repr=False)
    # Called before each read or write session opens: the web layer gives a request's other
    # pooled connection (its token check's) back first, so that no request ever holds two
    # (with as many requests at once as the pool has connections, each would wait for a
    # second one: the pool runs dry).
    before_session: Callable[[], None] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._wal = wal_sync_of(self.engine)
        if self.dialect == "sqlite":
            self._writers = queue_for(sqlite_file(self.engine))
        # Caches of facts that never change once committed (account ids, published
        # configurations), shared by this Database's sessions; keyed by what they cache.
        self.shared: dict = {}
        info = {PIN_PEPPERS: self.pin_peppers, SHARED: self.shared}
        self.read_engine = self.engine
        if self.dialect == "postgresql":
            # Reads run as READ ONLY transactions and end with COMMIT: psycopg deallocates
            # every prepared statement of the connection on each ROLLBACK, so ending reads
            # with one made PostgreSQL parse and plan each checkout's statements anew
            # (issue 11: ~2 ms of server CPU per checkout). READ ONLY makes the COMMIT safe.
            self.read_engine = self.engine.execution_options(postgresql_readonly=True)
        self._read_sessions = sessionmaker(self.read_engine, expire_on_commit=False, info=info)
        self._write_sessions = sessionmaker(
            self.engine.execution_options(**{_WRITE_OPTION: True}), expire_on_commit=False,
            info={**info, WRITING: True},
        )
        # Counted once the COMMIT succeeded: a COMMIT that fails busy leaves nothing behind.
        event.listen(self._write_sessions, "after_commit", self._count_commit)

    @classmethod
    def from_url(cls, url: str, *, pin_peppers: tuple[bytes, ...] = (), **kwargs) -> "Database":
        return cls(make_engine(url, **kwargs), pin_peppers=pin_peppers)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def serializes_writers(self) -> bool:
        """Whether a write transaction holds the database's only write lock from its first
        statement to its end (SQLite, BEGIN IMMEDIATE): no other writer commits meanwhile."""
        return self.dialect == "sqlite"

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries: nothing it changes is kept (on PostgreSQL it cannot write)."""
        if self.before_session is not None:
            self.before_session()
        with self._read_sessions() as session:
            try:
                yield session
            except BaseException:
                session.rollback()
                raise
            end_read(session)

    @contextmanager
    def write(self, *, repeatable: bool = False) -> Iterator[Session]:
        """A session in one write transaction: committed on success, rolled back on error.

        ``repeatable``: committing it again does no harm (a throttling counter), so its commit
        does not stop a busy request from being run again (``commits_in_this_thread``).
        """
        if self.before_session is not None:
            self.before_session()
        with self._synced_after_turn():
            with self._writer_turn():
                with self._write_sessions() as session:
                    session.info[_REPEATABLE] = repeatable
                    with session.begin():
                        yield session

    def wait_for_disk(self) -> None:
        """Return once every commit this process could have read is on disk (SQLite in
        after_commit mode: an fsync of the WAL): before answering with a commit read, not
        made, here (a replayed answer)."""
        if self._wal is not None:
            self._wal.sync()

    def _synced_after_turn(self):
        """SQLite (after_commit, core.wal_sync): the commit's fsync waits until the next
        writer has its turn, so that one works while this one waits for the disk."""
        return self._wal.deferred() if self._wal is not None else nullcontext()

    @contextmanager
    def _writer_turn(self) -> Iterator[None]:
        """On SQLite, writers queue (core.writer_lock) before BEGIN IMMEDIATE.

        SQLite has one writer at a time, and its busy handler polls with sleeps of up to
        100 ms: waiters lost races for longer than the busy timeout, and woke late. Blocked
        on a lock, they are woken in turn as soon as it is free. A writer that waited the
        whole busy timeout goes on without its turn (SQLite's busy handler decides then).
        """
        if self._writers is None:
            yield
            return
        with self._writers.turn(SQLITE_BUSY_TIMEOUT_MS / 1000):
            yield

    def _count_commit(self, session) -> None:
        if not session.info.get(_REPEATABLE):
            self._commits.count = self.commits_in_this_thread() + 1

    def commits_in_this_thread(self) -> int:
        """How many transactions this thread committed so far: a request that committed
        nothing may be run again whole after a busy error."""
        return getattr(self._commits, "count", 0)

    def dispose(self) -> None:
        self.engine.dispose()
