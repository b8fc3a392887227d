"""A busy database is waited out inside the server (issue 10, E2): under 16 concurrent debits
no client sees 503, and a request that meets a lock held past SQLite's busy timeout is run
again until the lock is gone, without posting twice.
"""
from __future__ import annotations

import sqlite3
import threading
import time
import uuid

import pytest

from core import db as core_db
from tests.test_concurrency import (  # noqa: F401  (fixtures)
    INITIAL_BALANCE, card_debit_registry, card_state, checkout_body, live, loaded_card, post_json, shop)

THREADS = 16
DEBITS_PER_THREAD = 40


def test_sixteen_clients_debiting_one_card_never_see_busy(live, shop):
    app, port = live
    number = loaded_card(app, shop, INITIAL_BALANCE)
    headers = shop.headers("cashier")
    statuses: list[tuple[int, int, dict | None]] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def client(thread: int) -> None:
        start.wait()
        for index in range(DEBITS_PER_THREAD):
            amount = 100 + (thread * 131 + index * 37) % 379
            status, parsed, _raw = post_json(port, "/api/v1/checkout", checkout_body(number, amount),
                                             {**headers, "Idempotency-Key": uuid.uuid4().hex})
            with lock:
                statuses.append((status, amount, parsed))

    began = time.monotonic()
    workers = [threading.Thread(target=client, args=(t,)) for t in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=180)
    elapsed = time.monotonic() - began
    counts: dict[int, int] = {}
    for status, _amount, _parsed in statuses:
        counts[status] = counts.get(status, 0) + 1
    assert len(statuses) == THREADS * DEBITS_PER_THREAD
    assert set(counts) <= {201, 409}, counts  # no 503 busy, no 500
    spent = sum(amount for status, amount, _parsed in statuses if status == 201)
    state = card_state(app, shop.id, number)
    assert state["balance"] == INITIAL_BALANCE - spent
    assert state["problems"] == []
    assert state["checkouts"] == counts.get(201, 0)
    print(f"\n{app.extensions['huika'].db.dialect}: {len(statuses)} debits by {THREADS} clients in "
          f"{elapsed:.1f} s, statuses {dict(sorted(counts.items()))}")


@pytest.fixture
def short_busy_timeout(monkeypatch):
    monkeypatch.setattr(core_db, "SQLITE_BUSY_TIMEOUT_MS", 200)


def _hold_write_lock(path: str, seconds: float, held: threading.Event) -> threading.Thread:
    def hold():
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        held.set()
        time.sleep(seconds)
        connection.execute("ROLLBACK")
        connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    return thread


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_request_meeting_a_long_lock_is_run_again_and_posts_once(short_busy_timeout, app, hk, client):
    from tests.support.factories import make_merchant

    shop = make_merchant(hk, "锁店")
    path = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    held = threading.Event()
    holder = _hold_write_lock(path, 1.0, held)  # five busy timeouts long
    held.wait(5)
    response = client.post("/api/v1/members", json={"name": "等锁", "phone": "13800000055"},
                           headers=shop.headers())
    holder.join()
    assert response.status_code == 201, response.json
    listed = client.get("/api/v1/members?phone=13800000055", headers=shop.headers()).json
    assert listed["total"] == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_past_the_retry_deadline_the_client_gets_503_busy(short_busy_timeout, app, hk, client):
    from tests.support.factories import make_merchant

    shop = make_merchant(hk, "久锁店")
    app.config["HUIKA_BUSY_RETRY_SECONDS"] = 1
    path = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    held = threading.Event()
    holder = _hold_write_lock(path, 2.5, held)
    held.wait(5)
    response = client.post("/api/v1/members", json={"name": "等锁", "phone": "13800000056"},
                           headers=shop.headers())
    holder.join()
    assert response.status_code == 503, response.json
    assert response.json["error"]["code"] == "busy"
    assert response.headers["Retry-After"] == "1"
