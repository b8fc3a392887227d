"""``run_due``: a scheduler tick on a frozen clock (issue 14, item 7), on both databases.

Daily jobs run once per merchant-local day with their scheduled time as ``now`` and catch up
missed days (bounded, oldest first); interval jobs coalesce; failed runs keep their error and
are retried after a backoff; concurrent ticks run each scheduled time once.
"""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.db import Database
from core.jobs import MAX_ATTEMPTS, Job, run_due, run_job, run_slot
from core.models import JobRun
from tests.support.clock import beijing
from tests.support.factories import basic_document, make_merchant


class Calls:
    """A job body that records each call's ``now`` (thread-safe) and can be told to fail."""

    def __init__(self, failures: int = 0, fail_for: set | None = None, pause: float = 0.0):
        self.nows = []
        self.failures = failures
        self.fail_for = fail_for or set()
        self.pause = pause
        self._lock = threading.Lock()

    def installation(self, db, registry, now):
        with self._lock:
            self.nows.append(now)
            failing = self.failures > 0
            self.failures -= 1
        if self.pause:
            threading.Event().wait(self.pause)
        if failing:
            raise RuntimeError("gateway down")
        return {"ran_at": now.isoformat()}

    def merchant(self, session, config, merchant_id, now):
        with self._lock:
            self.nows.append((merchant_id, now))
            if merchant_id in self.fail_for:
                self.fail_for.discard(merchant_id)
                raise RuntimeError(f"merchant {merchant_id} broke")
        return {"ok": True}


def _runs(db, job_id):
    with db.read() as session:
        return session.execute(select(JobRun.period, JobRun.scheduled_for, JobRun.status, JobRun.attempts,
                                      JobRun.error, JobRun.retry_at)
                               .where(JobRun.job_id == job_id).order_by(JobRun.scheduled_for)).all()


def test_a_daily_job_runs_once_per_local_day_with_its_scheduled_time(db, plugin_registry):
    calls = Calls()
    job = Job("test.daily", calls.installation, hour=3, minute=0, per_merchant=False)
    ran = run_due(db, plugin_registry, beijing("2026-12-06 03:00:02"), jobs=[job])
    assert [(r["period"], r["status"]) for r in ran] == [("2026-12-06", "done")]
    assert calls.nows == [beijing("2026-12-06 03:00")]  # the scheduled time, not the tick's
    assert run_due(db, plugin_registry, beijing("2026-12-06 23:59"), jobs=[job]) == []
    assert run_due(db, plugin_registry, beijing("2026-12-07 02:59"), jobs=[job]) == []
    assert [r["period"] for r in run_due(db, plugin_registry, beijing("2026-12-07 03:00"), jobs=[job])] == ["2026-12-07"]
    [first, second] = _runs(db, "test.daily")
    assert first.scheduled_for == beijing("2026-12-06 03:00") and first.status == "done" and first.attempts == 1


def test_three_missed_days_are_caught_up_oldest_first_each_with_its_own_day(db, plugin_registry):
    early, late = Calls(), Calls()
    jobs = [Job("test.late", late.installation, hour=9, per_merchant=False),
            Job("test.early", early.installation, hour=0, minute=10, per_merchant=False)]
    run_due(db, plugin_registry, beijing("2026-12-01 10:00"), jobs=jobs)
    # Down from the 1st at 10:00 until the 4th at 08:00.
    ran = run_due(db, plugin_registry, beijing("2026-12-04 08:00"), jobs=jobs)
    assert [(r["job"], r["period"]) for r in ran] == [
        ("test.early", "2026-12-02"), ("test.late", "2026-12-02"), ("test.early", "2026-12-03"),
        ("test.late", "2026-12-03"), ("test.early", "2026-12-04")]  # 09:00 on the 4th is not due yet
    assert early.nows[1:] == [beijing("2026-12-02 00:10"), beijing("2026-12-03 00:10"), beijing("2026-12-04 00:10")]
    assert late.nows[1:] == [beijing("2026-12-02 09:00"), beijing("2026-12-03 09:00")]
    assert run_due(db, plugin_registry, beijing("2026-12-04 08:30"), jobs=jobs) == []


