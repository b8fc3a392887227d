"""Busy databases are waited out inside the server, not passed on to the client (issue 10, E2).

SQLite answers "database is locked" when a writer waited past its busy timeout; PostgreSQL
may end a transaction with a serialization failure or a deadlock. Each time the transaction
was rolled back whole, so the request is run again, with growing pauses, until it succeeds or
``HUIKA_BUSY_RETRY_SECONDS`` have passed (then the client gets 503 busy with Retry-After).
Only a request that has committed nothing yet is run again: its answer is not sent before
the view returns, and a money-moving request's Idempotency-Key claim is part of the rolled
back transaction, so a rerun can neither pay twice nor answer twice.
"""
from __future__ import annotations

import random
import time
from functools import wraps

from flask import Flask, current_app

from core.db import is_busy

from .extension import huika

DEFAULT_RETRY_SECONDS = 10
_FIRST_PAUSE, _LONGEST_PAUSE = 0.01, 0.5  # seconds


def retry_views_when_busy(app: Flask) -> None:
    """Wrap every view of ``app`` (call after all routes are added)."""
    for endpoint, view in list(app.view_functions.items()):
        if endpoint != "static":
            app.view_functions[endpoint] = _retrying(view)


def _retrying(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        return run_again_when_busy(lambda: view(*args, **kwargs))

    return wrapped


def run_again_when_busy(work):
    """``work()``, run again while it fails busy having committed nothing, until the deadline."""
    db = huika().db
    deadline = time.monotonic() + current_app.config.get("HUIKA_BUSY_RETRY_SECONDS", DEFAULT_RETRY_SECONDS)
    pause = _FIRST_PAUSE
    while True:
        committed = db.commits_in_this_thread()
        try:
            return work()
        except Exception as error:
            rerun = (is_busy(error) and db.commits_in_this_thread() == committed
                     and time.monotonic() + pause < deadline)
            if not rerun:
                raise
            current_app.logger.info("database busy; running the request again: %s",
                                    getattr(error, "orig", error))  # no SQL parameters in the log
        time.sleep(pause * random.uniform(0.5, 1.5))  # jitter: the waiters do not collide again
        pause = min(pause * 2, _LONGEST_PAUSE)
