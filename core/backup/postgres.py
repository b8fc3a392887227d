"""PostgreSQL backups: ``pg_dump`` in custom format from an exported snapshot (the manifest is
computed in that same snapshot), and a restore into a new database that is checked there and
then swapped in by renaming databases."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from ..db import make_engine
from .manifest import BackupError, Manifest, describe

HEADER = b"PGDMP"
_MAX_NAME = 63  # PostgreSQL truncates longer identifiers
_DISCONNECT_WAIT_S = 5.0


def find_tool(name: str, pg_bin: str | None = None) -> str:
    """``pg_dump``/``pg_restore``: from ``pg_bin`` if given, else the newest installed
    PostgreSQL's binaries (Debian keeps them off PATH), else PATH."""
    if pg_bin:
        candidate = Path(pg_bin) / name
        if candidate.is_file():
            return str(candidate)
        raise BackupError(f"{name} is not in {pg_bin} (HUIKA_PG_BIN)")
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                      key=lambda p: int(Path(p).parent.parent.name)
                      if Path(p).parent.parent.name.isdigit() else 0, reverse=True)
    found = versions[0] if versions else shutil.which(name)
    if not found:
        raise BackupError(f"{name} was not found: install the PostgreSQL client programs "
                          "(apt-get install postgresql-client) or set HUIKA_PG_BIN")
    return found


def _url(url: str) -> URL:
    parsed = make_url(url)
    if not parsed.database:
        raise BackupError("DATABASE_URL names no database")
    return parsed.set(drivername="postgresql")


def _libpq(url: URL) -> tuple[str, dict]:
    """A connection URI for the client programs; the password goes by environment, not argv."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(password=None).render_as_string(hide_password=False), env


def _run(command: list[str], env: dict, what: str) -> None:
    completed = subprocess.run(command, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        lines = [line for line in completed.stderr.splitlines() if line.strip()]
        raise BackupError(f"{what} failed ({Path(command[0]).name} exit {completed.returncode})",
                          details=lines[-10:])


def dump(url: str, target: Path, taken_at: str, pg_bin: str | None) -> Manifest:
    parsed = _url(url)
    pg_dump = find_tool("pg_dump", pg_bin)
    engine = make_engine(parsed.render_as_string(hide_password=False), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
                manifest = describe(connection, "postgresql", taken_at)
                uri, env = _libpq(parsed)
                _run([pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={target}",
                      f"--dbname={uri}"], env, "pg_dump")
    except BackupError:
        raise
    except Exception as error:  # noqa: BLE001 - a connection or permission problem, reported
        raise BackupError(f"the backup of database {parsed.database!r} failed: {error}") from None
    finally:
        engine.dispose()
    return manifest


def _name(base: str, suffix: str) -> str:
    return base[:_MAX_NAME - len(suffix)] + suffix


class PostgresStage:
    """The backup restored into a new database beside the live one; ``swap`` renames them."""

    def __init__(self, url: str, backup: Path, *, stamp: str, pg_bin: str | None) -> None:
        self.url = _url(url)
        self.live = self.url.database
        self.backup = backup
        self.stamp = stamp.lower()
        self.pg_bin = pg_bin
        self.temporary = _name(self.live, f"_restore_{self.stamp}")
        self.admin = make_engine(self.url.set(database="postgres").render_as_string(
            hide_password=False), poolclass=NullPool, isolation_level="AUTOCOMMIT")
        self.quote = self.admin.dialect.identifier_preparer.quote
        self.engine = None
        self.created = False

    def __enter__(self) -> "PostgresStage":
        pg_restore = find_tool("pg_restore", self.pg_bin)
        uri, env = _libpq(self.url.set(database=self.temporary))
        try:
            _run([pg_restore, "--list", str(self.backup)], env, f"reading {self.backup}")
            with self.admin.connect() as connection:
                connection.exec_driver_sql(
                    f"CREATE DATABASE {self.quote(self.temporary)} TEMPLATE template0"
                    + self._like_live(connection))
            self.created = True
            _run([pg_restore, "--exit-on-error", "--single-transaction", "--no-owner",
                  f"--dbname={uri}", str(self.backup)], env, f"restoring {self.backup}")
            self.engine = make_engine(self.url.set(database=self.temporary).render_as_string(
                hide_password=False), poolclass=NullPool)
        except BaseException:
            self.__exit__()
            raise
        return self

    def _like_live(self, connection) -> str:
        """The live database's encoding and collation, so text sorts and compares the same."""
        row = connection.execute(text(
            "SELECT pg_encoding_to_char(encoding) AS encoding, datcollate, datctype "
            "FROM pg_database WHERE datname = :name"), {"name": self.live}).first()
        if row is None:
            return ""
        literal = lambda value: "'" + value.replace("'", "''") + "'"  # noqa: E731
        return (f" ENCODING {literal(row.encoding)} LC_COLLATE {literal(row.datcollate)}"
                f" LC_CTYPE {literal(row.datctype)}")

    def __exit__(self, *exc) -> None:
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None
        if self.created:
            with self.admin.connect() as connection:
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {self.quote(self.temporary)}")
            self.created = False
        self.admin.dispose()

    def _other_sessions(self, connection) -> list:
        return connection.execute(text(
            "SELECT pid, usename, application_name, client_addr FROM pg_stat_activity "
            "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": self.live}).all()

    def _in_use_error(self, sessions) -> BackupError:
        return BackupError(
            f"{len(sessions)} other session(s) are connected to database {self.live!r}: stop "
            "the Huika server first, or restore with --force",
            details=[f"pid {s.pid} user {s.usename} app {s.application_name!r} from "
                     f"{s.client_addr}" for s in sessions[:20]])

    def ensure_unused(self) -> None:
        """Refuse early, before the long restore, while other sessions use the database."""
        with self.admin.connect() as connection:
            sessions = self._other_sessions(connection)
        if sessions:
            raise self._in_use_error(sessions)

    def _disconnect_others(self, connection) -> None:
        others = ("FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()")
        connection.execute(text(f"SELECT pg_terminate_backend(pid) {others}"), {"name": self.live})
        deadline = time.monotonic() + _DISCONNECT_WAIT_S
        while connection.scalar(text(f"SELECT count(*) {others}"), {"name": self.live}):
            if time.monotonic() > deadline:
                break  # the rename then fails and says so
            time.sleep(0.05)

    def swap(self, *, force: bool) -> str | None:
        """Rename live -> kept and restored -> live in one transaction; refuse while other
        sessions are connected to the live database (unless ``force`` disconnects them)."""
        self.engine.dispose()
        self.engine = None
        kept = _name(self.live, f"_before_restore_{self.stamp}")
        with self.admin.connect() as connection:
            exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                       {"name": self.live})
            if exists:
                sessions = self._other_sessions(connection)
                if sessions and not force:
                    raise self._in_use_error(sessions)
                if sessions:
                    self._disconnect_others(connection)
            try:
                connection.exec_driver_sql("BEGIN")
                if exists:
                    connection.exec_driver_sql(
                        f"ALTER DATABASE {self.quote(self.live)} RENAME TO {self.quote(kept)}")
                connection.exec_driver_sql(
                    f"ALTER DATABASE {self.quote(self.temporary)} RENAME TO {self.quote(self.live)}")
                connection.exec_driver_sql("COMMIT")
            except Exception as error:  # noqa: BLE001 - e.g. a session connected meanwhile
                connection.exec_driver_sql("ROLLBACK")
                raise BackupError(f"could not swap the databases: {error}") from None
        self.created = False
        return kept if exists else None
