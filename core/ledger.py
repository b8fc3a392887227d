"""Posting to the double-entry ledger.

Rules (DESIGN.md "Money and the ledger"):
- amounts are ints (fen, points, sessions …), never floats;
- a transaction's entries sum to zero per asset;
- a card account is debited with a guarded UPDATE (balance + amount >= 0) backed by a CHECK
  constraint, accounts are touched in id order so concurrent posts cannot deadlock;
- entries are only inserted; a correction is a new transaction that reverses an old one.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .errors import Conflict, Invalid
from .models import Account, AccountOwner, Card, Entry, LedgerTransaction


@dataclass(frozen=True)
class Posting:
    account: Account
    amount: int


class InsufficientBalance(Conflict):
    code = "insufficient_balance"


def card_account(session: Session, merchant_id: int, card_id: int, asset: str) -> Account:
    return _get_or_create(session, merchant_id=merchant_id, owner=AccountOwner.CARD.value,
                          card_id=card_id, purpose="", asset=asset)


def merchant_account(session: Session, merchant_id: int, purpose: str, asset: str) -> Account:
    return _get_or_create(session, merchant_id=merchant_id, owner=AccountOwner.MERCHANT.value,
                          card_id=None, purpose=purpose, asset=asset)


def _get_or_create(session: Session, **key) -> Account:
    query = select(Account).filter_by(**key)
    account = session.scalar(query)
    if account is not None:
        return account
    try:
        with session.begin_nested():
            account = Account(balance=0, **key)
            session.add(account)
            session.flush()
    except IntegrityError:  # created meanwhile by a concurrent request
        account = session.scalar(query)
    return account


def find_by_idempotency_key(session: Session, merchant_id: int, key: str) -> LedgerTransaction | None:
    return session.scalar(select(LedgerTransaction).where(
        LedgerTransaction.merchant_id == merchant_id, LedgerTransaction.idempotency_key == key))


def post(
    session: Session,
    merchant_id: int,
    type: str,
    postings: list[Posting],
    *,
    store_id: int | None = None,
    staff_id: int | None = None,
    idempotency_key: str | None = None,
    request_digest: str | None = None,
    reverses_id: int | None = None,
    memo: dict | None = None,
) -> LedgerTransaction:
    """Post one balanced transaction; raises InsufficientBalance and changes nothing on failure."""
    _check_balanced(merchant_id, postings)
    transaction = LedgerTransaction(
        merchant_id=merchant_id, type=type, store_id=store_id, staff_id=staff_id,
        idempotency_key=idempotency_key, request_digest=request_digest,
        reverses_id=reverses_id, memo=memo or {},
    )
    try:
        with session.begin_nested():
            session.add(transaction)
            session.flush()
    except IntegrityError:
        raise Conflict("this idempotency key was already used", code="idempotency_key_reused") from None
    with session.begin_nested():
        for posting in sorted(postings, key=lambda p: p.account.id):
            _apply(session, posting)
            session.add(Entry(transaction_id=transaction.id, account_id=posting.account.id,
                              asset=posting.account.asset, amount=posting.amount))
        session.flush()
    for posting in postings:
        session.refresh(posting.account, ["balance"])
    return transaction


def _check_balanced(merchant_id: int, postings: list[Posting]) -> None:
    if not postings:
        raise Invalid("a transaction needs at least one posting")
    totals: dict[str, int] = defaultdict(int)
    for posting in postings:
        if type(posting.amount) is not int:
            raise Invalid(f"ledger amounts are integers, got {posting.amount!r}")
        if posting.account.merchant_id != merchant_id:
            raise Invalid("a transaction cannot touch another merchant's account")
        totals[posting.account.asset] += posting.amount
    unbalanced = {asset: total for asset, total in totals.items() if total != 0}
    if unbalanced:
        raise Invalid(f"entries must sum to zero per asset, got {unbalanced}")


def _apply(session: Session, posting: Posting) -> None:
    account = posting.account
    guard = Account.id == account.id
    if account.owner == AccountOwner.CARD.value and posting.amount < 0:
        guard = guard & (Account.balance + posting.amount >= 0)
    result = session.execute(
        update(Account).where(guard).values(balance=Account.balance + posting.amount)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise InsufficientBalance(
            f"not enough {account.asset} on the card", details={"asset": account.asset,
                                                                "needed": -posting.amount})


def card_balances(session: Session, card_id: int) -> dict[str, int]:
    """Balance per asset of one card (accounts with no postings are left out)."""
    rows = session.execute(select(Account.asset, Account.balance).where(
        Account.owner == AccountOwner.CARD.value, Account.card_id == card_id))
    return {asset: balance for asset, balance in rows}


def verify(session: Session, merchant_id: int) -> list[str]:
    """Ledger invariants for one merchant; an empty list means all hold."""
    problems = []
    unbalanced = session.execute(
        select(Entry.transaction_id, Entry.asset, func.sum(Entry.amount))
        .join(LedgerTransaction, LedgerTransaction.id == Entry.transaction_id)
        .where(LedgerTransaction.merchant_id == merchant_id)
        .group_by(Entry.transaction_id, Entry.asset)
        .having(func.sum(Entry.amount) != 0)
    ).all()
    problems += [f"transaction {t} does not balance in {a}: {s}" for t, a, s in unbalanced]
    entry_sums = (select(Entry.account_id, func.sum(Entry.amount).label("total"))
                  .group_by(Entry.account_id).subquery())
    drift = session.execute(
        select(Account.id, Account.balance, func.coalesce(entry_sums.c.total, 0))
        .outerjoin(entry_sums, entry_sums.c.account_id == Account.id)
        .where(Account.merchant_id == merchant_id)
        .where(Account.balance != func.coalesce(entry_sums.c.total, 0))
    ).all()
    problems += [f"account {a} balance {b} != entries {s}" for a, b, s in drift]
    negative = session.scalars(select(Account.id).where(
        Account.merchant_id == merchant_id, Account.owner == AccountOwner.CARD.value,
        Account.balance < 0)).all()
    problems += [f"card account {a} is negative" for a in negative]
    return problems


def member_balances(session: Session, member_id: int, assets: list[str]) -> dict[str, int]:
    """Total balance per asset over all of a member's cards (0 for assets never posted)."""
    rows = session.execute(
        select(Account.asset, func.sum(Account.balance))
        .join(Card, Card.id == Account.card_id)
        .where(Card.member_id == member_id, Account.asset.in_(assets))
        .group_by(Account.asset)
    )
    totals = {asset: 0 for asset in assets}
    totals.update({asset: int(total) for asset, total in rows})
    return totals
