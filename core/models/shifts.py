"""Shifts (交班/日结, issue 13 item 5): a cashier's working stretch at a store, and its close.

A shift is opened by a staff member (with an optional opening float in the drawer) and closed
once: the close stores, per payment method, what the ledger says came in (``ShiftCount``) and
what was counted. A closed shift never changes (database triggers, migration 0014a); a later
correction is a ``ShiftNote``. Sales, recharges and refunds belong to a shift by staff, store
and time window: the shift stores no link on the ledger rows, so the ledger stays as it is.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UtcDateTime, utcnow
from .ledger import LedgerTransaction


class Shift(Base):
    __tablename__ = "shifts"
    __table_args__ = (
        CheckConstraint("opening_float_fen >= 0", name="opening_float_not_negative"),
        CheckConstraint("closed_at IS NULL OR closed_at >= opened_at", name="closed_after_opened"),
        Index("ix_shifts_merchant_opened", "merchant_id", "opened_at"),
        # One open shift per staff member: the second "open" of a double click is refused.
        Index("uq_shifts_one_open_per_staff", "merchant_id", "staff_id", unique=True,
              postgresql_where=text("closed_at IS NULL"), sqlite_where=text("closed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    opening_float_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    # Cash at the close: float + the ledger's cash moves, what was counted, counted - expected.
    cash_expected_fen: Mapped[int | None] = mapped_column(BigInteger)
    cash_counted_fen: Mapped[int | None] = mapped_column(BigInteger)
    difference_fen: Mapped[int | None] = mapped_column(BigInteger)  # over every counted method
    note: Mapped[str] = mapped_column(String(200), default="")


class ShiftCount(Base):
    """One payment method of a closed shift: the ledger's figures then, and what was counted."""

    __tablename__ = "shift_counts"
    __table_args__ = (UniqueConstraint("shift_id", "method"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id"))
    method: Mapped[str] = mapped_column(String(60))
    checkouts: Mapped[int] = mapped_column(Integer, default=0)
    sales_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    refunds_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    recharges_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    other_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    expected_fen: Mapped[int | None] = mapped_column(BigInteger)  # None: takes no money in
    counted_fen: Mapped[int | None] = mapped_column(BigInteger)  # None: not counted
    difference_fen: Mapped[int | None] = mapped_column(BigInteger)


class ShiftNote(Base):
    """A remark or correction on a shift, added later; never edited."""

    __tablename__ = "shift_notes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    text: Mapped[str] = mapped_column(String(500))
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)  # a correction of the difference


# A shift's figures: its staff member's ledger transactions in its time window.
Index("ix_ledger_transactions_merchant_staff_created", LedgerTransaction.merchant_id,
      LedgerTransaction.staff_id, LedgerTransaction.created_at)
