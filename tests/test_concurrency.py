"""Concurrent debits of one card over real HTTP, on SQLite and on PostgreSQL (issue 3 item 7).

The app is served by werkzeug's multi-threaded server on 127.0.0.1 and hammered by client
threads, each checkout paid with a payment method that debits the card. The method is a
tiny test-only plugin (tests/bench_support/card_debit.py, installed through a real entry
point like any third-party plugin): it keeps this test independent of the stored-value and
points plugins, which are being built, and of the ~50 ms scrypt PIN check a stored-value
payment costs (800 of those would take the whole time budget).
What is under test is the core's money path: the handler's one write transaction per
request, the Idempotency-Key, the guarded debit in core.ledger.post and the lots.

The card holds less than the clients try to spend, so some debits must fail (409
insufficient_balance). Afterwards the balance must equal the start minus exactly what the
201s took, the ledger must verify, and there is one checkout row per 201.
"""
from __future__ import annotations

import http.client
import json
import sys
import threading
import time
import uuid

import pytest
from sqlalchemy import func, select
from werkzeug.serving import WSGIRequestHandler, make_server

from core import ledger
from core.cards import get_card
from core.ledger import Posting
from core.models import Checkout, IdempotencyRecord, LedgerTransaction
from core.plugins import build_registry
from tests.bench_support import card_debit
from tests.bench_support.card_debit import ASSET
from tests.support.factories import basic_document, make_merchant

THREADS = 8
DEBITS_PER_THREAD = 100
INITIAL_BALANCE = 60_000  # fen; the clients try to spend 230,377 in all


class QuietHandler(WSGIRequestHandler):
    """No access log line per request (1,600 of them would bury a failure)."""

    def log_request(self, *args, **kwargs) -> None:
        pass


# -- fixtures ------------------------------------------------------------------------

@pytest.fixture
def card_debit_registry(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    card_debit.install(site)
    registry = build_registry()
    assert card_debit.PLUGIN_ID in registry.plugins, registry.refused
    yield registry
    sys.modules.pop(card_debit.MODULE, None)


@pytest.fixture
def live(card_debit_registry, database_url):
    """(app, port): the app served by werkzeug's threaded HTTP server on 127.0.0.1."""
    from webui import create_app

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
                      "PLUGIN_REGISTRY": card_debit_registry})
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield app, server.server_port
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    app.extensions["huika"].db.dispose()


@pytest.fixture
def shop(live):
    app, _port = live
    hk = app.extensions["huika"]
    document = basic_document(plugins=[{"id": card_debit.PLUGIN_ID, "settings": {}}])
    return make_merchant(hk, "并发测试店", document)


def loaded_card(app, shop, balance: int, phone: str = "13900000001") -> str:
    """A member's active card holding ``balance`` fen of test credit (posted to the ledger)."""
    client = app.test_client()
    member = client.post("/api/v1/members", json={"name": "并发", "phone": phone},
                         headers=shop.headers()).json
    response = client.post("/api/v1/cards", json={"member_id": member["id"]}, headers=shop.headers())
    assert response.status_code == 201, response.json
    number = response.json["number"]
    hk = app.extensions["huika"]
    with hk.db.write() as session:
        card_id = _card_id(session, shop.id, number)
        ledger.post(session, shop.id, "test_load", [
            Posting(ledger.card_account(session, shop.id, card_id, ASSET), balance),
            Posting(ledger.merchant_account(session, shop.id, "issued", ASSET), -balance)])
    return number


def _card_id(session, merchant_id: int, number: str) -> int:
    return get_card(session, merchant_id, number).id


def checkout_body(number: str, amount: int) -> dict:
    # special_price: no tier discount, so the amount due is exactly the amount paid.
    return {"card_number": number,
            "lines": [{"sku": "ITEM", "unit_price_fen": amount, "special_price": True}],
            "payments": [{"method": card_debit.METHOD, "amount_fen": amount}]}


