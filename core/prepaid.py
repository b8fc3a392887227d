"""Prepaid packages sold through the checkout (a school's course packages, a salon's count and
period cards): the pieces every plugin that sells them needs, kept here so each plugin holds
only what its own packages mean (a plugin may not import another).

- ``payments_from_body``: a selling screen sends one ``payment`` for the whole amount due, an
  API client a ``payments`` list as for ``/checkout``;
- ``unit_share``: the paid fen of one unit of a checkout line (cumulative floor shares, the
  rule the core's returns use, so returning k units gives back exactly their money);
- ``lock_card`` / ``lock_cards_in_order``: every change to a card's packages takes the card
  row first, as the checkout does, and a nightly job takes all its cards in id order first.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import Invalid, problem
from .models import Card
from .pricing import proportional_share


def payments_from_body(body: dict, due_fen: int) -> list:
    """``payments`` as sent, or the one ``payment`` (a screen's) for the whole amount due."""
    if ("payments" in body) == ("payment" in body):
        raise Invalid("send either payment (for the whole amount) or payments",
                      details=[problem("/payment", "one payment, or a payments list instead")])
    if "payments" in body:
        return body["payments"]
    payment = {key: value for key, value in body["payment"].items() if value not in (None, "")}
    return [{**payment, "amount_fen": due_fen}]


def unit_share(paid_fen: int, unit_no: int, quantity: int) -> int:
    """The paid fen of unit ``unit_no`` (1..quantity) of a line that paid ``paid_fen``."""
    return (proportional_share(paid_fen, unit_no, quantity)
            - proportional_share(paid_fen, unit_no - 1, quantity))


def lock_card(session: Session, card: Card) -> None:
    """Take the card's row (PostgreSQL; SQLite's write transaction already serialises), so two
    tills on one card queue instead of both spending the last session."""
    session.execute(select(Card.id).where(Card.id == card.id).with_for_update())


def lock_cards_in_order(session: Session, card_ids: list[int], chunk: int = 500) -> None:
    """Take every card a job touches, in id order, before it posts anything. A till locks its
    card and then posts to the merchant's accounts; a job locking card by card between its
    postings would hold those accounts while waiting for a card a till holds, and the till
    would wait for the accounts: a deadlock on PostgreSQL."""
    ordered = sorted(set(card_ids))
    for start in range(0, len(ordered), chunk):
        session.execute(select(Card.id).where(Card.id.in_(ordered[start:start + chunk]))
                        .order_by(Card.id).with_for_update())
