"""One scheduler per installation (issue 14, item 7), on both databases: the lock (a file lock
beside SQLite, a PostgreSQL advisory lock) between real processes, takeover after a SIGKILL,
the loop's lanes and its graceful stop.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from core.db import Database
from core.jobs import Job
from core.models import JobRun
from core.scheduling import Scheduler, lock_for

ROOT = Path(__file__).resolve().parents[1]


def wait_for(predicate, timeout: float = 30.0, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _done_runs(db, job_id: str) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(JobRun.period).where(JobRun.job_id == job_id, JobRun.status == "done")))


def test_the_lock_admits_one_holder_until_it_lets_go(database_url, db):
    other_db = Database.from_url(database_url)
    try:
        first, second = lock_for(db), lock_for(other_db)
        assert first.holder() == "nobody"
        assert first.try_acquire() and first.try_acquire()  # taking it again is fine
        assert not second.try_acquire()
        assert second.holder() not in (None, "nobody")
        assert first.still_held()
        first.release()
        assert second.try_acquire()
        assert not first.try_acquire()
        second.release()
        assert first.holder() == "nobody"
    finally:
        other_db.dispose()


def test_the_sqlite_lock_file_lies_beside_the_database(tmp_path, plugin_registry):
    db = Database.from_url(f"sqlite:///{tmp_path / 'shop.sqlite'}")
    lock = lock_for(db)
    assert lock.try_acquire()
    assert (tmp_path / "shop.sqlite-scheduler.lock").exists()
    lock.release()
    db.dispose()


class Ticks:
    def __init__(self, pause: float = 0.0):
        self.nows = []
        self.pause = pause
        self.finished = 0

    def __call__(self, db, registry, now):
        self.nows.append(now)
        time.sleep(self.pause)
        self.finished += 1
        return {}


def test_the_loop_runs_interval_jobs_at_their_slots_and_stops_with_the_lock_released(db, plugin_registry):
    ticks = Ticks()
    job = Job("test.tick", ticks, every=timedelta(seconds=1), per_merchant=False)
    said = []
    scheduler = Scheduler(db, plugin_registry, jobs=[job], lock_retry=0.2, say=said.append).start()
    wait_for(lambda: len(ticks.nows) >= 3, what="three ticks")
    assert scheduler.stop(5)
    assert lock_for(db).holder() == "nobody"
    periods = _done_runs(db, "test.tick")
    assert len(periods) == len(set(periods)) == len(ticks.nows)
    assert said[0].endswith("leading (took the lock)") and said[-1].endswith("stopped")


def test_a_stop_lets_the_running_job_finish(db, plugin_registry):
    ticks = Ticks(pause=1.0)
    job = Job("test.slow", ticks, hour=3, per_merchant=False)
    scheduler = Scheduler(db, plugin_registry, jobs=[job], lock_retry=0.2).start()
    wait_for(lambda: ticks.nows, what="the job to start")
    assert scheduler.stop(10)
    assert ticks.finished == 1
    with db.read() as session:
        assert session.scalar(select(JobRun.status).where(JobRun.job_id == "test.slow")) == "done"


def test_a_standby_scheduler_takes_over_when_the_leader_stops(database_url, db, plugin_registry):
    other_db = Database.from_url(database_url)
    ticks = Ticks()
    job = Job("test.tick", ticks, every=timedelta(seconds=1), per_merchant=False)
    leader = Scheduler(db, plugin_registry, jobs=[job], lock_retry=0.2).start()
    wait_for(leader.leading.is_set, what="the leader")
    standby = Scheduler(other_db, plugin_registry, jobs=[job], lock_retry=0.2).start()
    time.sleep(0.5)
    assert not standby.leading.is_set()
    assert leader.stop(5)
    wait_for(standby.leading.is_set, timeout=5, what="the standby to lead")
    assert standby.stop(5)
    other_db.dispose()


# -- real processes ------------------------------------------------------------------------

def _start_scheduler(database_url: str, tmp_path: Path, name: str) -> tuple[subprocess.Popen, Path]:
    log = tmp_path / f"{name}.log"
    env = {**os.environ, "DATABASE_URL": database_url, "HUIKA_INSTANCE_PATH": str(tmp_path / "instance"),
           "HUIKA_SCHEDULER_LOCK_RETRY_SECONDS": "1", "PYTHONPATH": str(ROOT)}
    env.pop("HUIKA_ENV", None)
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "webui.cli", "scheduler"], cwd=tmp_path, env=env,
                                   stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    return process, log


def _said(log: Path, text: str) -> bool:
    return text in log.read_text(errors="replace")


def test_two_scheduler_processes_one_leads_and_the_other_takes_over_after_a_sigkill(database_url, db, tmp_path):
    first, first_log = _start_scheduler(database_url, tmp_path, "first")
    second = None
    try:
        wait_for(lambda: _said(first_log, "leading (took the lock)"), what="the first scheduler to lead")
        second, second_log = _start_scheduler(database_url, tmp_path, "second")
        wait_for(lambda: _said(second_log, "standing by"), what="the second scheduler to stand by")
        wait_for(lambda: _done_runs(db, "core.rollups.fold"), what="the fold to run")
        assert lock_for(db).holder() not in (None, "nobody")
        time.sleep(1.5)  # the standby tried the lock again meanwhile, in vain
        assert not _said(second_log, "leading")
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
        took_over = time.monotonic()
        wait_for(lambda: _said(second_log, "leading (took the lock)"), timeout=10, what="the takeover")
        assert time.monotonic() - took_over < 5  # bounded by the lock retry (1 s here) plus a round
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0
        assert _said(second_log, "stopped")
        assert lock_for(db).holder() == "nobody"
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


def _huika(*args: str):
    """``huika ARGS`` in this process, as the console script runs it (a fresh ``obj``)."""
    from click.testing import CliRunner

    from webui.cli import cli

    obj: dict = {}
    result = CliRunner().invoke(cli, list(args), obj=obj)
    if "app" in obj:
        obj["app"].extensions["huika"].db.dispose()
    return result


def test_jobs_commands_run_by_hand_list_and_report(database_url, db, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("HUIKA_INSTANCE_PATH", str(tmp_path / "instance"))
    result = _huika("jobs", "run", "points.expire_points", "--for", "2026-01-02")
    assert result.exit_code == 0, result.output
    assert '"period": "2026-01-02"' in result.output and '"status": "done"' in result.output
    assert '"skipped": "already ran"' in _huika("jobs", "run", "points.expire_points", "--for", "2026-01-02").output
    bad = _huika("jobs", "run", "points.expire_points", "--for", "2026-13-02")
    assert bad.exit_code == 2 and "error: --for" in bad.output and "Traceback" not in bad.output
    future = _huika("jobs", "run", "points.expire_points", "--for", "2999-01-01")
    assert future.exit_code == 2 and "not yet" in future.output
    unknown = _huika("jobs", "run", "no.such_job")
    assert unknown.exit_code == 2 and "no job 'no.such_job'" in unknown.output
    interval = _huika("jobs", "run", "core.rollups.fold", "--for", "2026-01-02")
    assert interval.exit_code == 2 and "daily job" in interval.output
    status = _huika("jobs", "status")
    assert status.exit_code == 0
    assert status.output.startswith("scheduler lock: held by nobody")
    assert re.search(r"points\.expire_points\s+daily 00:10\s+last: 2026-01-02 done", status.output)
    as_json = json.loads(_huika("jobs", "status", "--json").output)
    assert as_json["scheduler_lock"] == "nobody"
    [points] = [row for row in as_json["jobs"] if row["job"] == "points.expire_points"]
    assert points["last"]["status"] == "done" and points["failed"] == [] and points["plugin"] == "points"
    listed = _huika("jobs", "list")
    assert re.search(r"core\.rollups\.fold\s+every 60 s\s+core", listed.output)
