"""The purchase-card fee (C3): a card kind that earns no points (P3) pays its card fee once."""
from __future__ import annotations

from core import ledger
from core.checkout import usable_card
from core.errors import Conflict, Invalid
from core.ledger import Posting
from core.models import Card
from core.operations import OperationContext

from .common import (CNY, TX_PURCHASE_FEE, Books, balances, lock_card, parse_tender, settings_of,
                     unknown_properties)


def _fee_key(card: Card) -> str:
    return f"stored_value:purchase_fee:{card.id}"


def purchase_fee(context: OperationContext) -> dict:
    """C3: a purchase card (a kind that earns no points, P3) pays its card fee once; the fee
    buys the card and loads nothing on it."""
    session, merchant_id, now = context.session, context.merchant_id, context.now
    card = usable_card(session, merchant_id, context.params["card_number"], now)
    kind = context.config.card_kind(card.kind)
    if kind is None or kind.get("earns_points", True):
        raise Conflict(f"card {card.number} is not a purchase card: only card kinds that earn no "
                       "points pay a card fee (C3)", code="not_a_purchase_card")
    problems = unknown_properties(context.body, {"payment"})
    tender = parse_tender(context.body.get("payment"), ("cash", "external"), problems)
    if problems:
        raise Invalid("the card fee payment is not valid; nothing was charged", details=problems)
    lock_card(session, card)
    paid = ledger.find_by_idempotency_key(session, merchant_id, _fee_key(card))
    if paid is not None:
        raise Conflict(f"the card fee of card {card.number} was already paid",
                       code="purchase_fee_already_paid", details={"transaction_id": paid.id})
    fee = settings_of(context.config)["purchase_card_fee_fen"]
    books = Books(session, card)  # explicit postings: a fee of 0 still leaves its "paid" trace
    postings = [Posting(books.merchant(tender.purpose, CNY), fee),
                Posting(books.merchant("card_fees", CNY), -fee)]
    transaction = ledger.post(session, merchant_id, TX_PURCHASE_FEE, postings,
                              store_id=context.store_id, staff_id=context.staff_id,
                              idempotency_key=_fee_key(card), now=now,
                              memo={"card_id": card.id, "card_number": card.number,
                                    "card_kind": card.kind, "method": tender.method})
    return {"card_number": card.number, "card_kind": card.kind, "transaction_id": transaction.id,
            "fee_fen": fee, "payment": tender.json(fee), "balances": balances(session, card)}
