"""Scheduled jobs (DESIGN.md "Jobs"): plain functions of ``now``, run once per scheduled time.

A job is daily (at a merchant-local hour and minute) or runs at an interval (``every``).
``Job.per_merchant`` jobs run ``func(session, config, merchant_id, now)`` once for every
merchant whose published configuration enables the job's plugin (core jobs: every merchant),
each merchant in its own transaction; installation jobs run ``func(db, registry, now)`` once.

Every run is a ``job_runs`` row keyed by ``(job_id, scheduled_for)`` under a unique
constraint, inserted before the job runs: a second scheduler, a restart or a manual run for
the same scheduled time does nothing. ``run_due(db, registry, now)`` is one scheduler tick
(core.scheduling only calls it); tests call it, and ``run_job``, with a frozen ``now``.

Policy (docs/operations.md, "Scheduled jobs"):

- Daily jobs missed while nothing ran are caught up, oldest first, for at most
  ``catch_up_days`` days back; each run gets its scheduled time as ``now``, so a missed day's
  reminders are that day's. A job that never ran starts with its latest due day (no backfill).
- Interval jobs coalesce: a tick runs only the latest due slot, however many were missed.
- A failed daily run (any merchant failed, or the job raised) keeps its error and is tried
  again by a later tick after a backoff (1, 2, 4, 8 minutes), ``MAX_ATTEMPTS`` times in all,
  only for the merchants that failed; then it stays failed until ``huika jobs run ID --for
  DAY``. A failed interval run is not repeated: the next slot is its retry.
- A run still "running" after ``STALE_AFTER`` belongs to a process that died: it is run again.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Callable, Iterable

from sqlalchemy import delete, func as sql, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import clock
from .clock import MERCHANT_TZ, local_date
from .config_versions import published_config
from .db import Database
from .merchant_config import MerchantConfig
from .models import JobRun, Merchant

log = logging.getLogger(__name__)

CORE = "core"  # the ``plugin`` of the core's own jobs: they run for every merchant
DEFAULT_CATCH_UP_DAYS = 7
MAX_ATTEMPTS = 5
RETRY_BASE = timedelta(minutes=1)
STALE_AFTER = timedelta(hours=1)
KEEP_INTERVAL_RUNS = timedelta(days=7)  # older rows of interval jobs are deleted by the ticks
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ERROR_CHARACTERS = 4000


@dataclass
class Job:
    """A scheduled job. Daily: ``Job(id, func, hour=3, minute=0)``; interval:
    ``Job(id, func, every=timedelta(seconds=30), per_merchant=False)``."""

    id: str  # unique, e.g. "points.expire_points"
    # per merchant: (session, config, merchant_id, now) -> dict; installation: (db, registry, now) -> dict
    func: Callable[..., dict | None]
    hour: int = 3  # merchant-local time of a daily run
    minute: int = 0
    description: str = ""
    plugin: str = ""  # filled in by the registry ("core" for the core's own jobs)
    every: timedelta | None = None  # an interval job: runs at every multiple of this since the epoch
    per_merchant: bool = True
    _seconds: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        if not (0 <= self.hour <= 23 and 0 <= self.minute <= 59):
            raise ValueError(f"job {self.id!r}: hour 0-23 and minute 0-59, not {self.hour}:{self.minute}")
        if self.every is not None:
            seconds = self.every.total_seconds()
            if seconds < 1 or seconds != int(seconds):
                raise ValueError(f"job {self.id!r}: every must be whole seconds, at least 1")
            self._seconds = int(seconds)

    @property
    def is_interval(self) -> bool:
        return self.every is not None

    def schedule_text(self) -> str:
        if self.is_interval:
            return f"every {self._seconds} s"
        return f"daily {self.hour:02d}:{self.minute:02d}"

    def slot_on(self, day: date) -> datetime:
        """A daily job's scheduled instant (UTC) on the merchant-local ``day``."""
        local = datetime(day.year, day.month, day.day, self.hour, self.minute, tzinfo=MERCHANT_TZ)
        return local.astimezone(timezone.utc)

    def slot_of(self, moment: datetime) -> datetime:
        """The scheduled time a run at ``moment`` belongs to: its local day's (daily), or the
        latest slot at or before it (interval)."""
        if self.is_interval:
            elapsed = int((moment - _EPOCH).total_seconds())
            return _EPOCH + timedelta(seconds=elapsed - elapsed % self._seconds)
        return self.slot_on(local_date(moment))

    def latest_slot(self, now: datetime) -> datetime:
        """The newest scheduled time at or before ``now``."""
        slot = self.slot_of(now)
        return slot if slot <= now else self.slot_on(local_date(now) - timedelta(days=1))

    def next_slot(self, now: datetime) -> datetime:
        """The first scheduled time after ``now``."""
        if self.is_interval:
            return self.slot_of(now) + timedelta(seconds=self._seconds)
        slot = self.slot_of(now)
        return slot if slot > now else self.slot_on(local_date(now) + timedelta(days=1))

    def period_of(self, slot: datetime) -> str:
        """How people name a scheduled time: the local date, or the local time of a slot."""
        if self.is_interval:
            return slot.astimezone(MERCHANT_TZ).strftime("%Y-%m-%d %H:%M:%S")
        return local_date(slot).isoformat()


