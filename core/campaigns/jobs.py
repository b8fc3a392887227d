"""The scheduler's part in campaigns: scheduled campaigns go out when their time comes.

An interval job per merchant (core.jobs): each run sends up to ``sending.BATCH × 10``
members of the due campaigns in its transaction and leaves the rest to the next run, so a
large campaign is spread over a few minutes instead of one long transaction.
"""
from __future__ import annotations

from datetime import timedelta

from ..jobs import Job
from .sending import send_due_step

EVERY = timedelta(minutes=1)


def campaign_jobs() -> list[Job]:
    return [Job("campaigns.send_due", send_due_step, every=EVERY,
                description="send the campaigns whose scheduled time has come")]
