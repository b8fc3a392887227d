"""C6 under fire, over real HTTP on both databases: 50 wrong PINs sent at once on one card
evaluate exactly ``pin_max_attempts`` of them; every other one is refused as locked unread.

The app is served by werkzeug's threaded server on 127.0.0.1 (as in tests/test_concurrency.py)
and 50 client threads, released by one barrier, each post a checkout paid from stored value
with a wrong PIN. What is counted: the PIN comparisons ``core.pins`` makes (its
``check_pin_hash``, wrapped with a counter), the 403 ``pin_not_accepted`` answers, and the
card's wrong-PIN total in the database. All three must equal the limit exactly.
"""
from __future__ import annotations

import http.client
import json
import threading
import uuid
from collections import Counter
from contextlib import contextmanager

from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from core import pins
from core.models import Card

from .helpers import WRONG_PIN, assert_ledger_sound, new_card, recharge, shop_with, stored

GUESSES = 50


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass


@contextmanager
def serving(app):
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="pin-race-server", daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def post_all_at_once(port: int, path: str, bodies: list[dict], headers: dict) -> list[tuple[int, dict]]:
    barrier = threading.Barrier(len(bodies))
    answers: list = [None] * len(bodies)

    def send(index: int, body: dict) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            connection.connect()
            barrier.wait()
            connection.request("POST", path, body=json.dumps(body), headers={
                **headers, "Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex})
            response = connection.getresponse()
            answers[index] = (response.status, json.loads(response.read() or b"{}"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i, body)) for i, body in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def test_c6_fifty_parallel_wrong_pins_evaluate_exactly_the_limit(app, client, hk, monkeypatch, database_url):
    shop = shop_with(hk)  # pin_max_attempts 5 (default)
    card = new_card(client, shop)
    recharge(client, shop, card, 100000)
    comparisons = Counter()
    counting = threading.Lock()
    compare = pins.check_pin_hash

    def counted(secret, stored_hash, peppers):
        with counting:
            comparisons["pin"] += 1
        return compare(secret, stored_hash, peppers)

    monkeypatch.setattr(pins, "check_pin_hash", counted)
    body = {"card_number": card, "lines": [{"sku": "GOODS", "name": "商品", "unit_price_fen": 1000}],
            "payments": [{"method": "stored_value", "amount_fen": 1000, "pin": WRONG_PIN}]}
    with serving(app) as port:
        answers = post_all_at_once(port, "/api/v1/checkout", [body] * GUESSES, shop.headers("cashier"))
    outcomes = Counter((status, data.get("error", {}).get("code")) for status, data in answers)
    backend = database_url.split(":", 1)[0]
    print(f"\n{backend}: {GUESSES} parallel wrong PINs -> {comparisons['pin']} evaluated; {dict(outcomes)}")
    assert outcomes == {(403, "pin_not_accepted"): 5, (403, "pin_locked"): GUESSES - 5}, outcomes
    assert comparisons["pin"] == 5
    with hk.db.read() as session:
        row = session.scalar(select(Card).where(Card.number == card))
        assert (row.pin_failures_total, row.pin_failures) == (5, 0)
        assert row.pin_locked_until is not None and row.pin_blocked_at is None
    assert stored(client, shop, card)["total_fen"] == 100000 + 10000  # nothing was paid
    assert_ledger_sound(hk, shop)
