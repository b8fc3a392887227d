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
from typing import NamedTuple
from datetime import date, datetime

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from . import lots
from .direct_sql import DirectStatement
from .errors import Conflict, Invalid
from .clock import local_date, now_utc
from .faults import fault_point
from .accounts import (CARD, AccountRef, apply_pending, card_account,  # noqa: F401 (API)
                       MOVE_BALANCE, DIRECT_MOVE_BALANCE, forget_balance, merchant_account, pending_moves)
from .lots import open_lots, restore_plan, spendable  # noqa: F401 (API)
from .models import Account, AccountOwner, Card, Entry, LedgerTransaction, Lot


@dataclass(frozen=True)
class Posting:
    """``amount`` on ``account``. A credit to a card opens a lot expiring on ``expires_on``;
    a credit with ``restore_from`` instead gives back lots that transaction consumed.

    ``account``: an ``AccountRef`` (core.accounts) or an ORM ``Account``.
    """

    account: AccountRef | Account
    amount: int
    expires_on: date | None = None
    restore_from: int | None = None
    prefer_lots_of: int | None = None  # a debit takes this transaction's lots first


class Posted(NamedTuple):
    """A transaction just posted (its row is written with Core: no ORM object to return)."""

    id: int
    created_at: datetime


class InsufficientBalance(Conflict):
    code = "insufficient_balance"


def find_by_idempotency_key(session: Session, merchant_id: int, key: str) -> LedgerTransaction | None:
    return session.scalar(select(LedgerTransaction).where(
        LedgerTransaction.merchant_id == merchant_id, LedgerTransaction.idempotency_key == key))


_POSTS = "huika.posts"  # session.info: transactions posted in this session

# The statements of a post, built once (building one costs more than running it).
_transactions, _accounts, _entries = LedgerTransaction.__table__, Account.__table__, Entry.__table__
_NEW_TRANSACTION = {
    "sqlite": DirectStatement(sqlite.insert(_transactions).on_conflict_do_nothing()
                              .returning(_transactions.c.id)),
    "postgresql": DirectStatement(postgresql.insert(_transactions).on_conflict_do_nothing()
                                  .returning(_transactions.c.id)),
}
# The guard of every card debit: the balance never goes below zero (also a CHECK constraint).
_GUARDED_MOVE = DirectStatement(update(_accounts).where(_accounts.c.id == bindparam("account_id"),
                                          _accounts.c.balance + bindparam("amount") >= 0)
                                 .values(balance=_accounts.c.balance + bindparam("amount"))
                                 .returning(_accounts.c.balance))
_MOVE_RETURNING = DirectStatement(MOVE_BALANCE.returning(_accounts.c.balance))
_NEW_ENTRIES = DirectStatement(insert(_entries))


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
    atomic: bool = True,
    shared_rows_last: bool = False,
) -> Posted:
    """Post one balanced transaction; raises InsufficientBalance.

    The transaction is dated ``now``. Card debits consume lots unexpired on ``lots_as_of``
    (default: the merchant's date at ``now``), soonest expiry first; card credits open a lot
    or restore the lots of ``Posting.restore_from``. ``atomic``: a failed post changes
    nothing (a savepoint); a caller whose whole transaction is rolled back on any error
    (the checkout) passes False and saves the savepoint.

    ``shared_rows_last`` (with ``atomic`` False): the unguarded balance updates (merchant
    accounts, which every sale of the merchant updates, and credits to a held card) wait in
    the session until ``apply_pending`` (or the next post, or any ORM query, or the commit),
    so that on PostgreSQL concurrent checkouts queue on the merchant's rows only for the
    end of each transaction instead of all of it.
    """
    now = now or now_utc()
    today = lots_as_of or local_date(now)
    _check_balanced(merchant_id, postings)
    apply_pending(session)
    if session.new or session.dirty or session.deleted:
        session.flush()  # what the ORM holds must be in the database before Core statements
    connection = session.connection()
    transaction_id = _NEW_TRANSACTION[connection.dialect.name].scalar(connection, {
        "merchant_id": merchant_id, "type": type, "store_id": store_id, "staff_id": staff_id,
        "idempotency_key": idempotency_key, "request_digest": request_digest,
        "reverses_id": reverses_id, "memo": memo or {}, "created_at": now})
    if transaction_id is None:
        raise Conflict("this idempotency key was already used", code="idempotency_key_reused")
    session.info[_POSTS] = session.info.get(_POSTS, 0) + 1
    if atomic:
        with session.begin_nested():
            balances = _apply(connection, transaction_id, postings, today, now)
    else:
        # Not inside a savepoint: its rollback could not take back updates left for later.
        later = (pending_moves(session)
                 if shared_rows_last and not session.in_nested_transaction() else None)
        balances = _apply(connection, transaction_id, postings, today, now, later)
    for posting in postings:
        _record_balance(session, posting.account, balances.get(posting.account.id))
    return Posted(transaction_id, now)


