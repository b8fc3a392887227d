"""The scheduler inside the web server (``huika serve``) and on its own (``huika scheduler``).

Under gunicorn every worker starts a ``core.scheduling.Scheduler`` thread once it has built
its app (``post_worker_init``): the workers compete for the installation's scheduler lock and
one wins; the others stand by and try again every ``HUIKA_SCHEDULER_LOCK_RETRY_SECONDS``.
Workers come and go (reloads, timeouts, crashes): a worker that ends stops its scheduler
(``worker_exit``: the running job may finish for a few seconds, then the lock is given back);
one that is killed loses the lock with its process, and a standby takes over. The master
runs no scheduler: it forks the workers, and a thread there would be forked with them.
"""
from __future__ import annotations

import os

from core.scheduling import Scheduler

STOP_GRACE_SECONDS = 5.0  # a gunicorn worker's graceful timeout is 30 s; leave it most of that
_OFF = {"0", "off", "false", "no"}


def wanted() -> bool:
    """``HUIKA_SCHEDULER=off`` turns the embedded scheduler off (``huika serve --no-scheduler``)."""
    return os.environ.get("HUIKA_SCHEDULER", "on").strip().lower() not in _OFF


def scheduler_for(app, *, say=None, name: str = "scheduler") -> Scheduler:
    hk = app.extensions["huika"]
    return Scheduler(hk.db, hk.plugins, catch_up_days=app.config["HUIKA_JOB_CATCH_UP_DAYS"],
                     lock_retry=app.config["HUIKA_SCHEDULER_LOCK_RETRY_SECONDS"], say=say, name=name)


def start_in_worker(worker) -> None:
    """gunicorn: after the worker built its app."""
    name = f"scheduler (worker {os.getpid()})"
    worker.huika_scheduler = scheduler_for(worker.wsgi, say=worker.log.info, name=name).start()


def stop_in_worker(worker) -> None:
    """gunicorn: the worker is ending."""
    scheduler = getattr(worker, "huika_scheduler", None)
    if scheduler is not None:
        scheduler.stop(STOP_GRACE_SECONDS)