# -- one run ------------------------------------------------------------------------------

@dataclass
class _Claim:
    run_id: int
    redo: set[str] | None  # a retry: only these merchants (None: all)
    earlier: dict  # what the earlier attempts returned, kept for the merchants not redone


def _claim(db: Database, job: Job, slot: datetime, now: datetime, *, force: bool = False,
           stale_after: timedelta = STALE_AFTER) -> _Claim | str:
    """Take the run of ``job`` at ``slot``: a new row, or a failed (or abandoned) one to try
    again. Returns why not (a string) when the run is done or someone else has it."""
    period = job.period_of(slot)
    with db.write() as session:
        existing = session.scalar(select(JobRun).where(JobRun.job_id == job.id, JobRun.period == period))
        if existing is None:
            try:
                with session.begin_nested():
                    run = JobRun(job_id=job.id, period=period, scheduled_for=slot, status="running",
                                 attempts=1, summary={}, started_at=clock.now_utc())
                    session.add(run)
                    session.flush()
            except IntegrityError:
                return "already running elsewhere"
            return _Claim(run.id, None, {})
        if existing.status == "done" and not force:
            return "already ran"
        if existing.status == "running" and existing.started_at > clock.now_utc() - stale_after:
            return "already running elsewhere"
        if existing.status == "failed" and not force and (
                existing.attempts >= MAX_ATTEMPTS or (existing.retry_at and existing.retry_at > now)):
            return "failed, retry later" if existing.attempts < MAX_ATTEMPTS else "failed, attempts used up"
        was_failed, earlier = existing.status == "failed", dict(existing.summary or {})
        # Taken over only if nobody else took it since we read it (two tickers at once).
        taken = session.execute(
            update(JobRun).where(JobRun.id == existing.id, JobRun.status == existing.status,
                                 JobRun.attempts == existing.attempts)
            .values(status="running", attempts=existing.attempts + 1, started_at=clock.now_utc(),
                    finished_at=None, retry_at=None)).rowcount
        if taken != 1:
            return "already running elsewhere"
        redo = None
        if was_failed and not force and "merchants" in earlier:
            redo = {key for key, result in earlier["merchants"].items()
                    if isinstance(result, dict) and "error" in result}
        return _Claim(existing.id, redo, earlier)


