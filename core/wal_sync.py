"""SQLite commits reach the disk before the request goes on, but after the writer's turn.

With ``PRAGMA synchronous=FULL`` SQLite fsyncs the WAL inside COMMIT, while it still holds
the database's only write lock: every other writer waits for the disk as well (issue 11: a
quarter of the checkout's time in the writer's turn, 1 ms and more while the cores are busy).
Here connections run with ``synchronous=NORMAL`` (the WAL is written at COMMIT, not synced;
SQLite still syncs it before every checkpoint, and the database file after it) and the
committing thread fsyncs the WAL itself right after COMMIT: a write transaction of
``core.db.Database.write`` once its writer's turn is over, any other commit at once. A
request is answered only after that, so every answered write is on disk, as under FULL; what
changes is that the next writer works while this one waits for the disk, and that the two
workers' fsyncs can be one flush of the file system's journal.

Readers may see a commit a moment before it is on disk. After a power cut that commit can be
missing, but nobody was told it happened: its request had not been answered, and a retry
with its Idempotency-Key runs it again. A WAL frame survives only with every frame before it
(SQLite checks the chain of checksums on recovery), so no later commit survives without it.
"""
from __future__ import annotations

import logging
import os
import threading
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

log = logging.getLogger(__name__)

AFTER_COMMIT = "after_commit"  # synchronous=NORMAL, the WAL fsynced by the committing thread
FULL = "full"  # SQLite's synchronous=FULL: the fsync inside COMMIT, under the write lock
MODES = (AFTER_COMMIT, FULL)


class WalSync:
    """fsync of one SQLite database's WAL file after each commit on it, in this process."""

    def __init__(self, database_file: str) -> None:
        path = Path(database_file)
        self.wal_file = str(path.with_name(path.name + "-wal"))
        self.directory = str(path.parent)
        self.syncs = 0  # fsyncs done (for tests and diagnostics)
        self.directory_syncs = 0
        # The WAL file whose folder entry was synced, kept open: while it is, its inode
        # number cannot be given to a new WAL, and a link count of 0 says it was removed.
        self._synced_file: int | None = None
        self._closer: weakref.finalize | None = None
        self._local = threading.local()
        self._keeping = threading.Lock()
        _ALL.add(self)

    def committed(self) -> None:
        """A transaction was committed on this thread: sync now, or at the end of the
        ``deferred`` block this thread is in."""
        if getattr(self._local, "depth", 0):
            self._local.pending = True
        else:
            self.sync()

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Commits in this block are synced once, when it ends (nested blocks: the outermost)."""
        local = self._local
        depth = getattr(local, "depth", 0)
        local.depth = depth + 1
        try:
            yield
        finally:
            local.depth = depth
            if depth == 0 and getattr(local, "pending", False):
                local.pending = False
                self.sync()

    def sync(self) -> None:
        """fdatasync the WAL; the first time for a new WAL file, its folder as well (its
        name must survive a power cut too; SQLite does the same for a new WAL under FULL)."""
        try:
            fd = os.open(self.wal_file, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            # No WAL: SQLite checkpointed it into the database and removed it when its last
            # connection closed, syncing both first. Nothing of ours is left to sync.
            return
        try:
            _datasync(fd)
            with self._keeping:
                if not self._is_kept_file(fd):
                    _sync_directory(self.directory)
                    self.directory_syncs += 1
                    fd = self._keep(fd)
        except OSError:
            # The disk refused: what was committed may not be on it. The request must fail
            # (a retry with its Idempotency-Key is answered from the committed record).
            log.critical("fsync of %s failed: committed writes may not be on disk", self.wal_file)
            raise
        finally:
            if fd is not None:
                os.close(fd)
        self.syncs += 1

    def _is_kept_file(self, fd: int) -> bool:
        """Whether ``fd`` is the WAL file kept open (and that one is not removed)."""
        if self._synced_file is None:
            return False
        kept, now = os.fstat(self._synced_file), os.fstat(fd)
        return kept.st_nlink > 0 and (kept.st_dev, kept.st_ino) == (now.st_dev, now.st_ino)

    def _keep(self, fd: int) -> None:
        """Keep ``fd`` open as the synced WAL instead of the one kept before; None is left
        for the caller to close."""
        if self._closer is not None:
            self._closer()
        self._synced_file = fd
        self._closer = weakref.finalize(self, _close_quietly, fd)


_datasync = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync
_ALL: weakref.WeakSet = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for wal in list(_ALL):
        wal._keeping = threading.Lock()  # a thread holding it in the parent is not here


os.register_at_fork(after_in_child=_after_fork_in_child)


def _close_quietly(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


def _sync_directory(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def check_mode(mode: str) -> str:
    """``mode`` if it is one of MODES, else a ValueError naming them."""
    if mode not in MODES:
        raise ValueError(f"HUIKA_SQLITE_SYNC must be one of {', '.join(MODES)}, not {mode!r}")
    return mode
