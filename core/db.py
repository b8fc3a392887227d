"""Engines and sessions for SQLite (default) and PostgreSQL.

Write transactions on SQLite start with BEGIN IMMEDIATE (SQLAlchemy's documented pysqlite
recipe) so two writers never both read and then fail to upgrade their lock; read-only
sessions use a plain deferred BEGIN and run beside writers under WAL.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 5000
_WRITE_OPTION = "huika_write"


def default_sqlite_url(instance_path: str | Path) -> str:
    path = Path(instance_path) / "huika.sqlite"
    return f"sqlite:///{path}"


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine with Huika's connection settings for the URL's dialect."""
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    kwargs.setdefault("isolation_level", "READ COMMITTED")
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get(_WRITE_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


PIN_PEPPERS = "huika.pin_peppers"  # Session.info key: (current, *retired) PIN peppers


@dataclass
class Database:
    """One engine plus session factories for reading and for writing.

    ``pin_peppers`` (current first, then retired ones) reach the core's PIN code through
    ``session.info[PIN_PEPPERS]``: they belong to this installation, not to the data.
    """

    engine: Engine
    pin_peppers: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        info = {PIN_PEPPERS: self.pin_peppers}
        self._read_sessions = sessionmaker(self.engine, expire_on_commit=False, info=info)
        self._write_sessions = sessionmaker(
            self.engine.execution_options(**{_WRITE_OPTION: True}), expire_on_commit=False,
            info=info,
        )

    @classmethod
    def from_url(cls, url: str, *, pin_peppers: tuple[bytes, ...] = (), **kwargs) -> "Database":
        return cls(make_engine(url, **kwargs), pin_peppers=pin_peppers)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries; rolled back at the end."""
        with self._read_sessions() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session in one write transaction: committed on success, rolled back on error."""
        with self._write_sessions() as session:
            with session.begin():
                yield session

    def dispose(self) -> None:
        self.engine.dispose()
