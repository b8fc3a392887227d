"""C6: PIN checks through core.pins.verify_pin: lock-out in the database, alike answers."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.clock import now_utc
from core.errors import Forbidden
from core.models import Card
from core.pins import verify_pin

from .helpers import PIN, WRONG_PIN, assert_ledger_sound, new_card, pay, pin_state, recharge, shop_with, stored


def at(monkeypatch, moment):
    monkeypatch.setattr("webui.api.handlers.now_utc", lambda: moment)


def test_c6_five_wrong_pins_lock_for_15_minutes_even_across_a_restart(client, hk, database_url, monkeypatch):
    from webui import create_app

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
                            "SECRET_KEY": "test-secret"})
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


def test_c6_an_unknown_card_and_a_wrong_pin_get_the_same_answer(client, hk):
    shop = shop_with(hk)
    number = new_card(client, shop)
    answers = []
    for card_number, pin in [(number, WRONG_PIN), ("NOSUCHCARD", PIN)]:
        with pytest.raises(Forbidden) as raised:
            with hk.db.write() as session:
                card = session.scalar(select(Card).where(Card.number == card_number))
                verify_pin(session, card, pin, max_attempts=5, lock_minutes=15, now=now_utc())
        answers.append((raised.value.code, raised.value.message, raised.value.details))
    assert answers[0] == answers[1] == ("pin_not_accepted", "card or PIN not accepted", None)
    assert pin_state(hk, number) == (1, None)  # counted in its own transaction, after rollback
    # Over the API a wrong PIN gives exactly that answer, nothing more (no attempts left).
    recharge(client, shop, number, 50000)
    response = pay(client, shop, number, 100, pin=WRONG_PIN)
    assert response.json["error"] == {"code": "pin_not_accepted", "message": "card or PIN not accepted",
                                      "details": None}
    assert_ledger_sound(hk, shop)


def test_c6_a_right_pin_passes_and_clears_the_count(hk, client):
    shop = shop_with(hk)
    number = new_card(client, shop)
    with pytest.raises(Forbidden):
        with hk.db.write() as session:
            card = session.scalar(select(Card).where(Card.number == number))
            verify_pin(session, card, WRONG_PIN, max_attempts=5, lock_minutes=15, now=now_utc())
    assert pin_state(hk, number) == (1, None)
    assert_ledger_sound(hk, shop)
    with hk.db.write() as session:
        card = session.scalar(select(Card).where(Card.number == number))
        verify_pin(session, card, PIN, max_attempts=5, lock_minutes=15, now=now_utc())
    assert pin_state(hk, number) == (0, None)
    assert_ledger_sound(hk, shop)


def test_c6_a_wrong_pin_is_counted_even_if_the_caller_commits(hk, client):
    shop = shop_with(hk)
    number = new_card(client, shop)
    with hk.db.write() as session:
        card = session.scalar(select(Card).where(Card.number == number))
        with pytest.raises(Forbidden):
            verify_pin(session, card, WRONG_PIN, max_attempts=5, lock_minutes=15, now=now_utc())
    assert pin_state(hk, number) == (1, None)
    assert_ledger_sound(hk, shop)
