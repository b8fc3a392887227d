"""Huika's checkout in-process: core.checkout.build + commit inside Database.write(), no HTTP.

``run`` measures CPU per checkout (this process, all its threads) and, on request, counts the
statements sent to the database: every ``before_cursor_execute`` of the engine (BEGIN
IMMEDIATE is one: core.db emits it with exec_driver_sql) plus one per COMMIT (the driver's
``connection.commit()``, which SQLAlchemy's ``commit`` event reports), as the raw reference
counts its BEGIN IMMEDIATE and COMMIT.
"""
from __future__ import annotations

import os
import random
import threading
import time
from typing import Callable

from sqlalchemy import event

from .stats import Timings

WARMUP_CHECKOUTS = 20  # before measuring: SQLAlchemy's statement caches, the config cache


class StatementCounter:
    """Statements an engine sends while ``counting`` is set."""

    def __init__(self, engine) -> None:
        self.count = 0
        self.counting = False
        self._lock = threading.Lock()
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._statement)

    def _statement(self, *_args) -> None:
        if self.counting:
            with self._lock:
                self.count += 1


def open_database(seeded):
    """The Database and the merchant's published configuration (read once: the in-process
    figure is the checkout itself, as in issue 11's table)."""
    from core.config_versions import published_config
    from core.db import Database
    from core.wal_sync import AFTER_COMMIT
    from core.plugins import build_registry

    registry = build_registry()
    # HUIKA_SQLITE_SYNC as the app reads it (bench --sqlite-sync)
    db = Database.from_url(seeded.url, sqlite_sync=os.environ.get("HUIKA_SQLITE_SYNC") or AFTER_COMMIT)
    with db.read() as session:
        config = published_config(session, seeded.merchant_id, registry)
    return db, config


def checkout_once(db, config, seeded, body: dict) -> tuple[int, dict]:
    """One checkout in one write transaction: (status, the record's earned assets)."""
    from core import checkout
    from core.errors import HuikaError

    try:
        with db.write() as session:
            state = checkout.build(session, config, seeded.merchant_id, body,
                                   store_id=seeded.store_id, staff_id=seeded.staff_id)
            record = checkout.commit(state, body["payments"])
            return 201, dict(record.earned or {})
    except HuikaError as error:
        return (409 if error.code in ("insufficient_balance", "conflict") else 422), {}


def run(seeded, make_body: Callable[[random.Random], dict], seconds: float, *, threads: int = 1,
        count_statements: bool = False, seed: int = 12, db_cpu=None,
        warmup: int = WARMUP_CHECKOUTS) -> Timings:
    """Checkouts back to back for ``seconds`` from ``threads`` threads sharing one Database,
    after a warm-up. Sets ``cpu``, ``earned``, ``warmup_ok`` and ``statements`` (per
    checkout attempt, or None when not counted) and, given ``db_cpu`` (the database server's
    CPU seconds so far), ``db_cpu``."""
    db, config = open_database(seeded)
    counter = StatementCounter(db.engine) if count_statements else None
    timings, warm = Timings(), Timings()
    earned: dict = {}
    try:
        rng = random.Random(seed)
        while len(warm.samples) < warmup:
            began = time.perf_counter()
            status, _ = checkout_once(db, config, seeded, make_body(rng))
            warm.add(time.perf_counter() - began, status)
        start = threading.Barrier(threads + 1)

        def client(thread: int) -> None:
            rng = random.Random(seed * 100 + thread)
            start.wait()
            deadline = timings.began + seconds
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                status, got = checkout_once(db, config, seeded, make_body(rng))
                if got:
                    earned.update(got)
                timings.add(time.perf_counter() - began, status)

        clients = [threading.Thread(target=client, args=(t,)) for t in range(threads)]
        for thread in clients:
            thread.start()
        timings.began = time.perf_counter()
        began_cpu = time.process_time()
        began_db = db_cpu() if db_cpu else None
        if counter is not None:
            counter.counting = True
        start.wait()
        for thread in clients:
            thread.join()
        if counter is not None:
            counter.counting = False
        timings.finish()
        timings.cpu = time.process_time() - began_cpu
        timings.db_cpu = db_cpu() - began_db if db_cpu else None
    finally:
        db.dispose()
    timings.warmup_ok = warm.ok
    timings.earned = earned
    attempts = len(timings.samples)
    timings.statements = counter.count / attempts if counter is not None and attempts else None
    return timings
