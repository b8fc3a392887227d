"""Paying stored value out (S1), when the merchant allows it: withdrawal of principal in cash
(the bonus goes in proportion) and refund of the card (退卡: all principal out, the bonus lapses).
Both need the card's PIN (C6)."""
from __future__ import annotations

from core import ledger
from core.checkout import usable_card
from core.errors import Conflict, Forbidden, Invalid
from core.ledger import InsufficientBalance
from core.models import Card
from core.operations import OperationContext

from .common import (BONUS, PRINCIPAL, TX_REFUND, TX_WITHDRAWAL, Books, Tender, balances, check_pin,
                     lock_card, parse_amount, parse_pin, parse_tender, settings_of, unknown_properties,
                     yuan)


def withdraw(context: OperationContext) -> dict:
    """S1: pay principal out in cash (only if the merchant allows it); the bonus goes in the
    same proportion as the principal taken out, rounded up (all of it when all is taken)."""
    session, now = context.session, context.now
    settings = settings_of(context.config)
    if not settings["allow_withdrawal"]:
        raise Forbidden("this merchant does not pay stored value out in cash (不可兑换现金, S1)",
                        code="withdrawal_disabled")
    problems = unknown_properties(context.body, {"amount_fen", "pin", "payment"})
    amount = None
    if "amount_fen" in context.body:
        amount = parse_amount(context.body["amount_fen"], "/amount_fen", problems)
    pin = parse_pin(context.body.get("pin"), "/pin", problems)
    tender = parse_tender(context.body.get("payment"), ("cash", "external"), problems)
    if problems:
        raise Invalid("the withdrawal is not valid; nothing was paid out", details=problems)
    # The card after the input: an unknown card answers like a wrong PIN (C6).
    card = usable_card(session, context.merchant_id, context.params["card_number"], now, pin=pin)
    lock_card(session, card)
    check_pin(session, card, pin, settings, now)
    amounts = balances(session, card)
    principal, bonus = amounts["principal_fen"], amounts["bonus_fen"]
    amount = principal if amount is None else amount
    if amount == 0 or amount > principal:
        raise InsufficientBalance(f"the card holds {yuan(principal)} yuan of principal; only principal "
                                  "is paid out (S1)", details={"asset": PRINCIPAL, "needed": amount,
                                                               "available": principal})
    forfeit = min(bonus, -(-bonus * amount // principal))  # ceiling of the same share
    return _pay_out(context, card, TX_WITHDRAWAL, amount, forfeit, tender)


def refund(context: OperationContext) -> dict:
    """S1 退卡: pay out all the principal (only if the merchant allows refunds); the bonus lapses."""
    session, now = context.session, context.now
    settings = settings_of(context.config)
    if not settings["allow_refund"]:
        raise Forbidden("this merchant does not refund stored-value cards (不可退卡, S1)",
                        code="refund_disabled")
    problems = unknown_properties(context.body, {"pin", "payment"})
    pin = parse_pin(context.body.get("pin"), "/pin", problems)
    tender = parse_tender(context.body.get("payment"), ("cash", "external"), problems)
    if problems:
        raise Invalid("the refund is not valid; nothing was paid out", details=problems)
    card = usable_card(session, context.merchant_id, context.params["card_number"], now, pin=pin)
    lock_card(session, card)
    check_pin(session, card, pin, settings, now)
    amounts = balances(session, card)
    if amounts["pending_fen"]:
        raise Conflict("a cheque recharge on this card is still pending: clear or bounce it first (S4)",
                       code="cheque_pending")
    if amounts["total_fen"] == 0:
        raise Conflict(f"card {card.number} holds no stored value", code="nothing_to_refund")
    return _pay_out(context, card, TX_REFUND, amounts["principal_fen"], amounts["bonus_fen"],
                    tender)


def _pay_out(context: OperationContext, card: Card, kind: str, amount: int, forfeit: int,
             tender: Tender) -> dict:
    session, merchant_id = context.session, context.merchant_id
    books = Books(session, card)
    postings = (books.unload(PRINCIPAL, "issued", amount) + books.unload(BONUS, "forfeited", forfeit)
                + books.cny(tender.purpose, "stored_value_sold", amount))
    transaction = ledger.post(session, merchant_id, kind, postings, store_id=context.store_id,
                              staff_id=context.staff_id, now=context.now,
                              memo={"card_id": card.id, "card_number": card.number,
                                    "method": tender.method, "principal_fen": amount,
                                    "bonus_forfeited_fen": forfeit})
    return {"card_number": card.number, "transaction_id": transaction.id,
            "paid_out_fen": amount, "bonus_forfeited_fen": forfeit,
            "payment": tender.json(amount), "balances": balances(session, card)}