def posts_in(session: Session) -> int:
    """How many transactions this session posted so far (to see whether a hook moved money)."""
    return session.info.get(_POSTS, 0)


def _apply(connection, transaction_id: int, postings: list[Posting], today: date,
           now: datetime, later: list | None = None) -> dict[int, int]:
    """The postings' writes; returns the new balance of each card account. ``later``: where
    to leave the unguarded balance updates instead of running them (apply_pending).

    Lock order, so concurrent posts cannot deadlock: card accounts (their card row is locked
    first by every writer) in id order, then merchant accounts in id order.
    """
    balances: dict[int, int] = {}
    done = set()  # postings whose amount a new account row was created with
    for index, posting in enumerate(postings):
        account = posting.account
        if getattr(account, "pending", False) and (account.owner != CARD or posting.amount >= 0):
            if account.create(posting.amount):
                done.add(index)
                if account.owner == CARD:
                    balances[account.id] = posting.amount
    card_postings = sorted((p for p in postings if p.account.owner == CARD), key=_account_id)
    moved = sorted((p for i, p in enumerate(postings) if p.account.owner == CARD and i not in done),
                   key=_account_id)
    batched: dict[int, int] = {}  # account id -> amount: one executemany, no balance read back
    debited = {p.account.id for p in moved if p.amount < 0}
    for posting in moved:
        account = posting.account
        held = getattr(account, "held_balance", None)
        if posting.amount >= 0 and held is not None and account.id not in debited:
            # A credit to a card account whose balance we hold (and that no debit of this
            # post reads): its new balance is known without RETURNING.
            batched[account.id] = batched.get(account.id, 0) + posting.amount
            balances[account.id] = held + batched[account.id]
            continue
        statement = _GUARDED_MOVE if posting.amount < 0 else _MOVE_RETURNING
        balance = statement.scalar(connection, {"account_id": account.id,
                                                "amount": posting.amount})
        if balance is None:
            raise InsufficientBalance(
                f"not enough {account.asset} on the card",
                details={"asset": account.asset, "needed": -posting.amount})
        balances[account.id] = balance + batched.get(account.id, 0)
    for index, posting in enumerate(postings):
        if posting.account.owner != CARD and index not in done:
            batched[posting.account.id] = batched.get(posting.account.id, 0) + posting.amount
    moves = [{"account_id": account_id, "amount": amount}
             for account_id, amount in sorted(batched.items())]
    if later is not None:
        later += moves
    elif moves:
        # Card accounts are held through their card, merchant accounts are locked in id order.
        DIRECT_MOVE_BALANCE.execute_many(connection, moves)
    _NEW_ENTRIES.execute_many(connection, [
        {"transaction_id": transaction_id, "account_id": p.account.id, "asset": p.account.asset,
         "amount": p.amount} for p in sorted(postings, key=_account_id)])
    new_lots, movements = [], []
    for posting in card_postings:
        if posting.amount < 0:
            taken, short = lots.consume(connection, transaction_id, posting.account.id,
                                        -posting.amount, today, posting.prefer_lots_of)
            if short:
                raise InsufficientBalance(
                    f"not enough unexpired {posting.account.asset} on the card",
                    details={"asset": posting.account.asset, "needed": -posting.amount,
                             "available": -posting.amount - short})
            movements += taken
            fault_point("after_debit")  # testing only: core/faults.py
        elif posting.restore_from is not None:
            movements += lots.restore(connection, transaction_id, posting.account.id,
                                      posting.amount, posting.restore_from)
        elif posting.amount > 0:
            new_lots.append({"account_id": posting.account.id, "transaction_id": transaction_id,
                             "amount": posting.amount, "remaining": posting.amount,
                             "expires_on": posting.expires_on, "created_at": now})
    if movements:
        lots.NEW_MOVEMENTS.execute_many(connection, movements)
    if new_lots:
        lots.NEW_LOTS.execute_many(connection, new_lots)
    return balances


def _account_id(posting: Posting) -> int:
    return posting.account.id


def _record_balance(session: Session, account, balance: int | None) -> None:
    """Tell the account object what the post did to its balance (None: read it on use)."""
    if isinstance(account, AccountRef):
        account.known_balance(balance)
        return
    if balance is not None:
        set_committed_value(account, "balance", balance)
    else:
        session.expire(account, ["balance"])
    forget_balance(session, account.id)


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