def test_catch_up_goes_back_a_bounded_number_of_days(db, plugin_registry):
    calls = Calls()
    job = Job("test.daily", calls.installation, hour=3, per_merchant=False)
    run_due(db, plugin_registry, beijing("2026-11-01 04:00"), jobs=[job])
    ran = run_due(db, plugin_registry, beijing("2026-12-06 04:00"), jobs=[job], catch_up_days=3)
    assert [r["period"] for r in ran] == ["2026-12-03", "2026-12-04", "2026-12-05", "2026-12-06"]


def test_a_new_job_starts_with_its_latest_due_day_without_backfill(db, plugin_registry):
    calls = Calls()
    job = Job("test.daily", calls.installation, hour=3, per_merchant=False)
    ran = run_due(db, plugin_registry, beijing("2026-12-06 02:00"), jobs=[job])
    assert [r["period"] for r in ran] == ["2026-12-05"]  # 03:00 today has not come


def test_an_interval_job_coalesces_missed_slots_into_one_run(db, plugin_registry):
    calls = Calls()
    job = Job("test.dispatch", calls.installation, every=timedelta(seconds=30), per_merchant=False)
    first = run_due(db, plugin_registry, beijing("2026-12-06 10:00:05"), jobs=[job])
    assert [r["period"] for r in first] == ["2026-12-06 10:00:00"]
    assert calls.nows == [beijing("2026-12-06 10:00:05")]  # an interval run sees the tick's time
    assert run_due(db, plugin_registry, beijing("2026-12-06 10:00:29"), jobs=[job]) == []
    assert [r["period"] for r in run_due(db, plugin_registry, beijing("2026-12-06 10:00:30"), jobs=[job])] \
        == ["2026-12-06 10:00:30"]
    later = run_due(db, plugin_registry, beijing("2026-12-06 13:17:44"), jobs=[job])  # 3 h down
    assert [r["period"] for r in later] == ["2026-12-06 13:17:30"]
    assert len(calls.nows) == 3 and len(_runs(db, "test.dispatch")) == 3


def test_interval_runs_older_than_a_week_are_forgotten(db, plugin_registry):
    job = Job("test.dispatch", Calls().installation, every=timedelta(seconds=30), per_merchant=False)
    run_due(db, plugin_registry, beijing("2026-12-01 10:00"), jobs=[job])
    run_due(db, plugin_registry, beijing("2026-12-08 09:59"), jobs=[job])
    assert [r.period for r in _runs(db, "test.dispatch")] == ["2026-12-01 10:00:00", "2026-12-08 09:59:00"]
    run_due(db, plugin_registry, beijing("2026-12-08 10:01"), jobs=[job])
    assert [r.period for r in _runs(db, "test.dispatch")] == ["2026-12-08 09:59:00", "2026-12-08 10:01:00"]


def test_a_failed_run_keeps_its_error_and_is_retried_after_a_backoff(db, plugin_registry):
    calls = Calls(failures=2)
    job = Job("test.daily", calls.installation, hour=3, per_merchant=False)
    start = beijing("2026-12-06 03:00")
    [failed] = run_due(db, plugin_registry, start, jobs=[job])
    assert failed["status"] == "failed" and "gateway down" in failed["error"]
    [run] = _runs(db, "test.daily")
    assert (run.status, run.attempts, run.retry_at) == ("failed", 1, start + timedelta(minutes=1))
    assert "RuntimeError('gateway down')" in run.error
    assert run_due(db, plugin_registry, start + timedelta(seconds=59), jobs=[job]) == []
    [again] = run_due(db, plugin_registry, start + timedelta(minutes=1), jobs=[job])
    assert again["status"] == "failed"
    [run] = _runs(db, "test.daily")
    assert run.attempts == 2 and run.retry_at == start + timedelta(minutes=3)  # 1, then 2 minutes
    [done] = run_due(db, plugin_registry, start + timedelta(minutes=3), jobs=[job])
    assert done["status"] == "done"
    [run] = _runs(db, "test.daily")
    assert (run.status, run.attempts, run.error, run.retry_at) == ("done", 3, None, None)
    # Every retry ran with the day's scheduled time.
    assert calls.nows == [start, start, start]


