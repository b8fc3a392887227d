"""SQLite backups: the online backup API (a consistent copy while the server writes) and a
restore that checks a copy next to the database before it atomically replaces it."""
from __future__ import annotations

import os
import shutil
import stat
import tempfile
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from ..db import make_engine
from .manifest import BackupError, Manifest, describe, fsync_directory

HEADER = b"SQLite format 3\x00"
_SIDE_FILES = ("-wal", "-shm", "-journal")
_IN_USE_WAIT_S = 1.0


def database_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def dump(url: str, target: Path, taken_at: str) -> Manifest:
    """Copy the live database into ``target`` (a single file, no -wal) and describe the copy."""
    live = database_path(url)
    if not live.is_file():
        raise BackupError(f"there is no database at {live}")
    source = sqlite3.connect(live, timeout=30, isolation_level=None)
    try:
        copy = sqlite3.connect(target, isolation_level=None)
        try:
            # All pages in one step: one read transaction, so one consistent snapshot; under
            # WAL the server's writers are not blocked meanwhile.
            source.backup(copy, pages=-1)
            copy.execute("PRAGMA journal_mode=DELETE")  # the backup is one self-contained file
        finally:
            copy.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"the backup of {live} failed: {error}") from None
    finally:
        source.close()
    engine = make_engine(f"sqlite:///{target}")
    try:
        with engine.connect() as connection:
            return describe(connection, "sqlite", taken_at)
    finally:
        engine.dispose()
        _fold_wal(target)


def _fold_wal(path: Path) -> None:
    """Checkpoint and drop the copy's WAL, so the file alone holds everything."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        connection.close()


class SqliteStage:
    """The backup copied next to the live database, checked there; ``swap`` puts it in place."""

    def __init__(self, url: str, backup: Path, *, stamp: str, beside_live: bool) -> None:
        self.live = database_path(url)
        self.backup = backup
        folder = self.live.parent if beside_live else None
        self.stamp = stamp
        self.temporary = (folder or Path(tempfile.gettempdir())) / \
            f".{self.live.name}.restore-{stamp}-{os.getpid()}"
        self.engine = None

    def __enter__(self) -> "SqliteStage":
        self.temporary.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copyfile(self.backup, self.temporary)
            _same_owner_and_mode(self.temporary, self.live)
            _check_file(self.temporary, self.backup)
            self.engine = make_engine(f"sqlite:///{self.temporary}")
        except BaseException:
            self._remove_temporary()
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self.engine is not None:
            self.engine.dispose()
        self._remove_temporary()

    def _remove_temporary(self) -> None:
        for suffix in ("", *_SIDE_FILES):
            Path(f"{self.temporary}{suffix}").unlink(missing_ok=True)

    def ensure_unused(self) -> None:
        ensure_unused(self.live)

    def swap(self, *, force: bool) -> str | None:
        """Replace the live database atomically; return where the replaced one was kept."""
        self.engine.dispose()
        self.engine = None
        _fold_wal(self.temporary)
        with open(self.temporary, "rb") as handle:
            os.fsync(handle.fileno())
        kept = None
        if self.live.exists():
            _take_offline(self.live, force=force)
            kept = self.live.with_name(f"{self.live.name}.before-restore-{self.stamp}")
            serial = 1
            while kept.exists():  # a second restore within the same second
                serial += 1
                kept = self.live.with_name(f"{self.live.name}.before-restore-{self.stamp}-{serial}")
            try:
                os.link(self.live, kept)  # the old file stays whole under its new name
            except OSError:
                shutil.copy2(self.live, kept)
        # A -wal left beside the new file would be replayed into it: remove the old one's.
        for suffix in _SIDE_FILES:
            Path(f"{self.live}{suffix}").unlink(missing_ok=True)
        os.replace(self.temporary, self.live)
        fsync_directory(self.live.parent)
        return str(kept) if kept else None


def _check_file(path: Path, shown_as: Path) -> None:
    """SQLite's own checks of every page, index and foreign key."""
    try:
        connection = sqlite3.connect(path, isolation_level=None)
        try:
            integrity = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            foreign_keys = connection.execute("PRAGMA foreign_key_check").fetchall()
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{shown_as} is not a readable SQLite database: {error}") from None
    if integrity != ["ok"]:
        raise BackupError(f"{shown_as} fails SQLite's integrity check", details=integrity[:20])
    if foreign_keys:
        raise BackupError(f"{shown_as} has rows pointing to missing rows (foreign_key_check)",
                          details=[f"{table} row {rowid} -> {parent}"
                                   for table, rowid, parent, _fk in foreign_keys[:20]])


def _in_use_error(live: Path) -> BackupError:
    return BackupError(f"the database {live} is in use (a Huika server or another program has it "
                       "open): stop the server first, or restore with --force")


def _exclusive(connection: sqlite3.Connection) -> None:
    """Take the file's exclusive lock and keep it (an idle connection elsewhere still holds a
    shared lock, so this fails while anybody has the database open)."""
    connection.execute("PRAGMA locking_mode=EXCLUSIVE")
    connection.execute("BEGIN EXCLUSIVE")
    connection.execute("SELECT count(*) FROM sqlite_master").fetchall()
    connection.execute("COMMIT")


def _locked(error: sqlite3.OperationalError) -> bool:
    return "locked" in str(error) or "busy" in str(error)


def ensure_unused(live: Path) -> None:
    """Refuse early, before the long checks, while the database is open elsewhere."""
    if not live.exists():
        return
    connection = sqlite3.connect(live, timeout=_IN_USE_WAIT_S, isolation_level=None)
    try:
        _exclusive(connection)
    except sqlite3.OperationalError as error:
        if _locked(error):
            raise _in_use_error(live) from None
    except sqlite3.DatabaseError:
        pass  # an unreadable live file is what a restore is for
    finally:
        connection.close()


def _take_offline(live: Path, *, force: bool) -> None:
    """Refuse while the database is open elsewhere (unless ``force``); then fold its WAL into
    the file, so the copy kept aside is complete."""
    connection = sqlite3.connect(live, timeout=_IN_USE_WAIT_S, isolation_level=None)
    try:
        _exclusive(connection)
        connection.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.OperationalError as error:
        if _locked(error) and not force:
            raise _in_use_error(live) from None
    except sqlite3.DatabaseError:
        pass  # an unreadable live file is what a restore is for: it is kept aside as it is
    finally:
        connection.close()


def _same_owner_and_mode(path: Path, live: Path) -> None:
    """The restored file gets the live database's owner and mode (a restore run as root must
    not leave the service a file it cannot open), or 0600 where there is no live file."""
    try:
        state = os.stat(live)
    except FileNotFoundError:
        os.chmod(path, 0o600)
        return
    os.chmod(path, stat.S_IMODE(state.st_mode))
    if os.geteuid() == 0:
        os.chown(path, state.st_uid, state.st_gid)
