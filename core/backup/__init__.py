"""Backups of the whole database and verified restores (``huika backup`` / ``huika restore``).

A backup is one file (a SQLite database, or a ``pg_dump`` custom-format archive) plus a
manifest line beside it (``<file>.manifest.json``). A restore changes nothing until the
backup has been restored into a temporary copy next to the live database and that copy has
passed every check: the file matches its manifest, SQLite's integrity and foreign-key checks
(PostgreSQL enforces its constraints while restoring), the Alembic revision is one this Huika
knows (older copies are migrated), the ledger verifies for every merchant and its checksum
matches the manifest. Only then is the copy swapped in, keeping the replaced database.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from ..clock import now_utc
from . import postgres, sqlite
from .manifest import (BackupError, Manifest, check_file_against_manifest, fsync_directory,
                       manifest_path, read_manifest, write_atomically)
from .verify import verify_copy

__all__ = ["BackupError", "Manifest", "backup", "check", "restore", "manifest_path"]

_EXTENSIONS = {"sqlite": "sqlite", "postgresql": "pgdump"}
_TITLES = {"sqlite": "a SQLite database", "postgresql": "a PostgreSQL (pg_dump) archive"}


@dataclass(frozen=True)
class RestoreReport:
    path: Path
    manifest: Manifest  # recomputed from the restored copy
    stored: Manifest | None  # the manifest found beside the file
    revision: str  # the revision the backup had
    target_revision: str  # this Huika's; the copy was migrated to it when they differ
    kept: str | None = None  # where the replaced database went (None for --check)
    swapped: bool = False


def database_kind(url: str) -> str:
    if url.startswith("sqlite"):
        return "sqlite"
    if url.startswith("postgresql"):
        return "postgresql"
    raise BackupError(f"backups support SQLite and PostgreSQL, not {url.split(':', 1)[0]!r}")


def file_kind(path: Path) -> str:
    """What a backup file is, from its first bytes (never from its name)."""
    if not path.is_file():
        raise BackupError(f"there is no backup file at {path}")
    with open(path, "rb") as handle:
        head = handle.read(len(sqlite.HEADER))
    if head.startswith(sqlite.HEADER):
        return "sqlite"
    if head.startswith(postgres.HEADER):
        return "postgresql"
    raise BackupError(f"{path} is not a Huika backup: neither a SQLite database nor a pg_dump "
                      "custom-format archive")


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def backup(url: str, path: Path, *, pg_bin: str | None = None,
           now: datetime | None = None) -> tuple[Path, Manifest]:
    """Write a backup of the database at ``url`` to ``path`` (a folder: a dated name in it)
    and its manifest beside it; safe while the server writes. Returns (file, manifest)."""
    kind = database_kind(url)
    moment = now or now_utc()
    path = Path(path)
    if path.is_dir():
        path = path / f"huika-{_stamp(moment)}.{_EXTENSIONS[kind]}"
    if not path.parent.is_dir():
        raise BackupError(f"the folder {path.parent} does not exist")
    if kind == "sqlite" and path.resolve() == sqlite.database_path(url).resolve():
        raise BackupError(f"{path} is the database itself: back it up to another file")
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    taken_at = moment.isoformat(timespec="seconds").replace("+00:00", "Z")
    try:
        # Members' data and hashes: readable by the owner only (0600), from the first byte
        # (sqlite3 and pg_dump keep the mode of a file that exists).
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        os.chmod(temporary, 0o600)
        if kind == "sqlite":
            manifest = sqlite.dump(url, temporary, taken_at)
        else:
            manifest = postgres.dump(url, temporary, taken_at, pg_bin)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        manifest = manifest.with_file(temporary)
        # An old manifest must never sit beside a new file, even if we stop half-way.
        manifest_path(path).unlink(missing_ok=True)
        os.replace(temporary, path)
        fsync_directory(path.parent)
        write_atomically(manifest_path(path), (manifest.line() + "\n").encode("utf-8"))
    except SQLAlchemyError as error:
        raise BackupError(f"the backup failed: {error}") from None
    except OSError as error:  # e.g. no permission to write there, disk full
        raise BackupError(f"the backup to {path} failed: {error}") from None
    finally:
        for leftover in (temporary, Path(f"{temporary}-journal")):
            leftover.unlink(missing_ok=True)
    return path, manifest


def check(url: str, path: Path, *, registry, pg_bin: str | None = None) -> RestoreReport:
    """Everything ``restore`` verifies, in a throwaway copy; the live database is not touched."""
    return _restore(url, Path(path), registry=registry, pg_bin=pg_bin, swap=False, force=False,
                    now=None)


def restore(url: str, path: Path, *, registry, force: bool = False, pg_bin: str | None = None,
            now: datetime | None = None) -> RestoreReport:
    """Verify the backup in a copy next to the live database, then swap it in; the replaced
    database is kept (``<file>.before-restore-<UTC>`` / ``<db>_before_restore_<utc>``)."""
    return _restore(url, Path(path), registry=registry, pg_bin=pg_bin, swap=True, force=force,
                    now=now)


def _restore(url: str, path: Path, *, registry, pg_bin, swap: bool, force: bool,
             now: datetime | None) -> RestoreReport:
    kind = database_kind(url)
    found = file_kind(path)
    if found != kind:
        raise BackupError(f"{path} is {_TITLES[found]}, but this Huika runs on "
                          f"{'SQLite' if kind == 'sqlite' else 'PostgreSQL'}")
    stored = read_manifest(path)
    if stored is not None:
        check_file_against_manifest(path, stored)
    stamp = _stamp(now or now_utc())
    if kind == "sqlite":
        stage = sqlite.SqliteStage(url, path, stamp=stamp, beside_live=swap)
    else:
        stage = postgres.PostgresStage(url, path, stamp=stamp, pg_bin=pg_bin)
    try:
        if swap and not force:
            stage.ensure_unused()
        with stage:
            verified = verify_copy(stage.engine, kind, registry, stored)
            kept = None
            if swap:
                kept = stage.swap(force=force)
    except SQLAlchemyError as error:
        raise BackupError(f"{path} could not be read as a Huika database: {error}") from None
    except OSError as error:  # e.g. disk full while copying, no permission beside the database
        raise BackupError(f"the restore from {path} failed, nothing was replaced: {error}") from None
    return RestoreReport(path=path, manifest=verified.manifest.with_file(path), stored=stored,
                         revision=verified.revision, target_revision=verified.target_revision,
                         kept=kept, swapped=swap)
