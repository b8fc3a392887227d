"""SQLite writers wait in a queue, across threads and processes, before BEGIN IMMEDIATE.

SQLite lets one writer in at a time; the others poll in its busy handler, sleeping 1, 2, 5 …
up to 100 ms between tries, so a waiter may sleep on long after the lock came free: with two
gunicorn workers that made the slowest checkouts take hundreds of milliseconds. A writer here
first takes this process's thread lock, then an exclusive ``flock`` on a lock file beside the
database (``<database>-writer.lock``, empty). The kernel wakes a waiting process as soon as
the holder lets go, and drops the lock when its holder's process dies (a crash or a SIGKILL
blocks nobody). Tools that do not take it (the sqlite3 shell, migrations) still meet SQLite's
own lock and busy handler, as before.

``flock`` cannot wait with a time limit, so a contended wait runs in a helper thread; a
writer that waited its whole time limit goes on without its turn (SQLite's busy handler
decides then, as before), and the helper gives the lock back when it finally gets it.
"""
from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

log = logging.getLogger(__name__)

LOCK_FILE_SUFFIX = "-writer.lock"

_IDLE, _WAITING, _ABANDONED, _HELD = "idle", "waiting", "abandoned", "held"
_HELPER_IDLE_SECONDS = 30.0  # a helper thread with nothing to wait for ends after this


def _close_quietly(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


class _FileTurn:
    """The cross-process part: ``flock(LOCK_EX)`` on one open file of this process.

    One caller at a time (the thread lock of WriterQueue is held around it). States:
    idle → held (uncontended), or idle → waiting → held (the helper thread got it), or
    waiting → abandoned (the caller gave up; the helper releases it once it gets it, unless
    the next caller adopts the wait first).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._reset()

    def _reset(self) -> None:
        self._fd: int | None = None
        self._closer: weakref.finalize | None = None
        self._state = _IDLE
        self._changed = threading.Condition()
        self._helper: threading.Thread | None = None
        self._broken = False

    def after_fork(self) -> None:
        """In a forked child: forget the parent's file and lock. Closing the inherited copy
        leaves the parent's lock alone (unlocking it would release the parent's)."""
        if self._closer is not None:
            self._closer()
        self._reset()

    def _open(self) -> bool:
        if self._fd is None and not self._broken:
            try:
                # Read-only is enough for flock; O_CREAT makes it on first use (mode 0666 & umask).
                self._fd = os.open(self.path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o666)
            except OSError as error:
                self._give_up(error)
            else:
                self._closer = weakref.finalize(self, _close_quietly, self._fd)
        return self._fd is not None and not self._broken

    def _give_up(self, error: OSError) -> None:
        self._broken = True
        log.warning("SQLite writer lock file %s unusable (%s): writers across processes wait "
                    "in SQLite's busy handler instead", self.path, error)

    def acquire(self, timeout: float) -> bool:
        with self._changed:
            if not self._open():
                return False
            if self._state == _IDLE:
                try:
                    fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    self._state = _HELD
                    return True
                except BlockingIOError:
                    pass
                except OSError as error:  # e.g. ENOLCK on a file system without flock
                    self._give_up(error)
                    return False
            # Contended (or a wait given up earlier is still on: adopt it).
            self._state = _WAITING
            self._start_helper()
            self._changed.notify_all()
            if self._changed.wait_for(lambda: self._state in (_HELD, _IDLE), timeout):
                return self._state == _HELD  # idle: the helper failed (broken)
            self._state = _ABANDONED
            return False

    def release(self) -> None:
        with self._changed:
            if self._state == _HELD:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                self._state = _IDLE

    def _start_helper(self) -> None:
        if self._helper is None:
            self._helper = threading.Thread(target=self._wait_for_turns, daemon=True,
                                            name=f"sqlite-writer-lock {self.path.name}")
            self._helper.start()

    def _wait_for_turns(self) -> None:
        changed = self._changed
        while True:
            with changed:
                if not changed.wait_for(lambda: self._state == _WAITING, _HELPER_IDLE_SECONDS):
                    self._helper = None  # the next contended turn starts a new one
                    return
                fd = self._fd
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)  # blocks without the GIL
            except OSError as error:
                with changed:
                    self._give_up(error)
                    self._state = _IDLE
                    self._helper = None
                    changed.notify_all()
                return
            with changed:
                if self._state == _WAITING:
                    self._state = _HELD
                    changed.notify_all()
                else:  # abandoned: nobody wants it now
                    fcntl.flock(fd, fcntl.LOCK_UN)
                    self._state = _IDLE


class WriterQueue:
    """This process's writers of one database, in turn; with a lock file, other processes' too.

    Reentrant in one thread: a nested turn only counts (the outermost one holds the file lock).
    """

    def __init__(self, lock_file: Path | None) -> None:
        self.lock_file = lock_file
        self._file = _FileTurn(lock_file) if lock_file is not None else None
        self._reset_threads()
        _QUEUES.add(self)

    def _reset_threads(self) -> None:
        self._threads = threading.RLock()
        self._depth = 0

    def _after_fork(self) -> None:
        self._reset_threads()  # a thread holding it in the parent does not exist here
        if self._file is not None:
            self._file.after_fork()

    @contextmanager
    def turn(self, timeout: float) -> Iterator[bool]:
        """Wait up to ``timeout`` seconds for this writer's turn; yields whether it got it
        (it goes on without it after the time limit)."""
        deadline = time.monotonic() + timeout
        mine = self._threads.acquire(timeout=timeout)
        file_held = False
        try:
            if mine:
                self._depth += 1
                if self._depth == 1 and self._file is not None:
                    file_held = self._file.acquire(max(0.0, deadline - time.monotonic()))
            yield mine and (file_held or self._file is None or self._depth > 1)
        finally:
            if file_held:
                self._file.release()
            if mine:
                self._depth -= 1
                self._threads.release()


_QUEUES: weakref.WeakSet = weakref.WeakSet()
_BY_FILE: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_BY_FILE_LOCK = threading.Lock()


def queue_for(database_file: str | None) -> WriterQueue:
    """The queue of ``database_file`` (a path; None for an in-memory database: threads only).

    One per file and process, shared by every Database object on it, so two of them in one
    process never wait for each other's file lock."""
    if not database_file:
        return WriterQueue(None)
    path = Path(database_file).resolve()
    key = str(path)
    with _BY_FILE_LOCK:
        queue = _BY_FILE.get(key)
        if queue is None:
            queue = _BY_FILE[key] = WriterQueue(path.with_name(path.name + LOCK_FILE_SUFFIX))
        return queue


def _after_fork_in_child() -> None:
    global _BY_FILE_LOCK
    _BY_FILE_LOCK = threading.Lock()
    for queue in list(_QUEUES):
        queue._after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)