def test_a_run_that_keeps_failing_stops_after_the_last_attempt_until_run_by_hand(db, plugin_registry):
    calls = Calls(failures=MAX_ATTEMPTS + 1)
    job = Job("test.daily", calls.installation, hour=3, per_merchant=False)
    moment = beijing("2026-12-06 03:00")
    for _ in range(MAX_ATTEMPTS + 2):
        run_due(db, plugin_registry, moment, jobs=[job])
        moment += timedelta(hours=1)
    [run] = _runs(db, "test.daily")
    assert (run.status, run.attempts) == ("failed", MAX_ATTEMPTS) and len(calls.nows) == MAX_ATTEMPTS
    by_hand = run_slot(db, plugin_registry, job, beijing("2026-12-06 03:00"))
    assert by_hand["skipped"] == "failed, attempts used up"
    forced = run_slot(db, plugin_registry, job, beijing("2026-12-06 03:00"), force=True)
    assert forced["status"] == "failed"  # the last planned failure
    assert run_slot(db, plugin_registry, job, beijing("2026-12-06 03:00"), force=True)["status"] == "done"


def test_a_retry_runs_only_the_merchants_that_failed(hk):
    shop = make_merchant(hk, "好店", basic_document())
    broken = make_merchant(hk, "坏店", basic_document())
    calls = Calls(fail_for={broken.id})
    job = Job("test.care", calls.merchant, hour=9, plugin="core")
    start = beijing("2026-12-06 09:00")
    [first] = run_due(hk.db, hk.plugins, start, jobs=[job])
    assert first["status"] == "failed"
    assert first["merchants"][str(shop.id)] == {"ok": True} and "broke" in first["merchants"][str(broken.id)]["error"]
    [retry] = run_due(hk.db, hk.plugins, start + timedelta(minutes=1), jobs=[job])
    assert retry["status"] == "done"
    assert retry["merchants"] == {str(shop.id): {"ok": True}, str(broken.id): {"ok": True}}
    assert calls.nows == [(shop.id, start), (broken.id, start), (broken.id, start)]


def test_a_manual_run_makes_the_scheduled_one_a_no_op_and_force_repeats_it(db, plugin_registry):
    calls = Calls()
    job = Job("test.daily", calls.installation, hour=3, per_merchant=False)
    by_hand = run_job(db, plugin_registry, job, beijing("2026-12-06 01:00"))  # before its time, by hand
    assert by_hand["status"] == "done" and by_hand["period"] == "2026-12-06"
    assert run_due(db, plugin_registry, beijing("2026-12-06 03:00"), jobs=[job]) == []
    assert run_job(db, plugin_registry, job, beijing("2026-12-06 05:00"))["skipped"] == "already ran"
    assert run_job(db, plugin_registry, job, beijing("2026-12-06 05:00"), force=True)["status"] == "done"
    assert len(calls.nows) == 2 and len(_runs(db, "test.daily")) == 1


def test_a_job_whose_hour_changed_does_not_run_twice_that_day(db, plugin_registry):
    calls = Calls()
    run_due(db, plugin_registry, beijing("2026-12-06 09:30"),
            jobs=[Job("test.daily", calls.installation, hour=9, per_merchant=False)])
    earlier = Job("test.daily", calls.installation, hour=3, per_merchant=False)
    assert run_due(db, plugin_registry, beijing("2026-12-06 10:00"), jobs=[earlier]) == []
    assert [r["period"] for r in run_due(db, plugin_registry, beijing("2026-12-07 03:00"), jobs=[earlier])] \
        == ["2026-12-07"]
    assert len(calls.nows) == 2


