"""The staff inbox (issue 14 item 2): one member-care task per reminder, worked by staff.

A task is the reminder's happening for one member (``kind`` + ``occasion``, e.g. a birthday on
2026-12-06): the unique key makes it exist once however often the daily job or an opened inbox
fills the day. ``due_on`` is the merchant-local day it is to be worked: the day it was filled,
or the day it was snoozed to. ``care_days`` marks a merchant's day as filled, so opening the
inbox scans the reminders at most once a day.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, JsonDocument, UtcDateTime, utcnow

CARE_STATUSES = ("open", "done", "snoozed")


class CareTask(Base):
    __tablename__ = "care_tasks"
    __table_args__ = (
        UniqueConstraint("merchant_id", "member_id", "kind", "occasion"),
        Index("ix_care_tasks_merchant_due", "merchant_id", "due_on", "store_id"),
        CheckConstraint("status IN ('open', 'done', 'snoozed')", name="status"),
        CheckConstraint("status != 'snoozed' OR snoozed_until IS NOT NULL", name="snoozed_has_date"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id"))
    kind: Mapped[str] = mapped_column(String(40))
    occasion: Mapped[str] = mapped_column(String(120))
    facts: Mapped[dict] = mapped_column(JsonDocument, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="open")
    due_on: Mapped[date] = mapped_column(Date)
    snoozed_until: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(500), default="")
    handled_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    handled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class CareDay(Base):
    """A merchant's local day whose reminders are in the inbox (by the job or an opened page)."""

    __tablename__ = "care_days"
    __table_args__ = (UniqueConstraint("merchant_id", "day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    day: Mapped[date] = mapped_column(Date)
    tasks: Mapped[int] = mapped_column(Integer, default=0)
    filled_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