def _run_claimed(db: Database, registry, job: Job, claim: _Claim, run_now: datetime, tick_now: datetime) -> dict:
    errors: list[str] = []
    if job.per_merchant:
        kept = (claim.earlier.get("merchants") or {}) if claim.redo is not None else {}
        merchants = {key: result for key, result in kept.items() if key not in claim.redo}
        merchants.update(_each_merchant(db, registry, job, run_now, claim.redo, errors))
        summary = {"merchants": merchants}
    else:
        try:
            summary = {"result": job.func(db, registry, run_now) or {}}
        except Exception as error:  # noqa: BLE001 - recorded on the run
            log.exception("job %s failed", job.id)
            errors.append(repr(error))
            summary = {"result": {"error": repr(error)}}
    status = "failed" if errors else "done"
    values = dict(status=status, summary=summary, finished_at=clock.now_utc(),
                  error="; ".join(errors)[:_ERROR_CHARACTERS] if errors else None, retry_at=None)
    with db.write() as session:
        if errors and not job.is_interval:
            attempts = session.scalar(select(JobRun.attempts).where(JobRun.id == claim.run_id)) or 1
            values["retry_at"] = tick_now + RETRY_BASE * (2 ** (attempts - 1))
        session.execute(update(JobRun).where(JobRun.id == claim.run_id).values(**values))
    return {"status": status, **summary, **({"error": values["error"]} if errors else {})}


def _each_merchant(db: Database, registry, job: Job, now: datetime, only: set[str] | None,
                   errors: list[str]) -> dict:
    results: dict = {}
    with db.read() as session:
        merchant_ids = list(session.scalars(select(Merchant.id).order_by(Merchant.id)))
    for merchant_id in merchant_ids:
        if only is not None and str(merchant_id) not in only:
            continue
        try:
            with db.write() as session:  # one transaction per merchant: one failure stays local
                config: MerchantConfig = published_config(session, merchant_id, registry)
                if job.plugin and job.plugin != CORE and not config.is_enabled(job.plugin):
                    continue
                results[str(merchant_id)] = job.func(session, config, merchant_id, now) or {}
        except Exception as error:  # noqa: BLE001 - recorded, the other merchants still run
            log.exception("job %s failed for merchant %s", job.id, merchant_id)
            errors.append(f"merchant {merchant_id}: {error!r}")
            results[str(merchant_id)] = {"error": repr(error)}
    return results


def run_slot(db: Database, registry, job: Job, slot: datetime, *, force: bool = False) -> dict:
    """Run ``job`` for its scheduled time ``slot`` once (``huika jobs run ID --for DAY``),
    passing ``slot`` as ``now`` as the scheduler would; ``force`` runs a finished one again."""
    claim = _claim(db, job, slot, clock.now_utc(), force=force)
    head = {"job": job.id, "period": job.period_of(slot), "scheduled_for": slot.isoformat()}
    if isinstance(claim, str):
        return {**head, "skipped": claim}
    return {**head, **_run_claimed(db, registry, job, claim, slot, clock.now_utc())}


def run_job(db: Database, registry, job: Job, now: datetime, *, force: bool = False) -> dict:
    """Run ``job`` once for the scheduled time ``now`` falls in (a daily job: ``now``'s local
    day), passing ``now`` itself; ``force`` runs a finished day again."""
    slot = job.slot_of(now)
    claim = _claim(db, job, slot, now, force=force)
    head = {"job": job.id, "period": job.period_of(slot), "scheduled_for": slot.isoformat()}
    if isinstance(claim, str):
        return {**head, "skipped": claim}
    return {**head, **_run_claimed(db, registry, job, claim, now, now)}


# -- a tick -------------------------------------------------------------------------------