def test_a_run_by_hand_for_a_later_time_does_not_hide_the_days_before_it(db, plugin_registry):
    calls = Calls()
    job = Job("test.daily", calls.installation, hour=3, per_merchant=False)
    run_due(db, plugin_registry, beijing("2026-12-05 04:00"), jobs=[job])
    run_job(db, plugin_registry, job, beijing("2026-12-20 04:00"))  # `huika jobs run --at` the future
    assert [r["period"] for r in run_due(db, plugin_registry, beijing("2026-12-06 04:00"), jobs=[job])] \
        == ["2026-12-06"]


def test_a_run_abandoned_by_a_dead_scheduler_is_run_again_once_stale(db, plugin_registry):
    state = {"die": True}

    def dies_once(db_, registry, now):
        if state.pop("die", False):
            raise SystemExit("killed mid-run")  # not an Exception: nothing records the end
        return {"ok": True}

    job = Job("test.daily", dies_once, hour=3, per_merchant=False)
    with pytest.raises(SystemExit):
        run_due(db, plugin_registry, beijing("2026-12-06 03:00"), jobs=[job])
    [run] = _runs(db, "test.daily")
    assert run.status == "running"
    assert run_due(db, plugin_registry, beijing("2026-12-06 03:05"), jobs=[job]) == []  # maybe still running
    [again] = run_due(db, plugin_registry, beijing("2026-12-06 03:05"), jobs=[job], stale_after=timedelta(0))
    assert again["status"] == "done"
    [run] = _runs(db, "test.daily")
    assert (run.status, run.attempts) == ("done", 2)


def test_concurrent_ticks_run_each_scheduled_time_once(database_url, plugin_registry):
    daily, interval = Calls(pause=0.05), Calls(pause=0.05)
    jobs = [Job("test.daily", daily.installation, hour=3, per_merchant=False),
            Job("test.dispatch", interval.installation, every=timedelta(seconds=30), per_merchant=False)]
    setup = Database.from_url(database_url)
    run_due(setup, plugin_registry, beijing("2026-12-01 04:00"), jobs=jobs)
    setup.dispose()
    start = threading.Barrier(4)
    errors = []

    def tick():
        database = Database.from_url(database_url)
        try:
            start.wait()
            run_due(database, plugin_registry, beijing("2026-12-04 04:00:10"), jobs=jobs)  # 3 days missed
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            database.dispose()

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(daily.nows) == [beijing("2026-12-01 03:00"), beijing("2026-12-02 03:00"),
                                  beijing("2026-12-03 03:00"), beijing("2026-12-04 03:00")]
    assert len(interval.nows) == 2  # the first tick's slot and one coalesced catch-up


def test_the_core_registers_its_own_jobs_once_through_the_builtin_hook(plugin_registry):
    """The core's jobs come from core/builtin_jobs.py through one ``register_jobs`` in
    core/builtin_hooks.py; a second ``def register_jobs`` there (a merge of two branches)
    would silently replace the first, so no function may be defined twice in that module."""
    import ast
    from collections import Counter
    from pathlib import Path

    import core.builtin_hooks

    tree = ast.parse(Path(core.builtin_hooks.__file__).read_text(encoding="utf-8"))
    names = Counter(node.name for node in tree.body if isinstance(node, ast.FunctionDef))
    assert [name for name, times in names.items() if times > 1] == []
    core_jobs = [job for job in plugin_registry.jobs() if job.plugin == "core"]
    assert "core.rollups.fold" in {job.id for job in core_jobs}
    assert len({job.id for job in plugin_registry.jobs()}) == len(plugin_registry.jobs())  # ids unique
