"""Crashes of the server mid-operation lose nothing and double nothing (issue 10 item 9).

On SQLite and PostgreSQL, with the app served by a real gunicorn (tests/support/gunicorn.py):

- **SIGKILL cycles**: client threads keep sending checkouts (card debit, earning points) while
  the whole server (master and workers) is killed with SIGKILL mid-load and started again, over
  and over. Every request that got no answer is re-sent with its same Idempotency-Key until one
  comes, as a till would. Afterwards every acknowledged checkout is in the database exactly
  once with the answer the client got, every card's balance and points are exact to the fen,
  and core.ledger.verify finds nothing. 20 cycles here; 200 in ``make soak``.
- **Injected crashes** (core/faults.py, HUIKA_FAULT_POINT): the worker dies with ``os._exit``
  after the card debit, after the points are earned, or after the commit before the reply.
  Before the commit the crash leaves nothing; after it, the whole checkout. The client's retry
  with the same key then gives exactly one checkout.
"""
from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from core import faults
from core.cards import get_card
from core.models import Checkout, IdempotencyRecord
from tests.support.debit_shop import (card_debit_site, card_state, checkout_body,  # noqa: F401
                                      debit_app, loaded_card, open_shop)
from tests.support.gunicorn import REPOSITORY, GunicornServer, http_json

CHECKOUT = "/api/v1/checkout"


def earned_points(amount: int) -> int:
    return amount // 100  # debit_shop.POINTS_SETTINGS: one point per full yuan


# -- SIGKILL of the server under load ----------------------------------------------------

CLIENTS = 8
CARDS = 4
CARD_BALANCE = 10_000_000  # fen: enough for every checkout, so each one must succeed once


@dataclass
class Sale:
    """One checkout a till wants done: sent again with the same key until it gets an answer."""

    key: str
    card: str
    amount: int
    status: int | None = None
    receipt: dict | None = None
    sends: int = 0
    replayed: bool = False


