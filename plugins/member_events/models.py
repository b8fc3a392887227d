"""The member-events plugin's tables: events (沙龙, 新品发布会 …) and their registrations.

Seats are a counter on the event: ``taken`` is how many registrations hold a seat, and a
sign-up takes one with a guarded ``UPDATE … SET taken = taken + 1 WHERE taken < capacity``,
so however many tills and phones sign up at once no event holds more than its capacity (the
check constraint says so too). A member has one registration row per event (unique); a
cancelled one is reused when the member signs up again. A waitlisted registration holds no
seat; the oldest is promoted when a seat comes free.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (Boolean, CheckConstraint, ForeignKey, Index, Integer, String,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base
from core.models.base import BigId, JsonDocument, UtcDateTime, utcnow


class MemberEvent(Base):
    """One event: when and where, how many seats, who may sign up and when."""

    __tablename__ = "member_events"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'open', 'closed', 'cancelled')", name="status"),
        CheckConstraint("capacity >= 1 AND taken >= 0 AND taken <= capacity", name="seats"),
        CheckConstraint("ends_at > starts_at", name="times"),
        Index("ix_member_events_merchant_starts", "merchant_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))  # None: the whole merchant
    title: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(2000), default="")
    place: Mapped[str] = mapped_column(String(120), default="")
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    capacity: Mapped[int] = mapped_column(Integer)
    taken: Mapped[int] = mapped_column(Integer, default=0)  # registrations holding a seat
    waitlist: Mapped[bool] = mapped_column(Boolean, default=False)
    signup_opens_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # None: at once
    signup_closes_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # None: at the start
    tiers: Mapped[list] = mapped_column(JsonDocument, default=list)  # tier keys; [] = every member
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")


class EventRegistration(Base):
    """A member's place at an event: registered (holds a seat), waitlisted, or cancelled."""

    __tablename__ = "member_event_registrations"
    __table_args__ = (
        UniqueConstraint("event_id", "member_id"),
        CheckConstraint("status IN ('registered', 'waitlisted', 'cancelled')", name="status"),
        CheckConstraint("channel IN ('till', 'portal', 'api')", name="channel"),
        CheckConstraint("checked_in_at IS NULL OR status = 'registered'", name="checked_in"),
        Index("ix_member_event_registrations_member", "merchant_id", "member_id", "status"),
        Index("ix_member_event_registrations_event_status", "event_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    event_id: Mapped[int] = mapped_column(ForeignKey("member_events.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id"))
    status: Mapped[str] = mapped_column(String(12))
    channel: Mapped[str] = mapped_column(String(8))
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime())  # the latest sign-up (queue order)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))  # None: the member online
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    checked_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    checked_in_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