def due_slots(db: Database, job: Job, now: datetime, *, catch_up_days: int = DEFAULT_CATCH_UP_DAYS,
              stale_after: timedelta = STALE_AFTER) -> list[datetime]:
    """The scheduled times of ``job`` a tick at ``now`` should run, oldest first."""
    latest = job.latest_slot(now)
    with db.read() as session:
        # Runs recorded for later times (``huika jobs run --at`` a future moment) do not count.
        last = session.scalar(select(sql.max(JobRun.scheduled_for))
                              .where(JobRun.job_id == job.id, JobRun.scheduled_for <= latest))
        if job.is_interval:
            return [] if last == latest else [latest]
        oldest = job.slot_on(local_date(now) - timedelta(days=catch_up_days))
        recorded = {row.period: row for row in session.execute(
            select(JobRun.period, JobRun.status, JobRun.attempts, JobRun.retry_at, JobRun.started_at)
            .where(JobRun.job_id == job.id, JobRun.scheduled_for >= oldest - timedelta(days=1)))}
    slots: set[datetime] = set()
    if last is None:
        candidates = [latest]  # a new job (or installation) starts now: nothing to catch up
    else:
        day, candidates = max(local_date(last) + timedelta(days=1), local_date(oldest)), []
        while (slot := job.slot_on(day)) <= latest:
            candidates.append(slot)
            day += timedelta(days=1)
    # A day already recorded (under another hour, if the job's hour changed) is not new.
    slots.update(slot for slot in candidates if job.period_of(slot) not in recorded)
    real_now = clock.now_utc()
    for period, status, attempts, retry_at, started_at in recorded.values():
        if status == "done" or len(period) != 10:  # done, or a run from when the job had an interval
            continue
        day = date.fromisoformat(period)
        if day < local_date(oldest) or job.slot_on(day) > latest:
            continue
        if status == "failed" and attempts < MAX_ATTEMPTS and (retry_at is None or retry_at <= now):
            slots.add(job.slot_on(day))
        elif status == "running" and started_at <= real_now - stale_after:
            slots.add(job.slot_on(day))
    return sorted(slots)


def run_due(db: Database, registry, now: datetime, *, jobs: Iterable[Job] | None = None,
            catch_up_days: int = DEFAULT_CATCH_UP_DAYS, stale_after: timedelta = STALE_AFTER) -> list[dict]:
    """One scheduler tick at ``now``: run every due run of ``jobs`` (default: all) once,
    oldest scheduled time first; returns what each run did."""
    jobs = list(registry.jobs() if jobs is None else jobs)
    due = []
    for job in jobs:
        for slot in due_slots(db, job, now, catch_up_days=catch_up_days, stale_after=stale_after):
            due.append((slot, job.id, job))
    results = []
    for slot, _job_id, job in sorted(due, key=lambda item: item[:2]):
        claim = _claim(db, job, slot, now, stale_after=stale_after)
        head = {"job": job.id, "period": job.period_of(slot), "scheduled_for": slot.isoformat()}
        if isinstance(claim, str):
            results.append({**head, "skipped": claim})
            continue
        # A daily run sees its scheduled time (a missed day's reminders are that day's);
        # an interval run the tick's time (what is due now).
        run_now = now if job.is_interval else slot
        results.append({**head, **_run_claimed(db, registry, job, claim, run_now, now)})
    _forget_old_interval_runs(db, [job for job in jobs if job.is_interval], now)
    return results


def next_due(jobs: Iterable[Job], now: datetime) -> datetime | None:
    """When the next of ``jobs`` is scheduled after ``now`` (None without jobs)."""
    return min((job.next_slot(now) for job in jobs), default=None)


def _forget_old_interval_runs(db: Database, jobs: list[Job], now: datetime) -> None:
    """Interval jobs add a row every few seconds: keep a week of them, in small deletes."""
    if not jobs:
        return
    horizon = now - KEEP_INTERVAL_RUNS
    with db.read() as session:
        stale = [job.id for job in jobs if session.scalar(
            select(JobRun.id).where(JobRun.job_id == job.id, JobRun.scheduled_for < horizon).limit(1))]
    for job_id in stale:
        with db.write() as session:
            session.execute(delete(JobRun).where(JobRun.job_id == job_id, JobRun.scheduled_for < horizon))


def runs_of(session: Session, job_id: str, *, limit: int = 10) -> list[JobRun]:
    """The newest runs of a job, newest first (``huika jobs status``)."""
    return list(session.scalars(select(JobRun).where(JobRun.job_id == job_id)
                                .order_by(JobRun.scheduled_for.desc()).limit(limit)))
