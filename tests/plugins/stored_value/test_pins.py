"""C6: PIN checks (core.pins): lock-out and block in the database, counted in a transaction of
their own, managers' reset and unblock, weak PINs refused, alike answers for unknown cards."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.clock import now_utc
from core.errors import Forbidden
from core.models import Card, IdempotencyRecord
from core.pins import PinCheckNeeded, pin_set_here, verify_pin, with_pin_checks

from .helpers import (PIN, WRONG_PIN, assert_ledger_sound, key, new_card, pay, pin_state, post, recharge,
                      shop_with, stored)

WEAK = ["000000", "888888", "123456", "654321", "012345", "123123", "112233", "121212", "520520",
        "521521", "131420", "147258", "159357", "666888", "123321", "789012"]


def at(monkeypatch, moment):
    monkeypatch.setattr("webui.api.handlers.now_utc", lambda: moment)


def pin_row(hk, number: str) -> dict:
    with hk.db.read() as session:
        card = session.scalar(select(Card).where(Card.number == number))
        return {"failures": card.pin_failures, "total": card.pin_failures_total,
                "locked_until": card.pin_locked_until, "blocked": card.pin_blocked_at is not None}


def test_c6_five_wrong_pins_lock_for_15_minutes_even_across_a_restart(client, hk, database_url, monkeypatch):
    from webui import create_app

    from tests.conftest import TEST_PIN_PEPPER

    shop = shop_with(hk)
    card = new_card(client, shop)
    recharge(client, shop, card, 100000)
    start = now_utc()
    at(monkeypatch, start)
    for attempt in range(1, 5):
        assert pay(client, shop, card, 1000, pin=WRONG_PIN).json["error"]["code"] == "pin_not_accepted"
        assert pin_state(hk, card) == (attempt, None)
    fifth = pay(client, shop, card, 1000, pin=WRONG_PIN)
    assert fifth.status_code == 403 and fifth.json["error"]["code"] == "pin_not_accepted"
    failures, locked_until = pin_state(hk, card)
    assert failures == 0 and locked_until == start + timedelta(minutes=15)
    locked = pay(client, shop, card, 1000)  # even the right PIN is not looked at now
    assert locked.status_code == 403 and locked.json["error"]["code"] == "pin_locked"

    restarted = create_app({"TESTING": True, "DATABASE_URL": database_url, "VALIDATE_RESPONSES": True,
                            "SECRET_KEY": "test-secret", "PIN_PEPPER": TEST_PIN_PEPPER})
    try:
        again = restarted.test_client()
        at(monkeypatch, start + timedelta(minutes=14, seconds=59))
        assert pay(again, shop, card, 1000).json["error"]["code"] == "pin_locked"
        at(monkeypatch, start + timedelta(minutes=15))
        unlocked = pay(again, shop, card, 1000)
        assert unlocked.status_code == 201, unlocked.json
        assert pin_state(hk, card) == (0, None)
    finally:
        restarted.extensions["huika"].db.dispose()
    assert stored(client, shop, card)["principal_fen"] == 99000
    assert_ledger_sound(hk, shop)


def test_c6_the_lock_is_a_setting(client, hk, monkeypatch):
    shop = shop_with(hk, {"pin_max_attempts": 2, "pin_lock_minutes": 60})
    card = new_card(client, shop)
    recharge(client, shop, card, 100000)
    start = now_utc()
    at(monkeypatch, start)
    pay(client, shop, card, 1000, pin=WRONG_PIN)
    pay(client, shop, card, 1000, pin=WRONG_PIN)
    assert pin_state(hk, card)[1] == start + timedelta(minutes=60)
    at(monkeypatch, start + timedelta(minutes=59))
    assert pay(client, shop, card, 1000).json["error"]["code"] == "pin_locked"
    at(monkeypatch, start + timedelta(minutes=61))
    # After the lock the count starts again: one wrong PIN does not lock at once.
    assert pay(client, shop, card, 1000, pin=WRONG_PIN).json["error"]["code"] == "pin_not_accepted"
    assert pin_state(hk, card)[0] == 1
    assert pay(client, shop, card, 1000).status_code == 201
    assert_ledger_sound(hk, shop)


def test_c6_ten_wrong_pins_in_all_block_the_pin_until_a_manager_unblocks_it(client, hk, monkeypatch):
    shop = shop_with(hk)
    card = new_card(client, shop)
    recharge(client, shop, card, 100000)
    start = now_utc()
    at(monkeypatch, start)
    for _ in range(3):
        pay(client, shop, card, 1000, pin=WRONG_PIN)
    assert pin_row(hk, card)["total"] == 3
    assert pay(client, shop, card, 1000).status_code == 201  # a right PIN pays and clears both counts
    assert pin_row(hk, card) == {"failures": 0, "total": 0, "locked_until": None, "blocked": False}
    for _ in range(5):
        pay(client, shop, card, 1000, pin=WRONG_PIN)
    assert pin_row(hk, card) == {"failures": 0, "total": 5, "blocked": False,
                                 "locked_until": start + timedelta(minutes=15)}
    at(monkeypatch, start + timedelta(minutes=16))  # the lock runs out; the total stays
    for _ in range(5):
        assert pay(client, shop, card, 1000, pin=WRONG_PIN).json["error"]["code"] == "pin_not_accepted"
    assert pin_row(hk, card)["total"] == 10 and pin_row(hk, card)["blocked"]
    at(monkeypatch, start + timedelta(days=30))  # no lock expiry lifts a block
    blocked = pay(client, shop, card, 1000)
    assert (blocked.status_code, blocked.json["error"]["code"]) == (403, "pin_blocked")
    read = client.get(f"/api/v1/cards/{card}", headers=shop.headers("cashier")).json
    assert read["pin_blocked"] is True

    assert post(client, shop, f"/cards/{card}/pin/unblock", None, role="cashier").status_code == 403
    assert pay(client, shop, card, 1000).json["error"]["code"] == "pin_blocked"
    unblocked = post(client, shop, f"/cards/{card}/pin/unblock", None, role="manager")
    assert unblocked.status_code == 200, unblocked.json
    assert unblocked.json["pin_blocked"] is False and unblocked.json["pin_locked_until"] is None
    assert pin_row(hk, card) == {"failures": 0, "total": 0, "locked_until": None, "blocked": False}
    assert pay(client, shop, card, 1000).status_code == 201  # the PIN itself did not change
    assert stored(client, shop, card)["principal_fen"] == 98000
    assert_ledger_sound(hk, shop)


def test_c6_the_block_is_a_setting(client, hk):
    shop = shop_with(hk, {"pin_block_after_failures": 2})
    card = new_card(client, shop)
    recharge(client, shop, card, 100000)
    pay(client, shop, card, 1000, pin=WRONG_PIN)
    pay(client, shop, card, 1000, pin=WRONG_PIN)
    assert pin_row(hk, card)["blocked"]
    assert pay(client, shop, card, 1000).json["error"]["code"] == "pin_blocked"


def test_c6_a_manager_resets_the_pin_to_a_strong_one(client, hk):
    shop = shop_with(hk, {"pin_block_after_failures": 1})
    card = new_card(client, shop)
    recharge(client, shop, card, 100000)
    pay(client, shop, card, 1000, pin=WRONG_PIN)
    assert pin_row(hk, card)["blocked"]
    url = f"/api/v1/cards/{card}/pin"
    refused = client.put(url, json={"pin": "135792"}, headers=shop.headers("cashier"))
    assert refused.status_code == 403
    for weak in ("123456", "000000", "520520"):
        response = client.put(url, json={"pin": weak}, headers=shop.headers("manager"))
        assert response.status_code == 422 and response.json["error"]["code"] == "weak_pin", response.json
        assert response.json["error"]["details"][0]["pointer"] == "/pin"
    for bad in ("12345", 135792, None):
        assert client.put(url, json={"pin": bad}, headers=shop.headers("owner")).status_code == 422
    assert pin_row(hk, card)["blocked"]  # nothing changed
    done = client.put(url, json={"pin": "135792"}, headers=shop.headers("manager"))
    assert done.status_code == 200 and done.json["has_pin"] and not done.json["pin_blocked"]
    assert pin_row(hk, card) == {"failures": 0, "total": 0, "locked_until": None, "blocked": False}
    assert pay(client, shop, card, 1000, pin=PIN).json["error"]["code"] == "pin_not_accepted"
    assert client.put(url, json={"pin": "135792"}, headers=shop.headers("manager")).status_code == 200
    assert pay(client, shop, card, 1000, pin="135792").status_code == 201
    missing = client.put("/api/v1/cards/NOSUCHCARD/pin", json={"pin": "135792"}, headers=shop.headers())
    assert missing.status_code == 404


def test_c6_weak_pins_are_refused_at_issue(client, hk):
    shop = shop_with(hk)
    member = client.post("/api/v1/members", json={"name": "王芳", "phone": "13912340001"},
                         headers=shop.headers()).json
    for weak in WEAK:
        response = client.post("/api/v1/cards", json={"member_id": member["id"], "pin": weak},
                               headers=shop.headers())
        assert response.status_code == 422, (weak, response.json)
        assert response.json["error"]["code"] == "weak_pin"
        assert response.json["error"]["details"][0]["pointer"] == "/pin"
    with hk.db.read() as session:
        assert session.scalar(select(Card).where(Card.member_id == member["id"])) is None
    accepted = client.post("/api/v1/cards", json={"member_id": member["id"], "pin": "582039"},
                           headers=shop.headers())
    assert accepted.status_code == 201


def test_c6_an_unknown_card_and_a_wrong_pin_get_the_same_answer(client, hk):
    shop = shop_with(hk, {"allow_withdrawal": True, "allow_refund": True})
    number = new_card(client, shop)
    recharge(client, shop, number, 50000)
    for route, body in [("withdraw", {"pin": WRONG_PIN, "payment": {"method": "cash"}}),
                        ("refund", {"pin": WRONG_PIN, "payment": {"method": "cash"}})]:
        answers = [post(client, shop, f"/cards/{card}/{route}", body) for card in (number, "NOSUCHCARD")]
        assert [(a.status_code, a.json) for a in answers] == [(403, {"error": {
            "code": "pin_not_accepted", "message": "card or PIN not accepted", "details": None}})] * 2
    answers = [pay(client, shop, card, 100, pin=WRONG_PIN) for card in (number, "NOSUCHCARD")]
    assert answers[0].status_code == answers[1].status_code == 403
    assert answers[0].json == answers[1].json == {"error": {
        "code": "pin_not_accepted", "message": "card or PIN not accepted", "details": None}}
    assert pin_row(hk, number)["total"] == 3
    # Without a PIN an unknown card is still simply not found.
    assert pay(client, shop, "NOSUCHCARD", 100, pin=None).status_code in (404, 422)
    cash = client.post("/api/v1/checkout", json={
        "card_number": "NOSUCHCARD", "lines": [{"sku": "A", "unit_price_fen": 100}],
        "payments": [{"method": "cash", "amount_fen": 100}]},
        headers={**shop.headers("cashier"), "Idempotency-Key": key()})
    assert cash.status_code == 404
    assert stored(client, shop, number)["total_fen"] == 50000
    assert_ledger_sound(hk, shop)


def test_c6_a_wrong_pin_is_counted_but_nothing_else_of_the_request_is_committed(client, hk):
    shop = shop_with(hk)
    number = new_card(client, shop)
    recharge(client, shop, number, 50000)
    response = pay(client, shop, number, 100, pin=WRONG_PIN, idem="wrong-pin-key")
    assert response.status_code == 403
    with hk.db.read() as session:  # the Idempotency-Key claim was rolled back with the request
        assert session.scalar(select(IdempotencyRecord).where(
            IdempotencyRecord.key == "wrong-pin-key")) is None
    assert pin_row(hk, number)["total"] == 1
    retried = pay(client, shop, number, 100, idem="wrong-pin-key")  # same key, right PIN: it pays
    assert retried.status_code == 201, retried.json
    assert stored(client, shop, number)["total_fen"] == 49900


def test_c6_verify_pin_runs_only_inside_with_pin_checks(client, hk):
    shop = shop_with(hk)
    number = new_card(client, shop)
    now = now_utc()

    def attempt(pin):
        def run():
            with hk.db.write() as session:
                card = session.scalar(select(Card).where(Card.number == number))
                card.batch = "touched"  # a write of the request: never committed on a wrong PIN
                verify_pin(session, card, pin, max_attempts=5, lock_minutes=15, now=now)
                runs.append(pin)
        return run

    runs = []
    with pytest.raises(Forbidden) as raised:
        with_pin_checks(hk.db, attempt(WRONG_PIN))
    assert (raised.value.code, runs) == ("pin_not_accepted", [])
    with hk.db.read() as session:
        card = session.scalar(select(Card).where(Card.number == number))
        assert (card.pin_failures, card.batch) == (1, "")
    with_pin_checks(hk.db, attempt(PIN))
    assert runs == [PIN]  # the request ran again once its PIN was found right
    assert pin_row(hk, number)["total"] == 0
    with pytest.raises(PinCheckNeeded):  # outside the gate: a programming error, never a pass
        attempt(PIN)()


def test_c6_a_pin_set_here_is_accepted_only_for_that_card_pin_and_block(client, hk):
    """The demo pays with a PIN it chose in the same transaction (core.pins.pin_set_here)."""
    shop = shop_with(hk)
    number = new_card(client, shop)
    now = now_utc()
    with hk.db.write() as session:
        card = session.scalar(select(Card).where(Card.number == number))
        with pin_set_here(session, card, "582913"):
            verify_pin(session, card, "582913", max_attempts=5, lock_minutes=15, now=now)
            with pytest.raises(PinCheckNeeded):  # any other PIN still goes through with_pin_checks
                verify_pin(session, card, WRONG_PIN, max_attempts=5, lock_minutes=15, now=now)
        with pytest.raises(PinCheckNeeded):  # and so does the one set, once the block is left
            verify_pin(session, card, "582913", max_attempts=5, lock_minutes=15, now=now)
