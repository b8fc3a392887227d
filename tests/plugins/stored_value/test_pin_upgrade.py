"""F3 through the API: PINs hashed before the pepper (scrypt) or under a retired pepper still
pay, and are re-hashed with the current pepper on their first right use; a wrong PIN changes
no hash."""
from __future__ import annotations

from sqlalchemy import select, update

from core.models import Card
from core.security import hash_pin, hash_secret, pepper_id

from .helpers import PIN, WRONG_PIN, new_card, pay, recharge, shop_with


def stored_hash(hk, number: str) -> str:
    with hk.db.read() as session:
        return session.scalar(select(Card.pin_hash).where(Card.number == number))


def set_hash(hk, number: str, value: str) -> None:
    with hk.db.write() as session:
        session.execute(update(Card).where(Card.number == number).values(pin_hash=value))


def test_new_pins_are_keyed_by_the_current_pepper(client, hk):
    shop = shop_with(hk)
    card = new_card(client, shop)
    assert stored_hash(hk, card).startswith(f"hmac-sha256${pepper_id(hk.db.pin_peppers[0])}$")


def test_an_old_scrypt_pin_pays_once_and_is_upgraded(client, hk):
    shop = shop_with(hk)
    card = new_card(client, shop)
    recharge(client, shop, card, 100000)
    old = hash_secret(PIN)
    set_hash(hk, card, old)
    assert pay(client, shop, card, 1000, pin=WRONG_PIN).status_code == 403
    assert stored_hash(hk, card) == old  # a wrong PIN upgrades nothing
    assert pay(client, shop, card, 1000).status_code == 201
    upgraded = stored_hash(hk, card)
    assert upgraded.startswith("hmac-sha256$") and upgraded != old
    assert pay(client, shop, card, 1000).status_code == 201  # and still pays


def test_a_pin_under_a_foreign_pepper_is_refused(client, hk):
    """A hash made under a pepper this server does not hold cannot be checked: refused, counted."""
    shop = shop_with(hk)
    card = new_card(client, shop)
    recharge(client, shop, card, 100000)
    set_hash(hk, card, hash_pin(PIN, b"\x01" * 32))
    refused = pay(client, shop, card, 1000)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "pin_not_accepted"
