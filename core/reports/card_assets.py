"""What the cards hold and how it moved, read from the ledger: the rows liability and detail
reports of card assets (points, stored value, …) are built from.

Every figure is a sum of ledger rows (card accounts' balances, their lots' remaining amounts,
their entries), so a report built from here equals the ledger by construction. A card's store
is the store that issued it (a replacement card: the store that replaced it): a balance has
no other single store, since it is recharged, spent and moved across stores.
"""
from __future__ import annotations

from datetime import date
from typing import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..clock import MERCHANT_TZ, local_day_bounds
from ..models import Account, AccountOwner, Card, Entry, LedgerTransaction, Lot, Member, Staff, Store, Tier
from .types import Column, date_column, text

BATCH = 2000  # rows fetched at a time: an export of every movement streams


def movement_columns(amounts: list[Column]) -> list[Column]:
    """The columns of a detail report of card movements (card_movements' rows): when, what,
    whose card, who and where, then ``amounts``, then the ledger transaction."""
    return [text("time", "时间", "Time"), date_column("day", "日期", "Day"),
            text("kind", "类型代码", "Kind key"), text("kind_name", "类型名称", "Kind name"),
            text("card_number", "卡号", "Card"), text("member_name", "会员", "Member"),
            text("staff_name", "员工", "Staff"), text("store_name", "门店", "Store"),
            *amounts,
            text("transaction_id", "流水号", "Transaction"),
            text("transaction_type", "业务类型代码", "Transaction type key")]


def card_balances(session: Session, merchant_id: int, assets: tuple[str, ...],
                  store_id: int | None = None) -> Iterator[dict]:
    """Per card holding any of ``assets`` (a non-zero balance): its number, member, tier,
    issuing store and the balance of each asset. Ordered by card number."""
    where = [Account.merchant_id == merchant_id, Account.owner == AccountOwner.CARD.value,
             Account.asset.in_(assets), Account.balance != 0]
    if store_id is not None:
        where.append(Card.issued_store_id == store_id)
    statement = (select(Card.id, Card.number, Card.status, Member.name, Tier.key,
                        Tier.name_zh, Store.id, Store.name, Account.asset, Account.balance)
                 .select_from(Account).join(Card, Card.id == Account.card_id)
                 .outerjoin(Member, Member.id == Card.member_id)
                 .outerjoin(Tier, Tier.id == Card.tier_id)
                 .outerjoin(Store, Store.id == Card.issued_store_id)
                 .where(*where).order_by(Card.number, Card.id, Account.asset))
    current = None
    for (card_id, number, status, member, tier_key, tier_name, store, store_name, asset,
         balance) in session.execute(statement.execution_options(yield_per=BATCH)):
        if current is None or current["card_id"] != card_id:
            if current is not None:
                yield current
            current = {"card_id": card_id, "card_number": number, "card_status": status,
                       "member_name": member or "", "tier": tier_key or "",
                       "tier_name": tier_name or "", "store_id": store, "store_name": store_name or "",
                       **dict.fromkeys(assets, 0)}
        current[asset] = int(balance)
    if current is not None:
        yield current


def _lot_filters(merchant_id: int, asset: str, store_id: int | None) -> list:
    where = [Account.merchant_id == merchant_id, Account.owner == AccountOwner.CARD.value,
             Account.asset == asset, Lot.remaining > 0]
    if store_id is not None:
        where.append(Card.issued_store_id == store_id)
    return where


def _expiry_month():
    return func.extract("year", Lot.expires_on), func.extract("month", Lot.expires_on)


def open_lots_by_month(session: Session, merchant_id: int, asset: str,
                       store_id: int | None = None) -> list[tuple]:
    """What is left of ``asset``'s lots on cards, per expiry month, soonest first and lots that
    never expire last: ``(year, month, cards, remaining, first expiry)``, year and month None
    for the never-expiring. The remaining amounts of a card account's lots always sum to its
    balance (ledger.verify), so these sum to the ledger."""
    year, month = _expiry_month()
    statement = (select(year, month, func.count(func.distinct(Account.card_id)), func.sum(Lot.remaining),
                        func.min(Lot.expires_on))
                 .select_from(Lot).join(Account, Account.id == Lot.account_id)
                 .join(Card, Card.id == Account.card_id).where(*_lot_filters(merchant_id, asset, store_id))
                 .group_by(year, month).order_by(year.is_(None), year, month))
    return [(None if y is None else int(y), None if m is None else int(m), int(cards), int(remaining), first)
            for y, m, cards, remaining, first in session.execute(statement)]


