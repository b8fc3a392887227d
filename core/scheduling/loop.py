"""The scheduler loop: hold the lock, then call ``run_due`` whenever something is due.

A plain loop rather than APScheduler: what is due, what was missed and what already ran are
all decided by ``core.jobs.run_due`` from the ``job_runs`` table, so a second, in-memory
schedule (APScheduler's triggers, misfire grace times and coalescing) would only disagree
with it after a restart. The loop just sleeps until the next scheduled time.

Two lanes, each a thread: interval jobs (the message dispatcher, the rollup fold) and daily
jobs, so an hour-long nightly job never holds up the dispatcher. A lane sleeps until its
next scheduled time, at most ``idle_max`` seconds (failed runs come due for a retry, clocks
jump). Without the lock the scheduler is a standby: it tries again every ``lock_retry``
seconds, which bounds how long the installation goes without a scheduler when the holder
dies. ``stop()`` lets a running job finish (up to a time limit) and gives the lock back.
"""
from __future__ import annotations

import json
import logging
import threading
from datetime import datetime
from typing import Callable

from .. import clock
from ..db import Database
from ..jobs import DEFAULT_CATCH_UP_DAYS, Job, next_due, run_due
from .lock import SchedulerLock, lock_for

log = logging.getLogger(__name__)

LOCK_RETRY_SECONDS = 5.0
IDLE_MAX_SECONDS = 60.0
_AFTER_SLOT = 0.05  # wake just past a slot: a sleep may end a hair early
_AFTER_ERROR = 5.0  # the database was unreachable: wait before the next round


class Scheduler:
    def __init__(self, db: Database, registry, *, jobs: list[Job] | None = None,
                 catch_up_days: int = DEFAULT_CATCH_UP_DAYS, lock: SchedulerLock | None = None,
                 lock_retry: float = LOCK_RETRY_SECONDS, idle_max: float = IDLE_MAX_SECONDS,
                 now: Callable[[], datetime] | None = None, say: Callable[[str], None] | None = None,
                 name: str = "scheduler") -> None:
        self.db = db
        self.registry = registry
        jobs = list(registry.jobs() if jobs is None else jobs)
        self.lanes = {"interval": [j for j in jobs if j.is_interval], "daily": [j for j in jobs if not j.is_interval]}
        self.catch_up_days = catch_up_days
        self.lock = lock or lock_for(db)
        self.lock_retry = lock_retry
        self.idle_max = idle_max
        self.now = now or clock.now_utc
        self.say = say or log.info
        self.name = name
        self.leading = threading.Event()  # set while this scheduler holds the lock
        self._stop = threading.Event()
        self._grace = 25.0  # how long a stop waits for a running job (stop() sets it)
        self._thread: threading.Thread | None = None
        self._lanes: list[threading.Thread] = []

    # -- life cycle ---------------------------------------------------------------------

    def start(self) -> "Scheduler":
        """Run in a background (daemon) thread; returns at once."""
        self._thread = threading.Thread(target=self.run, name=f"huika-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop: no new runs; a run in progress may finish within ``timeout`` seconds. True if
        everything ended (then the lock is released); False leaves a run to the process's end."""
        self._grace = timeout
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self) -> None:
        """The loop (blocks until ``stop()``): stand by for the lock, then lead."""
        waiting_said = False
        while not self._stop.is_set():
            if not self.lock.try_acquire():
                if not waiting_said:
                    self.say(f"{self.name}: standing by (another scheduler holds the lock)")
                    waiting_said = True
                self._stop.wait(self.lock_retry)
                continue
            waiting_said = False
            self._lead()
        self.say(f"{self.name}: stopped")

    def _lead(self) -> None:
        self.say(f"{self.name}: leading (took the lock)")
        self.leading.set()
        term = threading.Event()  # ends this term: stop() or a lost lock
        self._lanes = [threading.Thread(target=self._lane, args=(lane, jobs, term), daemon=True,
                                        name=f"huika-{self.name}-{lane}")
                       for lane, jobs in self.lanes.items() if jobs]
        for thread in self._lanes:
            thread.start()
        while not self._stop.wait(min(self.lock_retry, self.idle_max)):
            if not self.lock.still_held():
                self.say(f"{self.name}: lost the lock; standing by")
                break
        term.set()
        finished = all(_join(thread, self._grace) for thread in self._lanes)
        self.leading.clear()
        if finished:
            self.lock.release()

    def _lane(self, lane: str, jobs: list[Job], term: threading.Event) -> None:
        while not term.is_set():
            delay = self.idle_max
            try:
                for result in run_due(self.db, self.registry, self.now(), jobs=jobs,
                                      catch_up_days=self.catch_up_days):
                    if lane == "daily" or result.get("status") == "failed":
                        self.say(f"{self.name}: " + _line(result))
                upcoming = next_due(jobs, self.now())
                if upcoming is not None:
                    delay = (upcoming - self.now()).total_seconds() + _AFTER_SLOT
            except Exception:  # noqa: BLE001 - the database is away, a bug: the lane lives on
                log.exception("%s: %s lane round failed", self.name, lane)
                delay = _AFTER_ERROR
            term.wait(max(_AFTER_SLOT, min(delay, self.idle_max)))


def _line(result: dict) -> str:
    """A run for the log: one short line, however many merchants it ran for."""
    shown = {key: result[key] for key in ("job", "period", "status", "skipped", "error") if key in result}
    if "merchants" in result:
        shown["merchants"] = len(result["merchants"])
    return json.dumps(shown, ensure_ascii=False, default=str)


def _join(thread: threading.Thread, timeout: float) -> bool:
    thread.join(timeout)
    return not thread.is_alive()
