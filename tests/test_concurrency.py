"""Concurrent debits of one card over real HTTP, on SQLite and on PostgreSQL (issue 3 item 7,
issue 10 item 9).

The app is served by a real gunicorn (tests/support/gunicorn.py: 2 worker processes, here with
8 threads each, so all 16 clients are inside the app at once) and hammered by client threads,
each checkout paid with a payment method that debits the card: the test-only ``card_debit``
plugin (tests/support/debit_shop.py). What is under test is the core's money path: the
handler's one write transaction per request, the Idempotency-Key, the guarded debit in
core.ledger.post and the lots, across processes.

The card holds less than the clients try to spend, so some debits must fail (409
insufficient_balance). Afterwards the balance must equal the start minus exactly what the
201s took, the ledger must verify, and there is one checkout row per 201. No request may get
a 5xx: a SQLite writer that finds the database locked must wait or retry inside the server
(issue 10 item 2) rather than answer 503 busy.
"""
from __future__ import annotations

import threading
import time
import uuid

import pytest

from tests.bench_support.card_debit import ASSET
from tests.support.debit_shop import (card_debit_site, card_state, checkout_body,  # noqa: F401
                                      debit_app, loaded_card, open_shop)
from tests.support.gunicorn import GunicornServer, http_json

CLIENTS = 16


@pytest.fixture
def served(debit_app, card_debit_site, database_url, tmp_path):
    """(app in this process, gunicorn serving the same database with 2 workers x 8 threads)."""
    site, _registry = card_debit_site
    with GunicornServer(database_url, tmp_path / "gunicorn", threads=CLIENTS // 2,
                        pythonpath=[site]) as server:
        yield debit_app, server


def amount_for(client: int, index: int) -> int:
    """Varied amounts (100..478 fen), so small debits can still pass when big ones fail."""
    return 100 + (client * 131 + index * 37) % 379


def run_clients(count: int, client, timeout: float = 300) -> float:
    """Start ``client(i)`` in ``count`` threads released together; the seconds they took."""
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def run(index: int) -> None:
        try:
            start.wait()
            client(index)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    began = time.monotonic()
    workers = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=timeout)
    assert not any(worker.is_alive() for worker in workers), "client threads hung"
    assert not errors, errors
    return time.monotonic() - began


# (debits per client, fen on the card): the clients try to spend about 4 times what it holds.
SIZES = [pytest.param(25, 30_000, id="400-debits"),
         pytest.param(100, 120_000, id="1600-debits", marks=pytest.mark.soak)]


