"""Tenants and the people who work for them."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, BigId, UtcDateTime, utcnow


class StaffRole(str, enum.Enum):
    OWNER = "owner"
    MANAGER = "manager"
    CASHIER = "cashier"


class Merchant(Base):
    """A tenant: every other row belongs to exactly one merchant."""

    __tablename__ = "merchants"
    # An index, not a constraint: SQLite adds one to an existing table without rebuilding it.
    __table_args__ = (Index("uq_merchants_code", "code", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # The short sign-in code (6 digits, issue 13 item 7): typed at the till instead of the
    # name. Filled for every merchant (core.tenancy, migration 0014a); NULL only in a schema
    # older than that migration.
    code: Mapped[str | None] = mapped_column(String(12))
    # Bumped when a plugin's rule rows change (core.tenancy.rules_changed); read with the
    # published configuration's stamp so plugins can cache facts derived from those rows.
    rules_stamp: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    stores: Mapped[list["Store"]] = relationship(back_populates="merchant", order_by="Store.id")


class Store(Base):
    __tablename__ = "stores"
    __table_args__ = (UniqueConstraint("merchant_id", "code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    merchant: Mapped[Merchant] = relationship(back_populates="stores")


class Staff(Base):
    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("merchant_id", "username"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    username: Mapped[str] = mapped_column(String(60))
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    merchant: Mapped[Merchant] = relationship()
    store: Mapped[Store | None] = relationship()


class ApiToken(Base):
    """A bearer token of one staff user; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    staff: Mapped[Staff] = relationship()
