"""The ``messages.dispatch`` job: ``dispatch_due`` every 30 seconds, once for the installation.

An installation job (``per_merchant=False``: ``func(db, registry, now)``) at an interval;
core/builtin_jobs.py lists ``dispatch_jobs()``.
"""
from __future__ import annotations

from datetime import timedelta

from .dispatch import dispatch_due

DISPATCH_EVERY = timedelta(seconds=30)


def run_dispatch(db, registry, now) -> dict:
    return dispatch_due(db, registry, now)


def dispatch_jobs() -> list:
    from ..jobs import Job

    return [Job("messages.dispatch", run_dispatch, every=DISPATCH_EVERY, per_merchant=False,
                description="send due messages (retries, quiet hours, daily cap)")]
