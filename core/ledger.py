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
from datetime import date, datetime

from sqlalchemy import case, func, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .errors import Conflict, Invalid
from .clock import local_date, now_utc
from .faults import fault_point
from .models import Account, AccountOwner, Card, Entry, LedgerTransaction, Lot, LotMovement


@dataclass(frozen=True)
class Posting:
    """``amount`` on ``account``. A credit to a card opens a lot expiring on ``expires_on``;
    a credit with ``restore_from`` instead gives back lots that transaction consumed."""

    account: Account
    amount: int
    expires_on: date | None = None
    restore_from: int | None = None
    prefer_lots_of: int | None = None  # a debit takes this transaction's lots first


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
    now: datetime | None = None,
    lots_as_of: date | None = None,
) -> LedgerTransaction:
    """Post one balanced transaction; raises InsufficientBalance and changes nothing on failure.

    The transaction is dated ``now``. Card debits consume lots unexpired on ``lots_as_of``
    (default: the merchant's date at ``now``), soonest expiry first; card credits open a lot
    or restore the lots of ``Posting.restore_from``.
    """
    now = now or now_utc()
    today = lots_as_of or local_date(now)
    _check_balanced(merchant_id, postings)
    transaction = LedgerTransaction(
        merchant_id=merchant_id, type=type, store_id=store_id, staff_id=staff_id,
        idempotency_key=idempotency_key, request_digest=request_digest,
        reverses_id=reverses_id, memo=memo or {}, created_at=now,
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
            if posting.account.owner == AccountOwner.CARD.value:
                _move_lots(session, transaction, posting, today)
                if posting.amount < 0:
                    fault_point("after_debit")  # testing only: core/faults.py
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


def _move_lots(session: Session, transaction: LedgerTransaction, posting: Posting,
               today: date) -> None:
    if posting.amount < 0:
        _consume_lots(session, transaction.id, posting.account, -posting.amount, today,
                      posting.prefer_lots_of)
    elif posting.restore_from is not None:
        _restore_lots(session, transaction.id, posting, posting.restore_from)
    elif posting.amount > 0:
        session.add(Lot(account_id=posting.account.id, transaction_id=transaction.id,
                        amount=posting.amount, remaining=posting.amount,
                        expires_on=posting.expires_on, created_at=transaction.created_at))


def _consume_lots(session: Session, transaction_id: int, account: Account, amount: int,
                  today: date, prefer: int | None = None) -> None:
    preferred = case((Lot.transaction_id == prefer, 0), else_=1) if prefer else literal(1)
    lots = session.scalars(
        select(Lot)
        .where(Lot.account_id == account.id, Lot.remaining > 0,
               (Lot.expires_on.is_(None)) | (Lot.expires_on >= today))
        .order_by(preferred, Lot.expires_on.is_(None), Lot.expires_on, Lot.id)
    ).all()
    left = amount
    for lot in lots:
        if left == 0:
            break
        take = min(lot.remaining, left)
        lot.remaining -= take
        session.add(LotMovement(lot_id=lot.id, transaction_id=transaction_id, amount=-take))
        left -= take
    if left:
        raise InsufficientBalance(
            f"not enough unexpired {account.asset} on the card",
            details={"asset": account.asset, "needed": amount, "available": amount - left})


def _restore_lots(session: Session, transaction_id: int, posting: Posting, source_id: int) -> None:
    """Give back to the lots ``source_id`` took from, in the order it took them."""
    for lot, give in restore_plan(session, posting.account.id, source_id, posting.amount):
        lot.remaining += give
        session.add(LotMovement(lot_id=lot.id, transaction_id=transaction_id, amount=give))


def restore_plan(session: Session, account_id: int, source_id: int, amount: int) -> list[tuple[Lot, int]]:
    """(lot, amount) pairs that give ``amount`` back to the lots transaction ``source_id`` took
    from on the account, in lot order, each up to what was taken and not yet given back."""
    taken = session.execute(
        select(LotMovement.lot_id, func.sum(LotMovement.amount))
        .join(Lot, Lot.id == LotMovement.lot_id)
        .where(LotMovement.transaction_id == source_id, Lot.account_id == account_id)
        .group_by(LotMovement.lot_id).order_by(LotMovement.lot_id)
    ).all()
    plan, left = [], amount
    for lot_id, took in taken:
        restored = session.scalar(
            select(func.coalesce(func.sum(LotMovement.amount), 0))
            .join(LedgerTransaction, LedgerTransaction.id == LotMovement.transaction_id)
            .where(LotMovement.lot_id == lot_id, LotMovement.amount > 0,
                   LedgerTransaction.reverses_id == source_id))
        give = min(-took - restored, left)
        if give <= 0:
            continue
        plan.append((session.get(Lot, lot_id), give))
        left -= give
        if left == 0:
            break
    if left:
        raise Invalid(f"transaction {source_id} took less than is given back")
    return plan


def spendable(session: Session, account: Account, today: date) -> int:
    """What a debit on ``today`` can take from a card account: its unexpired lots."""
    return int(session.scalar(
        select(func.coalesce(func.sum(Lot.remaining), 0))
        .where(Lot.account_id == account.id, Lot.remaining > 0,
               (Lot.expires_on.is_(None)) | (Lot.expires_on >= today))))


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
    lot_sums = (select(Lot.account_id, func.sum(Lot.remaining).label("total"))
                .group_by(Lot.account_id).subquery())
    lot_drift = session.execute(
        select(Account.id, Account.balance, func.coalesce(lot_sums.c.total, 0))
        .outerjoin(lot_sums, lot_sums.c.account_id == Account.id)
        .where(Account.merchant_id == merchant_id, Account.owner == AccountOwner.CARD.value)
        .where(Account.balance != func.coalesce(lot_sums.c.total, 0))
    ).all()
    problems += [f"card account {a} balance {b} != open lots {s}" for a, b, s in lot_drift]
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


def open_lots(session: Session, card_id: int) -> list[dict]:
    """A card's lots with something left, soonest expiry first."""
    rows = session.execute(
        select(Account.asset, Lot.id, Lot.amount, Lot.remaining, Lot.expires_on)
        .join(Account, Account.id == Lot.account_id)
        .where(Account.card_id == card_id, Lot.remaining > 0)
        .order_by(Account.asset, Lot.expires_on.is_(None), Lot.expires_on, Lot.id))
    return [{"asset": asset, "lot_id": lot_id, "amount": amount, "remaining": remaining,
             "expires_on": expires_on.isoformat() if expires_on else None}
            for asset, lot_id, amount, remaining, expires_on in rows]
