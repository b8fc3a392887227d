"""The core's own scheduled jobs (registered by core.builtin_hooks' ``register_jobs``).

They are tagged ``plugin = "core"``: per-merchant ones run for every merchant. Parts of the
core that need a job (the message dispatcher, the daily member care, campaign sending) add it
to ``builtin_jobs`` here, never a second ``register_jobs`` in core/builtin_hooks.py (it would
replace this one: tests/test_jobs_schedule.py checks).
"""
from __future__ import annotations

from datetime import timedelta

from . import rollups
from .jobs import Job

ROLLUP_FOLD_EVERY = timedelta(seconds=60)  # reports add the unfolded tail, so this only bounds its size


def fold_rollups(db, registry, now) -> dict:
    """Fold the ledger into the rollup tables (docs/operations.md, Rollups)."""
    return rollups.fold(db)


def builtin_jobs() -> list[Job]:
    from .messages.job import dispatch_jobs  # here: core.messages imports most of the core

    return [
        Job("core.rollups.fold", fold_rollups, every=ROLLUP_FOLD_EVERY, per_merchant=False,
            description="fold the ledger into the money reports' day totals"),
        *dispatch_jobs(),  # messages.dispatch, every 30 s (issue 14, item 4)
    ]
