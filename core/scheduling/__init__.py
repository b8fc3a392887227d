"""The scheduler: one per installation, under a lock, calling ``core.jobs.run_due``.

- ``lock``: who may schedule: a file lock beside the SQLite file, or a PostgreSQL advisory
  lock held by a dedicated connection. Both die with their holder.
- ``loop``: a ``Scheduler`` keeps trying the lock and, while it holds it, runs two lanes
  (interval jobs; daily jobs) that sleep until their next scheduled time.

``huika serve`` runs one in every gunicorn worker (they compete for the lock, one wins);
``huika scheduler`` runs one on its own (docs/operations.md, "Scheduled jobs").
"""
from .lock import SchedulerLock, lock_for  # noqa: F401
from .loop import Scheduler  # noqa: F401
