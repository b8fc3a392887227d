"""``huika serve`` runs the scheduler (issue 14, item 7), on both databases: every gunicorn
worker competes for the lock, one leads and runs the jobs; when that worker is killed, another
worker (or its replacement) takes over, as after a reload (HUP); SIGTERM stops everything
cleanly.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from core.db import Database
from core.models import JobRun
from core.scheduling import lock_for
from tests.support.gunicorn import free_port, http_json
from tests.test_scheduler import wait_for

ROOT = Path(__file__).resolve().parents[1]
LEADING = re.compile(r"scheduler \(worker (\d+)\): leading \(took the lock\)")


def _leaders(log: Path) -> list[int]:
    return [int(pid) for pid in LEADING.findall(log.read_text(errors="replace"))]


def _answers(port: int) -> bool:
    try:
        return http_json(port, "GET", "/login", timeout=5)[0] == 200
    except OSError:
        return False


def test_serve_runs_one_scheduler_among_its_workers_and_another_takes_over(database_url, tmp_path):
    port = free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "DATABASE_URL": database_url, "HUIKA_INSTANCE_PATH": str(tmp_path / "instance"),
           "HUIKA_SCHEDULER_LOCK_RETRY_SECONDS": "1", "PYTHONPATH": str(ROOT)}
    env.pop("HUIKA_ENV", None)
    env.pop("HUIKA_SCHEDULER", None)
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "webui.cli", "serve", "--port", str(port),
                                    "--workers", "2", "--threads", "1", "--access-log", ""],
                                   cwd=tmp_path, env=env, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    db = Database.from_url(database_url)
    try:
        wait_for(lambda: _answers(port) or process.poll() is not None, timeout=90, what="huika serve")
        assert process.poll() is None, log.read_text()
        [leader] = wait_for(lambda: _leaders(log), what="a worker to lead")

        def fold_ran():
            with db.read() as session:
                return session.scalar(select(JobRun.status).where(JobRun.job_id == "core.rollups.fold"))

        assert wait_for(fold_ran, what="the rollup fold to run") in ("running", "done")
        assert lock_for(db).holder() not in (None, "nobody")
        time.sleep(1.5)  # the other worker tried the lock meanwhile, in vain
        assert _leaders(log) == [leader]
        os.kill(leader, signal.SIGKILL)  # gunicorn replaces the worker; someone takes the lock
        successors = wait_for(lambda: _leaders(log)[1:], timeout=20, what="another worker to lead")
        assert successors[0] != leader and len(successors) == 1
        assert _answers(port)
        os.kill(process.pid, signal.SIGHUP)  # a reload: new workers, the old ones stop theirs
        after_reload = wait_for(lambda: _leaders(log)[2:], timeout=30, what="a new worker to lead after HUP")
        assert after_reload[0] not in (leader, successors[0])
        assert "stopped" in log.read_text(errors="replace")
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0
        assert lock_for(db).holder() == "nobody"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(30)
        db.dispose()


def test_no_scheduler_leaves_the_workers_without_one():
    from webui.gunicorn_config import freeze_after_load, post_worker_init
    from webui.serving import ServeOptions, gunicorn_settings

    assert gunicorn_settings(ServeOptions())["post_worker_init"] is post_worker_init
    assert gunicorn_settings(ServeOptions(scheduler=False))["post_worker_init"] is freeze_after_load
