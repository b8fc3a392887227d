"""The cosmetics plugin's own tables (K1-K3): profile history, member classes, follow-ups.

They live on the core's ``Base`` (one metadata for the whole schema) and are created by the
plugin's Alembic branch ``plugins/cosmetics_profile/migrations`` (label ``cosmetics_profile``).
Every row carries its ``merchant_id`` and every query is scoped by it. The skin profile itself
is not here: it is the plugin's member fields, kept in ``members.extra`` by the core.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base
from core.models.base import BigId, JsonDocument, UtcDateTime, utcnow

CLASSES = ("a", "b", "c")
CHANNELS = ("in_store", "phone", "sms", "mail", "online", "event")
STATUSES = ("planned", "done", "cancelled")
KINDS = ("manual", "regular", "running_out")


class ProfileChange(Base):
    """One field of a member's profile changed (K1): who, when, from what to what."""

    __tablename__ = "cosmetics_profile_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    field: Mapped[str] = mapped_column(String(60))  # "skin_type", "occupation", ...
    old_value: Mapped[Any] = mapped_column(JsonDocument, nullable=True)
    new_value: Mapped[Any] = mapped_column(JsonDocument, nullable=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))  # None: not known
    note: Mapped[str] = mapped_column(String(200), default="")
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class MemberClass(Base):
    """A member's A/B/C class (K2) as last computed, with the figures it came from."""

    __tablename__ = "cosmetics_member_classes"
    __table_args__ = (
        UniqueConstraint("merchant_id", "member_id"),
        CheckConstraint("member_class IN ('a', 'b', 'c')", name="member_class"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    member_class: Mapped[str] = mapped_column(String(1))
    spend_fen: Mapped[int] = mapped_column(BigInteger)  # net of returns, within the window
    visits: Mapped[int] = mapped_column(Integer)  # local days with a purchase kept
    window_days: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class FollowUp(Base):
    """A follow-up (K3): logged when done, or planned with a due date and done/cancelled later.

    ``kind`` says where a planned one came from: ``manual`` (staff), ``regular`` (the class
    interval, K2) or ``running_out`` (the member's purchase cycle of a product group). A
    running-out reminder names the purchase it is for (``source_checkout_id`` + group), and
    that triple is unique, so the job never plans two for the same purchase.
    """

    __tablename__ = "cosmetics_follow_ups"
    __table_args__ = (
        UniqueConstraint("merchant_id", "member_id", "product_group", "source_checkout_id",
                         name="uq_cosmetics_follow_ups_running_out_once"),
        CheckConstraint("status IN ('planned', 'done', 'cancelled')", name="status"),
        CheckConstraint("kind IN ('manual', 'regular', 'running_out')", name="kind"),
        CheckConstraint("channel IN ('in_store', 'phone', 'sms', 'mail', 'online', 'event')",
                        name="channel"),
        CheckConstraint("status <> 'planned' OR due_on IS NOT NULL", name="planned_has_due_date"),
        # Running-out follow-ups due by a day (purchase_cycle reminders, issue 14, migration k0002).
        Index("ix_cosmetics_follow_ups_due", "merchant_id", "kind", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(12), default="manual")
    channel: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    outcome: Mapped[str] = mapped_column(String(500), default="")
    due_on: Mapped[date | None] = mapped_column(Date, index=True)  # merchant's local date
    product_group: Mapped[str | None] = mapped_column(String(40))
    source_checkout_id: Mapped[int | None] = mapped_column(ForeignKey("checkouts.id"))
    planned_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))  # who did it / cancelled it
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # done or cancelled