@pytest.mark.parametrize(("debits_per_client", "initial_balance"), SIZES)
def test_concurrent_debits_of_one_card_never_overspend(served, debits_per_client, initial_balance):
    """16 clients debit one card at once: exact to the fen, and no 5xx."""
    app, server = served
    shop = open_shop(app.extensions["huika"])
    number = loaded_card(app, shop, initial_balance)
    headers = shop.headers("cashier")
    results: list[tuple[int, int, dict | None]] = []  # (amount, status, json)
    lock = threading.Lock()

    def client(thread: int) -> None:
        mine = []
        for index in range(debits_per_client):
            amount = amount_for(thread, index)
            status, parsed, _headers = http_json(
                server.port, "POST", "/api/v1/checkout", checkout_body(number, amount),
                {**headers, "Idempotency-Key": uuid.uuid4().hex})
            mine.append((amount, status, parsed))
        with lock:
            results.extend(mine)

    elapsed = run_clients(CLIENTS, client)
    assert len(results) == CLIENTS * debits_per_client
    attempted = sum(amount for amount, _status, _parsed in results)
    assert attempted > initial_balance  # the test must reach the insufficient-balance path

    by_status: dict[int, int] = {}
    for _amount, status, parsed in results:
        by_status[status] = by_status.get(status, 0) + 1
        assert parsed is not None, status
        assert status in (201, 409, 503), (status, parsed)
        if status == 409:
            assert parsed["error"]["code"] == "insufficient_balance", parsed
        elif status == 503:
            assert parsed["error"]["code"] == "busy", parsed
    successes = [(parsed["checkout_id"], amount, parsed)
                 for amount, status, parsed in results if status == 201]
    assert successes and by_status.get(409), by_status  # both outcomes really happened

    # Every receipt shows the balance right after its own debit: replaying the 201s in
    # checkout-id order (the order they held the card's row lock) must give exactly those.
    running = initial_balance
    for checkout_id, amount, receipt in sorted(successes, key=lambda s: s[0]):
        running -= amount
        assert receipt["balances"][ASSET] == running, (checkout_id, receipt["balances"], running)
        assert receipt["balances"][ASSET] >= 0

    state = card_state(app, shop.id, number)
    spent = sum(amount for _id, amount, _receipt in successes)
    assert state["balance"] == initial_balance - spent
    assert state["balance"] >= 0
    assert state["problems"] == []
    assert state["checkouts"] == len(successes)
    assert state["checkout_transactions"] == len(successes)
    # Only successes are remembered under their key; a refused request rolls back whole.
    assert state["idempotency_records"] == len(successes)
    print(f"\n{app.extensions['huika'].db.dialect}: {len(results)} debits from {CLIENTS} clients "
          f"in {elapsed:.1f} s, statuses {dict(sorted(by_status.items()))}, "
          f"balance {initial_balance} -> {state['balance']}")
    # Last, so the money checks above hold whatever it says: no 5xx at all, 503 busy included.
    # A SQLite writer that waits longer than busy_timeout for the lock must be retried inside
    # the server (issue 10 item 2), not bounced to the client; until that retry is in, SQLite
    # answers a few 503s out of 800 here.
    assert by_status.get(503, 0) == 0, f"{by_status[503]} requests answered 503 busy: {by_status}"


ROUNDS = 6


def test_concurrent_duplicates_of_one_key_post_once(served):
    """16 clients send one checkout (same key, same body) at once, in several rounds: each
    round debits once, and all 16 get the same receipt, 15 of them marked as replays.

    In every other round the card holds exactly one debit, so a duplicate that ran the payment
    again instead of replaying would fail with insufficient_balance and tell the cashier the
    sale failed; in the other rounds it holds plenty, so a second run would debit twice.
    """
    app, server = served
    shop = open_shop(app.extensions["huika"])
    headers = shop.headers("cashier")
    amount = 1234
    for round_no in range(ROUNDS):
        exact = round_no % 2 == 0
        number = loaded_card(app, shop, amount if exact else amount * (CLIENTS + 2),
                             phone=f"1390000{round_no:04d}")
        before = card_state(app, shop.id, number)
        body = checkout_body(number, amount)
        key = {**headers, "Idempotency-Key": f"dup-{round_no}-" + uuid.uuid4().hex}
        answers: list[tuple[int, dict | None, dict]] = [None] * CLIENTS

        def client(thread: int) -> None:
            answers[thread] = http_json(server.port, "POST", "/api/v1/checkout", body, key)

        run_clients(CLIENTS, client, timeout=120)
        statuses = sorted(status for status, _parsed, _headers in answers)
        assert statuses == [201] * CLIENTS, (round_no, [(s, p) for s, p, _h in answers])
        receipts = {repr(sorted(parsed.items())) for _s, parsed, _h in answers}
        assert len(receipts) == 1, receipts
        replayed = [h.get("Idempotent-Replayed") == "true" for _s, _p, h in answers]
        assert replayed.count(False) == 1, replayed  # one ran the checkout, 15 replayed it

        state = card_state(app, shop.id, number)
        assert state["checkouts"] == before["checkouts"] + 1
        assert state["checkout_transactions"] == before["checkout_transactions"] + 1
        assert state["idempotency_records"] == before["idempotency_records"] + 1
        assert state["balance"] == before["balance"] - amount
        assert state["problems"] == []
