"""The demo's stored value (``huika demo``): one member recharged ¥500 three days ago and paid
most of it at the till yesterday, so 储值余额不足 (``low_balance``, default under ¥50) shows on
the demo's first day. Real operations only: the recharge handler and a checkout paid from
stored value, so the ledger holds exactly what those would leave."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import checkout, pins
from core.models import Card
from core.operations import OperationContext
from core.weak_pins import random_pin

from .recharge import recharge

RECHARGE_FEN = 50000  # the default minimum recharge (S1)
LEFT_FEN = 3000  # what stays on the card: under low_balance's default ¥50
HOLDER = 1  # the second member card by id (the first holds the demo's coupons and packages)


def load(session: Session, config, merchant_id: int, store_id: int, staff_id: int, now: datetime) -> str | None:
    """Recharge one demo card and spend it down to LEFT_FEN; its number, or None without cards."""
    cards = session.scalars(select(Card).where(Card.merchant_id == merchant_id, Card.member_id.is_not(None))
                            .order_by(Card.id).limit(HOLDER + 1)).all()
    if not cards:
        return None
    card = cards[-1]
    pin = random_pin()  # paying needs the PIN (C6); ``load_demo`` sets and prints a fresh one later
    with pins.pin_set_here(session, card, pin):
        _spend_down(session, config, merchant_id, card, pin, store_id, staff_id, now)
    return card.number


def _spend_down(session, config, merchant_id, card, pin, store_id, staff_id, now) -> None:
    loaded = recharge(OperationContext(
        session=session, config=config, merchant_id=merchant_id, staff_id=staff_id, store_id=store_id,
        role="owner", params={"card_number": card.number}, query={},
        body={"amount_fen": RECHARGE_FEN, "payment": {"method": "cash"}}, now=now - timedelta(days=3)))
    balance = loaded["balances"]["principal_fen"] + loaded["balances"]["bonus_fen"]
    spend = balance - LEFT_FEN
    # Priced at twice the spend so any tier or birthday discount still leaves more due than
    # the card pays; the rest in cash.
    state = checkout.build(session, config, merchant_id, {"card_number": card.number, "lines": [
        {"sku": "GIFT-09", "name": "节日礼盒", "unit_price_fen": 2 * spend}]},
        store_id=store_id, staff_id=staff_id, now=now - timedelta(days=1))
    checkout.commit(state, [{"method": "stored_value", "amount_fen": spend, "pin": pin},
                            {"method": "cash", "amount_fen": state.due_fen - spend}])
