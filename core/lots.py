"""Lots: what a card account holds, credit by credit, each with its expiry.

A card credit opens a lot; a debit takes from the unexpired lots, soonest expiry first; a
reversal gives back to the lots its source took from. core.ledger writes them as part of a
post; the rest of Huika reads them here.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, case, func, insert, select, update
from sqlalchemy.orm import Session

from .direct_sql import DirectStatement
from .errors import Invalid
from .models import Account, LedgerTransaction, Lot, LotMovement

_lots, _movements = Lot.__table__, LotMovement.__table__
NEW_LOTS = DirectStatement(insert(_lots))
NEW_MOVEMENTS = DirectStatement(insert(_movements))
_OPEN_LOTS_ORDER = (case((_lots.c.transaction_id == bindparam("prefer"), 0), else_=1),
                    _lots.c.expires_on.is_(None), _lots.c.expires_on, _lots.c.id)
_OPEN_LOTS = (select(_lots.c.id, _lots.c.remaining)
              .where(_lots.c.account_id == bindparam("lots_of"), _lots.c.remaining > 0,
                     _lots.c.expires_on.is_(None) | (_lots.c.expires_on >= bindparam("today")))
              .order_by(*_OPEN_LOTS_ORDER))
# Most debits fit in the first open lot: take it in one statement, else walk the lots.
_TAKE_FROM_FIRST_LOT = DirectStatement(
    update(_lots)
    .where(_lots.c.id == _OPEN_LOTS.with_only_columns(_lots.c.id).limit(1).scalar_subquery(),
           _lots.c.remaining >= bindparam("take"))
    .values(remaining=_lots.c.remaining - bindparam("take"))
    .returning(_lots.c.id))
_LOT_CHANGE = DirectStatement(update(_lots).where(_lots.c.id == bindparam("lot_id"))
                              .values(remaining=_lots.c.remaining + bindparam("change")))


def consume(connection, transaction_id: int, account_id: int, amount: int, today: date,
            prefer: int | None = None) -> tuple[list[dict], int]:
    """Take ``amount`` from the account's unexpired lots, soonest expiry first (``prefer``'s
    lots before any): the lot movements, and what the lots could not cover."""
    lot_id = _TAKE_FROM_FIRST_LOT.scalar(connection, {
        "lots_of": account_id, "today": today, "prefer": prefer, "take": amount})
    if lot_id is not None:
        return [{"lot_id": lot_id, "transaction_id": transaction_id, "amount": -amount}], 0
    lots = connection.execute(_OPEN_LOTS, {"lots_of": account_id, "today": today,
                                           "prefer": prefer}).all()
    left, movements = amount, []
    for lot_id, remaining in lots:
        if left == 0:
            break
        take = min(remaining, left)
        _LOT_CHANGE.scalar(connection, {"lot_id": lot_id, "change": -take})
        movements.append({"lot_id": lot_id, "transaction_id": transaction_id, "amount": -take})
        left -= take
    return movements, left


def restore(connection, transaction_id: int, account_id: int, amount: int,
            source_id: int) -> list[dict]:
    """Give ``amount`` back to the lots ``source_id`` took from, in the order it took them;
    the lot movements."""
    movements = []
    for lot_id, give in _restore_plan(connection, account_id, source_id, amount):
        _LOT_CHANGE.scalar(connection, {"lot_id": lot_id, "change": give})
        movements.append({"lot_id": lot_id, "transaction_id": transaction_id, "amount": give})
    return movements


def restore_plan(session: Session, account_id: int, source_id: int, amount: int) -> list[tuple[Lot, int]]:
    """(lot, amount) pairs that give ``amount`` back to the lots transaction ``source_id`` took
    from on the account, in lot order, each up to what was taken and not yet given back."""
    return [(session.get(Lot, lot_id), give)
            for lot_id, give in _restore_plan(session.connection(), account_id, source_id, amount)]


def _restore_plan(connection, account_id: int, source_id: int, amount: int) -> list[tuple[int, int]]:
    taken = connection.execute(
        select(LotMovement.lot_id, func.sum(LotMovement.amount))
        .join(Lot, Lot.id == LotMovement.lot_id)
        .where(LotMovement.transaction_id == source_id, Lot.account_id == account_id)
        .group_by(LotMovement.lot_id).order_by(LotMovement.lot_id)
    ).all()
    plan, left = [], amount
    for lot_id, took in taken:
        restored = connection.scalar(
            select(func.coalesce(func.sum(LotMovement.amount), 0))
            .join(LedgerTransaction, LedgerTransaction.id == LotMovement.transaction_id)
            .where(LotMovement.lot_id == lot_id, LotMovement.amount > 0,
                   LedgerTransaction.reverses_id == source_id))
        give = min(-took - restored, left)
        if give <= 0:
            continue
        plan.append((lot_id, give))
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
