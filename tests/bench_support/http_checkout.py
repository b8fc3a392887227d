"""Card checkouts over HTTP: gunicorn serving the app, client threads posting checkouts."""
from __future__ import annotations

import json
import random
import uuid
from pathlib import Path

from . import httpload
from .basket import checkout_body, due_fen


def run(seeded, workdir: Path, site: Path, *, threads: int, workers: int, seconds: float,
        server_threads: int = 1,
        paced_rate: float = 0.0, paced_seconds: float = 0.0, warmup_seconds: float = 2.0,
        db_cpu=None):
    """A warm-up, then ``threads`` clients back to back for ``seconds`` (closed loop), then
    optionally an open-loop run at ``paced_rate`` checkouts/s. ``cpu`` is gunicorn's (master
    and workers); ``db_cpu`` the database server's, given a function that reads it."""
    amount = due_fen(seeded.tier_permille)
    headers = {"Authorization": f"Bearer {seeded.token}"}
    generators = [random.Random(100 + t) for t in range(threads)]
    sample: dict = {}
    server_errors: list[bytes] = []

    def make(thread: int, _index: int):
        number = seeded.card_number(generators[thread].randrange(seeded.members))
        return ("POST", "/api/v1/checkout", checkout_body(number, "card_debit", amount),
                {**headers, "Idempotency-Key": uuid.uuid4().hex})

    def seen(_client: int, status: int, raw: bytes) -> None:
        if status == 201 and not sample:
            sample.update(json.loads(raw))
        elif status >= 500 and len(server_errors) < 3:
            server_errors.append(raw[:300])

    keep_alive = server_threads > 1  # gthread workers keep connections alive, sync ones do not
    with httpload.Gunicorn(seeded.url, workdir, workers=workers, threads=server_threads,
                           pythonpath=[site]) as server:
        warm = httpload.load(server.port, make, threads=threads,
                             seconds=min(warmup_seconds, seconds), keep_alive=keep_alive)
        cpu, began_db = server.cpu_seconds(), db_cpu() if db_cpu else None
        timings = httpload.load(server.port, make, threads=threads, seconds=seconds,
                                on_response=seen, keep_alive=keep_alive)
        timings.cpu = server.cpu_seconds() - cpu
        timings.db_cpu = db_cpu() - began_db if db_cpu else None
        paced = None
        if paced_rate:
            cpu = server.cpu_seconds()
            paced = httpload.load(server.port, make, threads=threads, seconds=paced_seconds,
                                  rate=paced_rate, on_response=seen, keep_alive=keep_alive)
            paced.cpu = server.cpu_seconds() - cpu
    timings.warmup_ok = warm.ok + (paced.ok if paced else 0)
    timings.paced = paced
    timings.earned = {e["asset"]: e["amount"] for e in sample.get("earned", [])}
    timings.server_errors = server_errors
    return timings
