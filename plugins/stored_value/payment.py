"""Paying a checkout from stored value (S2) with the card's PIN (C6): principal and bonus split
by the merchant's spend order, and the new-card cap on the day a card is bought (S3, across
same-day replacements, C5). The core calls ``pay`` through the ``checkout_payment`` hook."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.checkout import CheckoutState, PaymentResult
from core.clock import local_date, local_day_bounds
from core.errors import Conflict, Invalid, problem
from core.ledger import InsufficientBalance
from core.merchant_config import MerchantConfig
from core.models import Account, AccountOwner, Card, Entry, LedgerTransaction, Lot

from .common import (BONUS, LOAD_TYPES, PRINCIPAL, SPEND_TYPES, Books, balances, check_pin, lock_card,
                     parse_amount, parse_pin, settings_of, unknown_properties, yuan)

_PAID_CHECKOUTS = "stored_value.paid_checkouts"


def split(amount: int, principal: int, bonus: int, order: str) -> tuple[int, int]:
    """How much of ``amount`` comes from principal and from bonus; needs principal + bonus >= amount.

    ``principal_first`` (default; 先扣本金): principal, then bonus. ``bonus_first``: the other way.
    ``proportional`` (按比例): bonus in proportion to the balances, rounded down.
    """
    if order == "bonus_first":
        from_bonus = min(bonus, amount)
        return amount - from_bonus, from_bonus
    if order == "proportional":
        from_bonus = min(bonus, amount * bonus // (principal + bonus))
        from_principal = min(principal, amount - from_bonus)
        return from_principal, amount - from_principal
    from_principal = min(principal, amount)
    return from_principal, amount - from_principal


def pay(session: Session, checkout: CheckoutState, payment: dict, config: MerchantConfig) -> PaymentResult:
    """S2: pay ``amount_fen`` of a checkout from the card's balance, with its PIN (C6)."""
    if checkout.card is None:
        raise Invalid("paying from stored value needs the card: a walk-in sale (散客, C7) cannot",
                      details=[problem("/card_number", "the card to pay from")])
    problems = unknown_properties(payment, {"method", "amount_fen", "pin"}, "/payments")
    amount = parse_amount(payment.get("amount_fen"), "/payments", problems)
    pin = parse_pin(payment.get("pin"), "/payments", problems)
    if problems:
        raise Invalid("the stored-value payment is not valid; nothing was charged", details=problems)
    paid = session.info.setdefault(_PAID_CHECKOUTS, set())
    if id(checkout) in paid:
        raise Invalid("a checkout takes one stored-value payment",
                      details=[problem("/payments", "one payment with method stored_value")])
    settings = settings_of(config)
    card, now = checkout.card, checkout.now
    lock_card(session, card)
    check_pin(session, card, pin, settings, now)  # before any balance is revealed
    amounts = balances(session, card)
    principal, bonus = amounts["principal_fen"], amounts["bonus_fen"]
    if amount > principal + bonus:
        raise InsufficientBalance(
            f"the card holds {yuan(principal + bonus)} yuan of stored value; {yuan(amount)} yuan is "
            "asked" + (f" ({yuan(amounts['pending_fen'])} yuan waits for a cheque to clear, S4)"
                       if amounts["pending_fen"] else ""),
            details={"asset": "stored_value", "needed": amount, "available": principal + bonus})
    check_new_card_cap(session, card, amount, settings["new_card_cap_permille"], now)
    from_principal, from_bonus = split(amount, principal, bonus, settings["spend_order"])
    # On the card accounts, so the core's returns (G3) give back to the very lots (restore_from).
    books = Books(session, card)
    postings = (books.unload(PRINCIPAL, "redeemed", from_principal)
                + books.cny("sales", "stored_value_sold", from_principal)
                + books.unload(BONUS, "redeemed", from_bonus)
                + books.cny("sales", "stored_value_bonus_cost", from_bonus))
    paid.add(id(checkout))
    return PaymentResult(amount_fen=amount, postings=postings, receipt={
        "card_number": card.number, "principal_fen": from_principal, "bonus_fen": from_bonus,
        "signature_required": True})  # S2: the holder signs the slip (签字)


def check_new_card_cap(session: Session, card: Card, amount: int, permille: int, now: datetime) -> None:
    """S3: on the local day a card's first principal was loaded, stored-value spending that day
    (net of returns) is at most ``permille`` of the principal loaded that day.

    A card replaced that day (C5) is the same purchase: its predecessors' loads and spending
    count too, so a same-day replacement does not lift the cap.
    """
    lineage = _lineage(session, card)
    principal_ids = _account_ids(session, lineage, PRINCIPAL)
    if not principal_ids:
        return
    start, end = local_day_bounds(local_date(now))
    loads = (select(Lot.amount).join(LedgerTransaction, LedgerTransaction.id == Lot.transaction_id)
             .where(Lot.account_id.in_(principal_ids), LedgerTransaction.type.in_(LOAD_TYPES)))
    if session.scalar(select(func.count()).select_from(
            loads.where(LedgerTransaction.created_at < start).subquery())):
        return  # the card was bought on an earlier day
    loaded = session.scalar(select(func.coalesce(func.sum(Lot.amount), 0))
                            .join(LedgerTransaction, LedgerTransaction.id == Lot.transaction_id)
                            .where(Lot.account_id.in_(principal_ids),
                                   LedgerTransaction.type.in_(LOAD_TYPES),
                                   LedgerTransaction.created_at >= start,
                                   LedgerTransaction.created_at < end))
    if not loaded:
        return
    accounts = principal_ids + _account_ids(session, lineage, BONUS)
    spent = -int(session.scalar(
        select(func.coalesce(func.sum(Entry.amount), 0))
        .join(LedgerTransaction, LedgerTransaction.id == Entry.transaction_id)
        .where(Entry.account_id.in_(accounts), LedgerTransaction.type.in_(SPEND_TYPES),
               LedgerTransaction.created_at >= start, LedgerTransaction.created_at < end)))
    cap = int(loaded) * permille // 1000
    if spent + amount > cap:
        left = max(cap - spent, 0)
        raise Conflict(
            f"a new card may spend at most {permille}‰ of the {yuan(int(loaded))} yuan loaded today: "
            f"{yuan(left)} yuan is left until tomorrow (S3)", code="new_card_cap",
            details={"loaded_today_fen": int(loaded), "cap_fen": cap, "spent_today_fen": spent,
                     "available_fen": left})


def _lineage(session: Session, card: Card) -> list[int]:
    """This card and every card it replaced (C5), newest first."""
    ids, current = [card.id], card.id
    while (previous := session.scalar(select(Card.id).where(Card.replaced_by_id == current))) is not None:
        if previous in ids:
            break
        ids.append(previous)
        current = previous
    return ids


def _account_ids(session: Session, card_ids: list[int], asset: str) -> list[int]:
    return list(session.scalars(select(Account.id).where(
        Account.owner == AccountOwner.CARD.value, Account.card_id.in_(card_ids), Account.asset == asset)))