def open_lots_by_card_and_month(session: Session, merchant_id: int, asset: str,
                                store_id: int | None = None) -> Iterator[tuple]:
    """The same per card: ``(year, month, card number, card status, member name, remaining,
    first expiry)`` by card number, then month (never-expiring last); streamed."""
    year, month = _expiry_month()
    statement = (select(year, month, Card.number, Card.status, Member.name, func.sum(Lot.remaining),
                        func.min(Lot.expires_on))
                 .select_from(Lot).join(Account, Account.id == Lot.account_id)
                 .join(Card, Card.id == Account.card_id).outerjoin(Member, Member.id == Card.member_id)
                 .where(*_lot_filters(merchant_id, asset, store_id))
                 .group_by(Card.id, Card.number, Card.status, Member.name, year, month)
                 .order_by(Card.number, Card.id, year.is_(None), year, month))
    for y, m, number, status, member, remaining, first in session.execute(
            statement.execution_options(yield_per=BATCH)):
        yield (None if y is None else int(y), None if m is None else int(m), number, status, member or "",
               int(remaining), first)


def card_movements(session: Session, merchant_id: int, assets: tuple[str, ...], start: date,
                   end: date, store_id: int | None = None) -> Iterator[dict]:
    """Every ledger transaction that moved ``assets`` on a card between two local dates, one
    row per (transaction, card), in posting order: when (UTC and local day), the transaction
    type, card, member, staff, store and the net amount of each asset (+ onto the card, - off
    it); ``in`` and ``out`` hold what went on and off separately (a wheel spin both takes its
    price and pays its prize). ``store_id``: the store the transaction was posted at."""
    since, _ = local_day_bounds(start)
    _, until = local_day_bounds(end)
    where = [LedgerTransaction.merchant_id == merchant_id, LedgerTransaction.created_at >= since,
             LedgerTransaction.created_at < until, Account.owner == AccountOwner.CARD.value,
             Account.asset.in_(assets)]
    if store_id is not None:
        where.append(LedgerTransaction.store_id == store_id)
    statement = (select(LedgerTransaction.id, LedgerTransaction.created_at, LedgerTransaction.type,
                        LedgerTransaction.reverses_id, Card.id, Card.number, Member.name,
                        Staff.display_name, Store.name, Entry.asset, Entry.amount)
                 .select_from(Entry)
                 .join(LedgerTransaction, LedgerTransaction.id == Entry.transaction_id)
                 .join(Account, Account.id == Entry.account_id)
                 .join(Card, Card.id == Account.card_id)
                 .outerjoin(Member, Member.id == Card.member_id)
                 .outerjoin(Staff, Staff.id == LedgerTransaction.staff_id)
                 .outerjoin(Store, Store.id == LedgerTransaction.store_id)
                 .where(*where).order_by(LedgerTransaction.id, Card.id, Entry.id))
    current = None
    for (transaction_id, created_at, kind, reverses_id, card_id, number, member, staff, store, asset,
         amount) in session.execute(statement.execution_options(yield_per=BATCH)):
        if current is None or (current["transaction_id"], current["card_id"]) != (transaction_id, card_id):
            if current is not None:
                yield current
            local = created_at.astimezone(MERCHANT_TZ)
            current = {"transaction_id": transaction_id, "created_at": created_at,
                       "day": local.date().isoformat(), "time": local.strftime("%Y-%m-%d %H:%M:%S"),
                       "type": kind, "reverses_id": reverses_id, "card_id": card_id,
                       "card_number": number, "member_name": member or "", "staff_name": staff or "",
                       "store_name": store or "", **dict.fromkeys(assets, 0),
                       "in": dict.fromkeys(assets, 0), "out": dict.fromkeys(assets, 0)}
        current[asset] += int(amount)
        current["in" if amount > 0 else "out"][asset] += abs(int(amount))
    if current is not None:
        yield current
