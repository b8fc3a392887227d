"""What ``huika jobs status`` shows: each job's latest run, its failed runs, its next run."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from .clock import MERCHANT_TZ
from .db import Database
from .jobs import MAX_ATTEMPTS, Job
from .models import JobRun

FAILED_SHOWN = 5


def _local(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(MERCHANT_TZ).strftime("%Y-%m-%d %H:%M:%S")


def _run(run: JobRun) -> dict:
    return {"period": run.period, "scheduled_for": _local(run.scheduled_for), "status": run.status,
            "attempts": run.attempts, "started_at": _local(run.started_at),
            "finished_at": _local(run.finished_at), "error": run.error,
            "retry_at": _local(run.retry_at) if run.status == "failed" and run.attempts < MAX_ATTEMPTS else None}


def jobs_status(db: Database, jobs: list[Job], now: datetime) -> dict:
    """Times are merchant-local (Asia/Shanghai) text."""
    rows = []
    with db.read() as session:
        for job in jobs:
            newest = session.scalars(select(JobRun).where(JobRun.job_id == job.id)
                                     .order_by(JobRun.scheduled_for.desc()).limit(1)).first()
            failed = session.scalars(select(JobRun).where(JobRun.job_id == job.id, JobRun.status == "failed")
                                     .order_by(JobRun.scheduled_for.desc()).limit(FAILED_SHOWN)).all()
            rows.append({"job": job.id, "plugin": job.plugin, "schedule": job.schedule_text(),
                         "last": None if newest is None else _run(newest),
                         "failed": [_run(run) for run in failed], "next": _local(job.next_slot(now))})
    return {"now": _local(now), "jobs": rows}
