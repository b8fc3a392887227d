"""The service-package plugin's own tables, on the core's ``Base``; created by the plugin's
Alembic branch ``plugins/service_packages/migrations`` (label ``service_packages``).

Balances live on the ledger (card account ``service_sessions``; the merchant's cny accounts
``package_deferred`` / ``package_income`` / ``package_breakage``). These tables hold what the
ledger cannot: which package each session belongs to and until when it is valid, each use at
the till, and every recognition of revenue (the reports' rows).

A package keeps a copy of its plan (name, service, sessions, validity, price paid): the plan
lives in the merchant's settings and may be repriced or renamed later; what was sold is not.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base
from core.models.base import BigId, UtcDateTime, utcnow


class ServicePackage(Base):
    """One card's count card (次卡) or period card (期限卡), one unit of a checkout line."""

    __tablename__ = "service_packages"
    __table_args__ = (
        UniqueConstraint("checkout_id", "line_no", "unit_no"),
        CheckConstraint("kind IN ('count', 'period')", name="kind"),
        CheckConstraint("status IN ('active', 'expired', 'returned')", name="status"),
        CheckConstraint("sessions_left >= 0 AND sessions_left <= sessions_total", name="sessions_in_range"),
        CheckConstraint("recognised_fen >= 0 AND recognised_fen <= paid_fen", name="recognised_in_range"),
        CheckConstraint("valid_to >= valid_from", name="valid_range"),
        # Reminders of packages ending or running low (issue 14, migration s0002).
        Index("ix_service_packages_expiry", "merchant_id", "status", "valid_to"),
        Index("ix_service_packages_sessions", "merchant_id", "status", "sessions_left"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"), index=True)
    plan_key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(60))
    service: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(10))
    checkout_id: Mapped[int | None] = mapped_column(ForeignKey("checkouts.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    unit_no: Mapped[int] = mapped_column(Integer)  # 1..quantity of the line
    sessions_total: Mapped[int] = mapped_column(Integer)  # 0 for a period card
    sessions_left: Mapped[int] = mapped_column(Integer)
    period_days: Mapped[int] = mapped_column(Integer)  # days valid (a period card earns over them)
    max_per_day: Mapped[int] = mapped_column(Integer, default=0)  # period card: 0 = unlimited
    paid_fen: Mapped[int] = mapped_column(BigInteger)
    recognised_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)  # the last local day it can be used
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ServiceUse(Base):
    """A use at the till (核销): sessions off a count card, or a visit on a period card.

    ``parts`` says how many sessions came off which package ([[package id, sessions], …]; a
    big use may span two), so a manager's cancellation gives back exactly those."""

    __tablename__ = "service_package_uses"
    __table_args__ = (CheckConstraint("status IN ('done', 'cancelled')", name="status"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"), index=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("service_packages.id"), index=True)
    service: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(10))  # the package's kind
    sessions: Mapped[int] = mapped_column(Integer)  # sessions taken, or visits on a period card
    revenue_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    used_on: Mapped[date] = mapped_column(Date)  # merchant-local day
    used_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    note: Mapped[str] = mapped_column(String(200), default="")
    parts: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default="done")
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ServiceRecognition(Base):
    """Money moved from deferred to income or breakage; negative when a cancelled use gives
    its share back to deferred."""

    __tablename__ = "service_package_recognitions"
    __table_args__ = (
        CheckConstraint("kind IN ('use', 'period', 'breakage')", name="kind"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("service_packages.id"), index=True)
    use_id: Mapped[int | None] = mapped_column(ForeignKey("service_package_uses.id"))
    service: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(10))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    recognised_on: Mapped[date] = mapped_column(Date)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"))
