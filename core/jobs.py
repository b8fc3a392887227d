"""Scheduled jobs (DESIGN.md "Jobs"): plain functions of ``now``, run once per period.

A job runs daily at a merchant-local time, for every merchant whose published configuration
enables the job's plugin. Before running, it inserts ``(job_id, period)`` under a unique
constraint: a second scheduler, a restart or a manual run for the same day does nothing.
Tests call ``run_job`` with a frozen ``now``; ``huika scheduler`` calls it from APScheduler.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .clock import local_date
from .config_versions import published_config
from .db import Database
from .merchant_config import MerchantConfig
from .models import JobRun, Merchant
from .clock import now_utc as utcnow


@dataclass
class Job:
    id: str  # unique, e.g. "points.expire_points"
    func: Callable[[Session, MerchantConfig, int, datetime], dict]  # (session, config, merchant_id, now)
    hour: int = 3  # merchant-local time of the daily run
    minute: int = 0
    description: str = ""
    plugin: str = ""  # filled in by the registry


def run_job(db: Database, registry, job: Job, now: datetime, *, force: bool = False) -> dict:
    """Run ``job`` for the local day of ``now`` once; returns a summary per merchant."""
    period = local_date(now).isoformat()
    with db.write() as session:
        existing = session.scalar(select(JobRun).where(JobRun.job_id == job.id, JobRun.period == period))
        if existing is not None:
            if not force and existing.status != "failed":
                return {"job": job.id, "period": period, "skipped": "already ran"}
            session.delete(existing)
            session.flush()
        try:
            with session.begin_nested():
                session.add(JobRun(job_id=job.id, period=period, status="running"))
                session.flush()
        except IntegrityError:
            return {"job": job.id, "period": period, "skipped": "already running elsewhere"}
    results: dict = {}
    status = "done"
    with db.read() as session:
        merchant_ids = list(session.scalars(select(Merchant.id).order_by(Merchant.id)))
    for merchant_id in merchant_ids:
        try:
            with db.write() as session:  # one transaction per merchant: one failure stays local
                config = published_config(session, merchant_id, registry)
                if job.plugin not in ("", "core") and not config.is_enabled(job.plugin):
                    continue
                results[str(merchant_id)] = job.func(session, config, merchant_id, now) or {}
        except Exception as error:  # noqa: BLE001 - recorded, the other merchants still run
            status = "failed"
            results[str(merchant_id)] = {"error": repr(error)}
    with db.write() as session:
        session.execute(update(JobRun).where(JobRun.job_id == job.id, JobRun.period == period)
                        .values(status=status, summary=results, finished_at=utcnow()))
    return {"job": job.id, "period": period, "status": status, "merchants": results}