def post_json(port: int, path: str, body: dict, headers: dict) -> tuple[int, dict | None, bytes]:
    """One POST on a fresh connection: (status, parsed JSON or None, raw body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", path, body=json.dumps(body).encode("utf-8"),
                           headers={"Content-Type": "application/json", **headers})
        response = connection.getresponse()
        raw = response.read()
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        return response.status, parsed, raw
    finally:
        connection.close()


def amount_for(thread: int, index: int) -> int:
    """Varied amounts (100..478 fen), so small debits can still pass when big ones fail."""
    return 100 + (thread * 131 + index * 37) % 379


def card_state(app, merchant_id: int, number: str) -> dict:
    hk = app.extensions["huika"]
    with hk.db.read() as session:
        card_id = _card_id(session, merchant_id, number)
        return {
            "balance": ledger.card_balances(session, card_id).get(ASSET),
            "problems": ledger.verify(session, merchant_id),
            "checkouts": session.scalar(select(func.count()).select_from(Checkout).where(
                Checkout.merchant_id == merchant_id)),
            "checkout_transactions": session.scalar(
                select(func.count()).select_from(LedgerTransaction).where(
                    LedgerTransaction.merchant_id == merchant_id,
                    LedgerTransaction.type == "checkout")),
            "idempotency_records": session.scalar(
                select(func.count()).select_from(IdempotencyRecord).where(
                    IdempotencyRecord.merchant_id == merchant_id)),
        }


# -- tests ---------------------------------------------------------------------------

def test_concurrent_debits_of_one_card_never_overspend(live, shop):
    app, port = live
    number = loaded_card(app, shop, INITIAL_BALANCE)
    headers = shop.headers("cashier")
    results: list[tuple[int, int, int, dict | None, bytes]] = []  # (thread, amount, status, json, raw)
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def client(thread: int) -> None:
        mine = []
        try:
            start.wait()
            for index in range(DEBITS_PER_THREAD):
                amount = amount_for(thread, index)
                status, parsed, raw = post_json(
                    port, "/api/v1/checkout", checkout_body(number, amount),
                    {**headers, "Idempotency-Key": uuid.uuid4().hex})
                mine.append((thread, amount, status, parsed, raw))
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        with lock:
            results.extend(mine)

    began = time.monotonic()
    workers = [threading.Thread(target=client, args=(t,)) for t in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    elapsed = time.monotonic() - began
    assert not errors, errors
    assert not any(worker.is_alive() for worker in workers), "client threads hung"
    assert len(results) == THREADS * DEBITS_PER_THREAD
    attempted = sum(amount for _t, amount, *_rest in results)
    assert attempted > INITIAL_BALANCE  # the test must reach the insufficient-balance path

    by_status: dict[int, int] = {}
    for _thread, _amount, status, parsed, raw in results:
        by_status[status] = by_status.get(status, 0) + 1
        assert status in (201, 409, 503), (status, raw[:500])
        assert parsed is not None, (status, raw[:500])
        if status == 409:
            assert parsed["error"]["code"] == "insufficient_balance", parsed
        elif status == 503:
            assert parsed["error"]["code"] == "busy", parsed
    successes = [(parsed["checkout_id"], amount, parsed)
                 for _t, amount, status, parsed, _raw in results if status == 201]
    assert successes and by_status.get(409), by_status  # both outcomes really happened

    # Every receipt shows the balance right after its own debit: replaying the 201s in
    # checkout-id order (the order they held the card's row lock) must give exactly those.
    running = INITIAL_BALANCE
    for checkout_id, amount, receipt in sorted(successes, key=lambda s: s[0]):
        running -= amount
        assert receipt["balances"][ASSET] == running, (checkout_id, receipt["balances"], running)
        assert receipt["balances"][ASSET] >= 0

    state = card_state(app, shop.id, number)
    spent = sum(amount for _id, amount, _receipt in successes)
    assert state["balance"] == INITIAL_BALANCE - spent
    assert state["balance"] >= 0
    assert state["problems"] == []
    assert state["checkouts"] == len(successes)
    assert state["checkout_transactions"] == len(successes)
    # Only successes are remembered under their key; a refused request rolls back whole.
    assert state["idempotency_records"] == len(successes)
    print(f"\n{app.extensions['huika'].db.dialect}: {len(results)} debits in {elapsed:.1f} s, "
          f"statuses {dict(sorted(by_status.items()))}, balance {INITIAL_BALANCE} -> {state['balance']}")


@pytest.mark.parametrize("balance_covers", ["many", "one"])
def test_retry_storm_with_one_key_posts_once(live, shop, balance_covers):
    """8 clients resend one checkout (same key, same body) at once: one debit, one receipt.

    "one": the card holds exactly one debit, so a retry that ran the payment again instead of
    replaying would fail with insufficient_balance and tell the cashier the sale failed.
    """
    app, port = live
    amount = 1234
    number = loaded_card(app, shop, amount * (THREADS + 2) if balance_covers == "many" else amount)
    before = card_state(app, shop.id, number)["balance"]
    body = checkout_body(number, amount)
    headers = {**shop.headers("cashier"), "Idempotency-Key": "retry-" + uuid.uuid4().hex}
    answers: list[tuple[int, dict | None, bytes]] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def client() -> None:
        start.wait()
        answer = post_json(port, "/api/v1/checkout", body, headers)
        with lock:
            answers.append(answer)

    workers = [threading.Thread(target=client) for _ in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert len(answers) == THREADS
    statuses = sorted(status for status, _parsed, _raw in answers)
    assert statuses == [201] * THREADS, [(s, raw[:300]) for s, _p, raw in answers]
    receipts = {json.dumps(parsed, sort_keys=True) for _s, parsed, _raw in answers}
    assert len(receipts) == 1, receipts

    state = card_state(app, shop.id, number)
    assert state["checkouts"] == 1
    assert state["checkout_transactions"] == 1
    assert state["idempotency_records"] == 1
    assert state["balance"] == before - amount
    assert state["problems"] == []
