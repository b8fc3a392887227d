"""Checkouts (sales) with their priced lines, payments and returns (C2, G3)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, BigId, JsonDocument, UtcDateTime, utcnow


class Checkout(Base):
    __tablename__ = "checkouts"
    __table_args__ = (
        # Each member's purchases, read by the member reports without touching the table
        # (migration 0011).
        Index("ix_checkouts_member_activity", "merchant_id", "member_id", "created_at",
              "due_total_fen", "store_id"),
        # Who visited on a day (dormant reminders, issue 14, migration 0015a).
        Index("ix_checkouts_merchant_day", "merchant_id", "created_at", "member_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    tier_key: Mapped[str | None] = mapped_column(String(40))
    list_total_fen: Mapped[int] = mapped_column(BigInteger)
    due_total_fen: Mapped[int] = mapped_column(BigInteger)
    # What each plugin earned, per asset, so a return can take back exactly that (P8).
    earned: Mapped[dict] = mapped_column(JsonDocument, default=dict)
    receipt: Mapped[dict] = mapped_column(JsonDocument, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    lines: Mapped[list["CheckoutLine"]] = relationship(order_by="CheckoutLine.line_no")
    payments: Mapped[list["CheckoutPayment"]] = relationship(order_by="CheckoutPayment.id")


class CheckoutLine(Base):
    __tablename__ = "checkout_lines"
    __table_args__ = (
        CheckConstraint("returned_quantity >= 0 AND returned_quantity <= quantity",
                        name="returned_range"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    checkout_id: Mapped[int] = mapped_column(ForeignKey("checkouts.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(60), default="")
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    special_price: Mapped[bool] = mapped_column(Boolean, default=False)
    promotion_permille: Mapped[int] = mapped_column(Integer, default=1000)
    tier_permille: Mapped[int] = mapped_column(Integer, default=1000)
    # The share of paid_fen that earns points (a catalogue product's rule, P2): 0 none.
    points_permille: Mapped[int] = mapped_column(Integer, default=1000, server_default=text("1000"))
    list_fen: Mapped[int] = mapped_column(BigInteger)
    paid_fen: Mapped[int] = mapped_column(BigInteger)
    returned_quantity: Mapped[int] = mapped_column(Integer, default=0)


class CheckoutPayment(Base):
    """One tender of a checkout and the ledger postings it made, for proportional refunds."""

    __tablename__ = "checkout_payments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    checkout_id: Mapped[int] = mapped_column(ForeignKey("checkouts.id"), index=True)
    method: Mapped[str] = mapped_column(String(40))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    # [{"account_id", "amount"}]: the payment's own postings (card debits, merchant credits).
    postings: Mapped[list] = mapped_column(JsonDocument, default=list)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)


class CheckoutReturn(Base):
    __tablename__ = "checkout_returns"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    checkout_id: Mapped[int] = mapped_column(ForeignKey("checkouts.id"), index=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"))
    lines: Mapped[list] = mapped_column(JsonDocument)  # [{"line_no", "quantity", "paid_fen"}]
    refund_fen: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class CardSpendDay(Base):
    """Net spend (due minus refunds) of one card on one of the merchant's days (C4).

    A running total per day, so qualifying for a tier sums at most a period's days instead
    of the member's whole history. A refund counts on the day of the sale it refunds.
    """

    __tablename__ = "card_spend_days"

    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    net_fen: Mapped[int] = mapped_column(BigInteger)
