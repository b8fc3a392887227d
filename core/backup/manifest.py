"""What a backup holds, in one JSON line: written beside the file, checked again at restore.

The line is computed from the same snapshot the backup is taken from (the SQLite copy itself,
PostgreSQL's exported snapshot), so a restore can recompute it and compare to the fen.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from ..errors import HuikaError
from ..models import Entry, LedgerTransaction, Merchant

MANIFEST_SUFFIX = ".manifest.json"
_CHUNK = 1 << 20


class BackupError(HuikaError):
    """A backup cannot be taken, or a file is not a usable backup; nothing was changed."""

    code = "backup_invalid"


@dataclass(frozen=True)
class Manifest:
    kind: str  # "sqlite" or "postgresql"
    revision: str  # the applied Alembic heads, comma-separated
    merchants: int
    transactions: int
    entries: int
    ledger_sha256: str  # over every entry (id, transaction, account, asset, amount) in id order
    taken_at: str  # UTC, ISO 8601
    bytes: int | None = None
    file_sha256: str | None = None

    def line(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(", ", ": "))

    @classmethod
    def from_line(cls, text: str) -> "Manifest":
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def same_contents(self, other: "Manifest") -> list[str]:
        """The fields (other than time and file) where ``other`` differs from this manifest."""
        return [f"{name}: expected {getattr(self, name)!r}, found {getattr(other, name)!r}"
                for name in ("kind", "revision", "merchants", "transactions", "entries",
                             "ledger_sha256")
                if getattr(self, name) != getattr(other, name)]

    def with_file(self, path: Path) -> "Manifest":
        return replace(self, bytes=path.stat().st_size, file_sha256=file_sha256(path))


def applied_revision(connection: Connection) -> str:
    heads = MigrationContext.configure(connection).get_current_heads()
    return ", ".join(sorted(heads))


def describe(connection: Connection, kind: str, taken_at: str) -> Manifest:
    """The manifest of the database behind ``connection`` as that connection sees it."""
    digest = hashlib.sha256()
    entries = 0
    rows = connection.execution_options(yield_per=5000).execute(
        select(Entry.id, Entry.transaction_id, Entry.account_id, Entry.asset, Entry.amount)
        .order_by(Entry.id))
    for row in rows:
        digest.update(("%d:%d:%d:%s:%d\n" % tuple(row)).encode("utf-8"))
        entries += 1
    count = lambda model: connection.scalar(select(func.count()).select_from(model))  # noqa: E731
    return Manifest(kind=kind, revision=applied_revision(connection), merchants=count(Merchant),
                    transactions=count(LedgerTransaction), entries=entries,
                    ledger_sha256=digest.hexdigest(), taken_at=taken_at)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + MANIFEST_SUFFIX)


def read_manifest(backup: Path) -> Manifest | None:
    """The manifest beside ``backup``, or None when there is none (a file copied alone)."""
    path = manifest_path(backup)
    if not path.exists():
        return None
    try:
        return Manifest.from_line(path.read_text(encoding="utf-8").strip())
    except (ValueError, TypeError) as error:
        raise BackupError(f"{path} is not a readable backup manifest: {error}") from None


def check_file_against_manifest(backup: Path, manifest: Manifest) -> None:
    """Refuse a file whose size or SHA-256 differs from what was written (truncated, altered)."""
    size = backup.stat().st_size
    if manifest.bytes is not None and size != manifest.bytes:
        raise BackupError(f"{backup} has {size} bytes but its manifest says {manifest.bytes}: "
                          "the file is truncated or altered")
    if manifest.file_sha256 is not None and file_sha256(backup) != manifest.file_sha256:
        raise BackupError(f"{backup} does not match the SHA-256 in its manifest: the file is "
                          "corrupted or altered")


def write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    fsync_directory(path.parent)


def fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
