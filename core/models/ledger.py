"""Double-entry ledger: accounts per owner and asset, immutable entries.

Each transaction's entries sum to zero per asset; a member account's balance never goes
below zero (CHECK constraint), and equals the sum of its entries.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy import text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, BigId, JsonDocument, UtcDateTime, utcnow


class AccountOwner(str, enum.Enum):
    CARD = "card"  # a member's card: never below zero
    MERCHANT = "merchant"  # the merchant's side (issued liability, sales, cash drawer …)


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("merchant_id", "owner", "card_id", "purpose", "asset"),
        CheckConstraint("owner IN ('card', 'merchant')", name="owner"),
        CheckConstraint("owner = 'merchant' OR balance >= 0", name="card_balance_not_negative"),
        CheckConstraint("(owner = 'card') = (card_id IS NOT NULL)", name="card_owner_has_card"),
        # card_id is NULL for merchant accounts and NULLs never clash in the constraint above,
        # so merchant accounts need their own partial unique index (else concurrent creation
        # on PostgreSQL makes two "sales" accounts and splits the money between them).
        Index("uq_accounts_merchant_purpose_asset", "merchant_id", "purpose", "asset", unique=True,
              postgresql_where=text("owner = 'merchant'"), sqlite_where=text("owner = 'merchant'")),
        # Card balances of one asset in order (low-balance reminders, migration 0015a).
        Index("ix_accounts_card_balance", "merchant_id", "asset", "balance", "card_id",
              postgresql_where=text("owner = 'card'"), sqlite_where=text("owner = 'card'")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    owner: Mapped[str] = mapped_column(String(10))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id"), index=True)
    # Merchant accounts are named by purpose ("issued", "sales", "cash" …); card accounts use "".
    purpose: Mapped[str] = mapped_column(String(40), default="")
    asset: Mapped[str] = mapped_column(String(40))
    balance: Mapped[int] = mapped_column(BigInteger, default=0)


class LedgerTransaction(Base):
    __tablename__ = "ledger_transactions"
    __table_args__ = (UniqueConstraint("merchant_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    type: Mapped[str] = mapped_column(String(40))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    request_digest: Mapped[str | None] = mapped_column(String(64))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"))
    memo: Mapped[dict] = mapped_column(JsonDocument, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    entries: Mapped[list["Entry"]] = relationship(back_populates="transaction", order_by="Entry.id")


class Entry(Base):
    """Immutable: never updated or deleted (database triggers refuse it)."""

    __tablename__ = "entries"
    __table_args__ = (Index("ix_entries_account_id", "account_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    asset: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int] = mapped_column(BigInteger)

    transaction: Mapped[LedgerTransaction] = relationship(back_populates="entries")
    account: Mapped[Account] = relationship()


class Lot(Base):
    """A credit to a card account, spent oldest-expiring first (points lots P7, packages T1 …).

    Every credit to a card account opens a lot; every debit consumes lots and records which
    (LotMovement), so a return or a correction gives back exactly the lots it took. The
    remaining amounts of a card account's lots always sum to its balance.
    """

    __tablename__ = "lots"
    __table_args__ = (
        CheckConstraint("remaining >= 0 AND remaining <= amount", name="remaining_range"),
        Index("ix_lots_account_open", "account_id", "remaining"),
        # Open lots by expiry date (reminders of points and packages expiring, migration 0015a).
        Index("ix_lots_open_expiry", "expires_on", "account_id", postgresql_where=text("remaining > 0"),
              sqlite_where=text("remaining > 0")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    remaining: Mapped[int] = mapped_column(BigInteger)
    expires_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class LotMovement(Base):
    """How much one transaction took from (negative) or gave back to (positive) one lot."""

    __tablename__ = "lot_movements"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)


class IdempotencyRecord(Base):
    """The first answer to a money-moving request, replayed for retries with the same key."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("merchant_id", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    key: Mapped[str] = mapped_column(String(100))
    request_digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
