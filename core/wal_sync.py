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
with its Idempotency-Key runs it again. What a write transaction read is on disk before its
own answer leaves too (its end syncs even when it committed nothing: a refusal, say), and a
replayed answer waits for the disk first (``core.db.Database.wait_for_disk``). A WAL frame
survives only with every frame before it (SQLite checks the chain of checksums on
recovery), so no later commit survives without it. A new or restarted WAL's header (and the
folder entry of a new one) SQLite syncs itself, under NORMAL too, before the first frames.

An fsync that fails leaves committed frames that may never reach the disk, and Linux does not
report that error to later fsyncs on other file descriptors: every later commit could be
lost with them. So a failure stops all writing to the file: this process refuses at once,
and a marker file beside the database (``<database>-fsync-failed``) stops every other process
and every restart until an operator has checked the disk and removed it.
"""
from __future__ import annotations

import errno
import logging
import os
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator

log = logging.getLogger(__name__)

AFTER_COMMIT = "after_commit"  # synchronous=NORMAL, the WAL fsynced by the committing thread
FULL = "full"  # SQLite's synchronous=FULL: the fsync inside COMMIT, under the write lock
MODES = (AFTER_COMMIT, FULL)
FAILURE_SUFFIX = "-fsync-failed"
MARKER_LOOK_SECONDS = 0.1  # another process's failure stops writes here within this time


class DiskFailure(OSError):
    """An fsync of the WAL failed (now or earlier): nothing more is written to this database."""


class WalSync:
    """fsync of one SQLite database's WAL file after each commit on it, in this process."""

    def __init__(self, database_file: str) -> None:
        self.watch(database_file)
        self.syncs = 0  # fsyncs done (for tests and diagnostics)
        self.failed: str | None = None  # why writing stopped, once an fsync failed
        self._next_look = 0.0  # time.monotonic() of the next look for the marker file
        self._local = threading.local()

    def watch(self, database_file: str) -> None:
        """Follow ``database_file``, as SQLite opened it (symbolic links resolved: SQLite
        keeps the WAL beside the real file)."""
        real = os.path.realpath(database_file)
        self.wal_file = real + "-wal"
        self.failure_file = real + FAILURE_SUFFIX

    def committed(self) -> None:
        """A transaction was committed on this thread: sync now, or at the end of the
        ``deferred`` block this thread is in."""
        if not getattr(self._local, "depth", 0):
            self.sync()

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """A block whose commits are synced once, when it ends (nested blocks: the
        outermost). It syncs even when nothing was committed: what it read may be another
        writer's commit still on its way to the disk, and its answer must not leave first."""
        local = self._local
        depth = getattr(local, "depth", 0)
        if depth == 0:
            self.check()  # refuse before writing anything
        local.depth = depth + 1
        try:
            yield
        finally:
            local.depth = depth
            if depth == 0:
                self.sync()

    def check(self) -> None:
        """Raise DiskFailure if an fsync of this database failed, here or in another process
        (whose marker file is looked for at most every MARKER_LOOK_SECONDS)."""
        now = time.monotonic()
        if self.failed is None and now >= self._next_look:
            self._next_look = now + MARKER_LOOK_SECONDS
            if os.path.exists(self.failure_file):
                self._read_marker()
        if self.failed is not None:
            raise DiskFailure(errno.EIO, f"writing stopped: {self.failed}; check the disk, then "
                              f"remove {self.failure_file} and restart (docs/operations.md)")

    def _read_marker(self) -> None:
        try:
            with open(self.failure_file, encoding="utf-8", errors="replace") as marker:
                self.failed = marker.read(500).strip() or "an fsync failed"
        except OSError as error:
            self.failed = f"an fsync failed ({error})"

    def sync(self) -> None:
        """fdatasync the WAL: every commit before it, from any process, is then on disk."""
        self.check()
        try:
            fd = os.open(self.wal_file, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            # No WAL: SQLite checkpointed it into the database and removed it when its last
            # connection closed, syncing both first. Nothing of ours is left to sync.
            return
        try:
            _datasync(fd)
        except OSError as error:
            self._stop(error)
            raise DiskFailure(errno.EIO, f"fsync of {self.wal_file} failed: {error}") from error
        finally:
            os.close(fd)
        self.syncs += 1

    def _stop(self, error: OSError) -> None:
        """Stop writing: in this process, and through the marker file in every other."""
        when = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.failed = f"{when}: fsync of {self.wal_file} failed: {error}"
        log.critical("%s; committed writes may not be on disk. Writing to this database stops "
                     "until the disk is checked and %s is removed", self.failed, self.failure_file)
        try:
            with open(self.failure_file, "a", encoding="utf-8") as marker:
                marker.write(self.failed + "\n")
        except OSError as marker_error:  # the disk is failing: this process stops all the same
            log.critical("cannot write %s: %s", self.failure_file, marker_error)


_datasync = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync


def check_mode(mode: str) -> str:
    """``mode`` if it is one of MODES, else a ValueError naming them."""
    if mode not in MODES:
        raise ValueError(f"HUIKA_SQLITE_SYNC must be one of {', '.join(MODES)}, not {mode!r}")
    return mode
