"""Rollup tables (issue 12, item 4): day totals folded from the ledger, for fast reports.

A fold job adds every ledger transaction up to a watermark into these tables exactly once
(core.rollups); reports read them plus the not-yet-folded tail, so they are always current.
``store_id``/``staff_id`` 0 stand for "none" (NULLs would never clash in a primary key).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UtcDateTime
from .checkout import Checkout, CheckoutReturn


class RollupState(Base):
    """The watermark: every ledger transaction with id <= ``folded_through`` is folded.

    On PostgreSQL a candidate bound waits (``pending_bound``) until every transaction that
    was running when it was read has ended (``pending_xid``, compared with the snapshot's
    xmin): ids are handed out in one order and committed in another (core.rollups.watermark).
    """

    __tablename__ = "rollup_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    folded_through: Mapped[int] = mapped_column(BigInteger, default=0)
    pending_bound: Mapped[int | None] = mapped_column(BigInteger)
    pending_xid: Mapped[int | None] = mapped_column(BigInteger)
    folded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class SalesDay(Base):
    """Checkouts and returns per merchant day, store, staff and payment method (tender)."""

    __tablename__ = "rollup_sales_days"

    merchant_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    store_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    staff_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    method: Mapped[str] = mapped_column(String(60), primary_key=True)
    gross_fen: Mapped[int] = mapped_column(BigInteger)  # list price share
    sales_fen: Mapped[int] = mapped_column(BigInteger)  # paid (due) by this method
    refunds_fen: Mapped[int] = mapped_column(BigInteger)  # given back by returns on this day
    checkouts: Mapped[int] = mapped_column(BigInteger)  # counted under their main method
    member_checkouts: Mapped[int] = mapped_column(BigInteger)
    walk_in_checkouts: Mapped[int] = mapped_column(BigInteger)
    returns: Mapped[int] = mapped_column(BigInteger)


class LedgerDay(Base):
    """Entries on the merchant's own accounts per day, store, staff and transaction type."""

    __tablename__ = "rollup_ledger_days"

    merchant_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    store_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    staff_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    type: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    entries: Mapped[int] = mapped_column(BigInteger)


# The fold and the tail find a range of ledger transactions' checkouts and returns.
Index("ix_checkouts_transaction_id", Checkout.transaction_id)
Index("ix_checkout_returns_transaction_id", CheckoutReturn.transaction_id)