class Tills:
    """``CLIENTS`` client threads selling back to back, re-sending unanswered sales."""

    def __init__(self, port: int, headers: dict, cards: list[str]) -> None:
        self.port, self.headers, self.cards = port, headers, cards
        self.sales: list[Sale] = []
        self.errors: list[BaseException] = []
        self.unexpected: list[tuple[int, dict | None]] = []
        self.answered = 0  # sales with a final answer
        self.in_flight = 0  # requests sent and not yet answered or failed
        self.cut_off = 0  # requests that got no answer (killed mid-request, or refused)
        self.busy = 0  # 503 busy answers (re-sent like a cut-off request)
        self.changed = threading.Condition()
        self.closing = threading.Event()  # no new sales; finish the open ones
        self.abandoned = threading.Event()  # the test failed: stop re-sending, leave
        self.threads = [threading.Thread(target=self._till, args=(i,), daemon=True)
                        for i in range(CLIENTS)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def wait_answers(self, count: int, within: float = 120.0) -> None:
        """Block until ``count`` more sales have been answered (the server is under load)."""
        with self.changed:
            target = self.answered + count
            if not self.changed.wait_for(lambda: self.answered >= target or self.errors, within):
                raise AssertionError(f"no answers within {within} s")
        assert not self.errors, self.errors

    def finish(self, within: float = 300.0) -> None:
        self.closing.set()
        for thread in self.threads:
            thread.join(timeout=within)
        assert not any(thread.is_alive() for thread in self.threads), "a till hung"
        assert not self.errors, self.errors

    def _till(self, index: int) -> None:
        rng = random.Random(index)
        try:
            while not self.closing.is_set():
                sale = Sale(key=f"kill-{index}-{uuid.uuid4().hex}", card=self.cards[index % CARDS],
                            amount=rng.randint(100, 478))
                with self.changed:
                    self.sales.append(sale)
                self._sell(sale)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            with self.changed:
                self.errors.append(error)
                self.changed.notify_all()

    def _sell(self, sale: Sale) -> None:
        body = checkout_body(sale.card, sale.amount)
        headers = {**self.headers, "Idempotency-Key": sale.key}
        while not self.abandoned.is_set():
            sale.sends += 1
            with self.changed:
                self.in_flight += 1
            try:
                status, parsed, response_headers = http_json(self.port, "POST", CHECKOUT, body,
                                                             headers, timeout=60)
            except OSError:  # the server died under us, or is not back yet: same key again
                with self.changed:
                    self.in_flight -= 1
                    self.cut_off += 1
                time.sleep(0.1)
                continue
            with self.changed:
                self.in_flight -= 1
                if status == 503:  # busy: a till retries it with the same key (operations.md)
                    self.busy += 1
                    continue
                if status != 201:
                    self.unexpected.append((status, parsed))
                sale.status, sale.receipt = status, parsed
                sale.replayed = response_headers.get("Idempotent-Replayed") == "true"
                self.answered += 1
                self.changed.notify_all()
            return


def kill_cycles(app, server: GunicornServer, cycles: int, seed: int) -> dict:
    """Run ``cycles`` SIGKILL cycles against ``server`` and check every sale; the figures."""
    hk = app.extensions["huika"]
    shop = open_shop(hk, "断电测试店", points=True)
    cards = [loaded_card(app, shop, CARD_BALANCE, phone=f"1380000{i:04d}") for i in range(CARDS)]
    before = {number: card_state(app, shop.id, number) for number in cards}
    rng = random.Random(seed)
    began = time.monotonic()
    server.start()
    tills = Tills(server.port, shop.headers("cashier"), cards)
    tills.start()
    in_flight_at_kills = 0
    try:
        for cycle in range(cycles):
            if cycle:
                server.start()
            tills.wait_answers(rng.randint(1, 6))  # the server is busy with sales now ...
            time.sleep(rng.uniform(0, 0.25))  # ... at any point of them (one takes ~0.05-0.2 s)
            with tills.changed:
                in_flight_at_kills += tills.in_flight
            server.kill()
        server.start()  # last restart: every open sale gets its answer
        tills.finish()
    finally:
        tills.closing.set()
        tills.abandoned.set()
        server.kill()
    elapsed = time.monotonic() - began

    sales = tills.sales
    assert tills.unexpected == [], tills.unexpected[:5]
    assert all(sale.status == 201 for sale in sales)
    with hk.db.read() as session:
        remembered = {record.key: record.response for record in session.scalars(
            select(IdempotencyRecord).where(IdempotencyRecord.merchant_id == shop.id))}
        checkouts = {row.id: (row.due_total_fen, row.card_id, row.earned) for row in session.scalars(
            select(Checkout).where(Checkout.merchant_id == shop.id))}
        card_ids = {number: get_card(session, shop.id, number).id for number in cards}
    # Every acknowledged sale is there once, with the very answer its till got ...
    lost = [sale.key for sale in sales if sale.key not in remembered
            or remembered[sale.key].get("checkout_id") not in checkouts]
    assert lost == []
    assert all(remembered[sale.key] == sale.receipt for sale in sales)
    # ... and nothing else is: no checkout without its sale, none twice.
    assert len(checkouts) == len(sales) == len(remembered)
    assert sorted(sale.receipt["checkout_id"] for sale in sales) == sorted(checkouts)
    for sale in sales:
        assert checkouts[sale.receipt["checkout_id"]] == (
            sale.amount, card_ids[sale.card], {"points": earned_points(sale.amount)})
    for number in cards:
        mine = [sale.amount for sale in sales if sale.card == number]
        state = card_state(app, shop.id, number)
        assert state["balance"] == before[number]["balance"] - sum(mine)
        assert state["points"] == before[number]["points"] + sum(map(earned_points, mine))
        assert state["problems"] == []
    return {"cycles": cycles, "starts": server.starts, "sales": len(sales),
            "acknowledged": len(sales), "lost": len(lost),
            "cut_off": tills.cut_off, "in_flight_at_kills": in_flight_at_kills,
            "replayed": sum(sale.replayed for sale in sales), "busy": tills.busy,
            "seconds": round(elapsed, 1), "starting_seconds": round(server.start_seconds, 1)}


@pytest.mark.parametrize("cycles", [pytest.param(20, id="20-cycles"),
                                    pytest.param(200, id="200-cycles", marks=pytest.mark.soak)])
def test_sigkill_mid_load_loses_and_doubles_nothing(cycles, debit_app, card_debit_site,
                                                    database_url, tmp_path):
    site, _registry = card_debit_site
    # -w 2 as docs/operations.md deploys it; --preload halves the CPU of each of the 21+ starts.
    server = GunicornServer(database_url, tmp_path / "gunicorn", preload=True, pythonpath=[site])
    figures = kill_cycles(debit_app, server, cycles, seed=cycles)
    assert figures["in_flight_at_kills"] > 0  # the kills really cut requests off
    print(f"\n{debit_app.extensions['huika'].db.dialect}: {figures}")
    # No 5xx reached a till. 503 busy (SQLite lock wait past busy_timeout) is re-sent above like
    # a cut-off request, so the money checks hold either way; issue 10 item 2 retries it inside
    # the server, after which none may reach the client.
    assert figures["busy"] == 0, figures


# -- injected crashes (HUIKA_FAULT_POINT) -------------------------------------------------

AMOUNT = 1234


@pytest.mark.parametrize("point", ["after_debit", "after_points", "after_commit"])
def test_injected_crash_leaves_nothing_or_everything_and_retry_posts_once(
        point, debit_app, card_debit_site, database_url, tmp_path):
    site, _registry = card_debit_site
    app = debit_app
    shop = open_shop(app.extensions["huika"], points=True)
    number = loaded_card(app, shop, 10_000)
    before = card_state(app, shop.id, number)
    body = checkout_body(number, AMOUNT)
    headers = {**shop.headers("cashier"), "Idempotency-Key": "crash-" + uuid.uuid4().hex}
    whole = {**before, "balance": before["balance"] - AMOUNT,
             "points": before["points"] + earned_points(AMOUNT),
             "checkouts": before["checkouts"] + 1,
             "checkout_transactions": before["checkout_transactions"] + 1,
             "idempotency_records": before["idempotency_records"] + 1}

    with GunicornServer(database_url, tmp_path / "faulty", workers=1, preload=True, pythonpath=[site],
                        env={faults.VARIABLE: point}) as faulty:
        with pytest.raises(OSError):  # the worker died: no answer at all
            http_json(faulty.port, "POST", CHECKOUT, body, headers, timeout=60)
        assert f"{faults.VARIABLE}={point}" in faulty.log_tail(), faulty.log_tail()
    after_crash = card_state(app, shop.id, number)
    assert after_crash == (whole if point == "after_commit" else before)

    with GunicornServer(database_url, tmp_path / "sound", workers=1, preload=True,
                        pythonpath=[site]) as sound:
        status, receipt, response_headers = http_json(sound.port, "POST", CHECKOUT, body, headers)
        assert status == 201, receipt
        # Committed before the crash: the retry replays it; otherwise it runs now, for the first time.
        assert (response_headers.get("Idempotent-Replayed") == "true") == (point == "after_commit")
        again = http_json(sound.port, "POST", CHECKOUT, body, headers)
        assert again[0] == 201 and again[1] == receipt
    assert card_state(app, shop.id, number) == whole
    assert receipt["balances"] == {"test_credit": whole["balance"], "points": whole["points"]}


def test_fault_point_is_inert_unless_named_and_refuses_unknown_names_and_production():
    faults.fault_point("after_debit")  # not armed in the test process: nothing happens
    assert faults.ARMED is None

    def import_with(value: str, **env) -> subprocess.CompletedProcess:
        code = "from core.faults import fault_point; fault_point('after_debit'); print('alive')"
        return subprocess.run([sys.executable, "-c", code], cwd=REPOSITORY, capture_output=True,
                              text=True, env={"PYTHONPATH": str(REPOSITORY), faults.VARIABLE: value,
                                              **env})

    armed = import_with("after_debit")
    assert armed.returncode == faults.EXIT_CODE and "alive" not in armed.stdout
    assert "HUIKA_FAULT_POINT=after_debit" in armed.stderr
    other = import_with("after_commit")
    assert other.returncode == 0 and other.stdout == "alive\n"
    typo = import_with("after_debti")
    assert typo.returncode != 0 and "is not one of" in typo.stderr
    production = import_with("after_debit", HUIKA_ENV="production")
    assert production.returncode != 0 and "for tests only" in production.stderr
