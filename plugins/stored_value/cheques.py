"""Cheque recharges (S4): pending until a manager clears them (principal and bonus become
spendable, C4 tier upgrade) or records them bounced (the pending recharge is reversed), once each;
and the list of a card's cheques still pending. A replaced card's cheques follow it (C5)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import ledger
from core.cards import get_card
from core.errors import Conflict, NotFound
from core.ledger import Posting
from core.models import Account, AccountOwner, Card, Entry, LedgerTransaction
from core.operations import OperationContext

from .common import (BONUS, PENDING, PRINCIPAL, TX_CHEQUE_BOUNCE, TX_CHEQUE_CLEAR, TX_RECHARGE, Books,
                     balances, lock_card, upgrade_tier)


def pending_cheques(session: Session, card: Card) -> list[dict]:
    account = _existing_account(session, card, PENDING)
    if account is None:
        return []
    recharges = session.scalars(
        select(LedgerTransaction).join(Entry, Entry.transaction_id == LedgerTransaction.id)
        .where(Entry.account_id == account.id, Entry.amount > 0,
               LedgerTransaction.type == TX_RECHARGE)
        .order_by(LedgerTransaction.id)).all()
    return [_cheque_json(tx) for tx in recharges
            if ledger.find_by_idempotency_key(session, card.merchant_id, _settle_key(tx.id)) is None]


def _cheque_json(tx: LedgerTransaction) -> dict:
    memo = tx.memo or {}
    return {"transaction_id": tx.id, "amount_fen": memo.get("principal_fen", 0),
            "bonus_fen": memo.get("bonus_fen", 0), "reference": memo.get("reference", ""),
            "created_at": tx.created_at.isoformat()}


def _existing_account(session: Session, card: Card, asset: str) -> Account | None:
    return session.scalar(select(Account).where(
        Account.owner == AccountOwner.CARD.value, Account.card_id == card.id, Account.asset == asset))


def _settle_key(transaction_id: int) -> str:
    """A cheque is cleared or bounced once: this ledger key is unique per merchant."""
    return f"stored_value:cheque:{transaction_id}:settled"


def _current_card_id(session: Session, card_id: int) -> int:
    """Follow replacements (C5) to the card that holds a card's balances now."""
    seen = set()
    while card_id not in seen:
        seen.add(card_id)
        successor = session.scalar(select(Card.replaced_by_id).where(Card.id == card_id))
        if successor is None:
            return card_id
        card_id = successor
    return card_id


def settle_cheque(context: OperationContext, action: str) -> dict:
    """S4: ``clear`` moves a cheque recharge from pending into principal and bonus; ``bounce``
    reverses it. Either happens once per cheque."""
    session, merchant_id, now = context.session, context.merchant_id, context.now
    card = get_card(session, merchant_id, context.params["card_number"])
    transaction_id = context.params["transaction_id"]
    cheque = session.get(LedgerTransaction, transaction_id)
    memo = (cheque.memo or {}) if cheque is not None else {}
    if (cheque is None or cheque.merchant_id != merchant_id or cheque.type != TX_RECHARGE
            or memo.get("method") != "cheque"
            or _current_card_id(session, memo.get("card_id")) != card.id):
        raise NotFound(f"card {card.number} has no cheque recharge {transaction_id}")
    lock_card(session, card)
    settled = ledger.find_by_idempotency_key(session, merchant_id, _settle_key(cheque.id))
    if settled is not None:
        done = "cleared" if settled.type == TX_CHEQUE_CLEAR else "bounced"
        raise Conflict(f"cheque recharge {cheque.id} was already {done}",
                       code="cheque_already_settled", details={"settled_by": settled.id, "status": done})
    principal, bonus = memo["principal_fen"], memo["bonus_fen"]
    books = Books(session, card)
    # This cheque's own pending lot first (another cheque may be pending on the card).
    out_of_pending = [Posting(books.on_card(PENDING), -(principal + bonus), prefer_lots_of=cheque.id),
                      Posting(books.merchant("issued", PENDING), principal + bonus)]
    if action == "clear":
        postings = (out_of_pending + books.load(PRINCIPAL, principal) + books.load(BONUS, bonus)
                    + books.cny("cheques_receivable", "external_cheque", principal))
        kind, reverses = TX_CHEQUE_CLEAR, None
    else:
        postings = out_of_pending + books.cny("cheques_receivable", "stored_value_sold", principal)
        kind, reverses = TX_CHEQUE_BOUNCE, cheque.id
    posted = ledger.post(session, merchant_id, kind, postings, store_id=context.store_id,
                         staff_id=context.staff_id, idempotency_key=_settle_key(cheque.id),
                         reverses_id=reverses, now=now,
                         memo={"card_id": card.id, "card_number": card.number,
                               "cheque_transaction_id": cheque.id,
                               "reference": memo.get("reference", "")})
    if action == "clear":
        upgrade_tier(session, context.config, card, now)
    return {
        "card_number": card.number,
        "cheque_transaction_id": cheque.id,
        "transaction_id": posted.id,
        "status": "cleared" if action == "clear" else "bounced",
        "loaded": {"principal_fen": principal if action == "clear" else 0,
                   "bonus_fen": bonus if action == "clear" else 0,
                   "pending_fen": -(principal + bonus)},
        "balances": balances(session, card),
        "tier": card.tier.key if card.tier else None,
    }
