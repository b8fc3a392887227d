"""Recharge (S1): the amount plus the bonus of the highest tier it reaches onto the card, and the
C4 stored-amount tier upgrade; paid by cheque it stays pending until cleared (S4, see cheques)."""
from __future__ import annotations

from core import ledger
from core.checkout import usable_card
from core.errors import Invalid, problem
from core.operations import OperationContext

from .common import (BONUS, PENDING, PRINCIPAL, TX_RECHARGE, Books, balances, lock_card, parse_amount,
                     parse_tender, settings_of, unknown_properties, upgrade_tier, yuan)


def bonus_for(settings: dict, amount: int) -> int:
    """The bonus of the highest tier whose threshold the amount reaches (S1), once."""
    reached = [tier for tier in settings["bonus_tiers"] if tier["threshold_fen"] <= amount]
    return max(reached, key=lambda tier: tier["threshold_fen"])["bonus_fen"] if reached else 0


def recharge(context: OperationContext) -> dict:
    """S1: load ``amount_fen`` plus its bonus; paid by cheque it stays pending (S4)."""
    session, merchant_id, now = context.session, context.merchant_id, context.now
    card = usable_card(session, merchant_id, context.params["card_number"], now)
    lock_card(session, card)
    settings = settings_of(context.config)
    body = context.body
    problems = unknown_properties(body, {"amount_fen", "payment"})
    amount = parse_amount(body.get("amount_fen"), "/amount_fen", problems)
    tender = parse_tender(body.get("payment"), ("cash", "external", "cheque"), problems)
    if problems:
        raise Invalid("the recharge is not valid; nothing was charged", details=problems)
    minimum = settings["min_recharge_fen"]
    if amount < minimum:
        raise Invalid(f"a recharge is at least {yuan(minimum)} yuan (S1)",
                      code="below_minimum_recharge",
                      details=[problem("/amount_fen", f"at least {minimum} fen")])
    bonus = bonus_for(settings, amount)
    cheque = tender.method == "cheque"
    books = Books(session, card)
    money = books.cny("stored_value_sold", tender.purpose, amount)
    if cheque:  # S4: nothing spendable (and no stored_amount upgrade) before it clears
        value = books.load(PENDING, amount + bonus)
    else:
        value = books.load(PRINCIPAL, amount) + books.load(BONUS, bonus)
    memo = {"card_id": card.id, "card_number": card.number, "method": tender.method,
            "principal_fen": amount, "bonus_fen": bonus, "reference": tender.reference}
    transaction = ledger.post(session, merchant_id, TX_RECHARGE, value + money,
                              store_id=context.store_id, staff_id=context.staff_id, memo=memo, now=now)
    if not cheque:
        upgrade_tier(session, context.config, card, now)
    return {
        "card_number": card.number,
        "transaction_id": transaction.id,
        "status": "pending" if cheque else "loaded",
        "loaded": {"principal_fen": 0 if cheque else amount, "bonus_fen": 0 if cheque else bonus,
                   "pending_fen": amount + bonus if cheque else 0},
        "payment": tender.json(amount),
        "balances": balances(session, card),
        "tier": card.tier.key if card.tier else None,
    }
