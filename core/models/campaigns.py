"""Campaigns (R3, issue 14 item 5): a message and an optional coupon sent to a segment once.

``campaigns`` holds what the merchant set up: the segment (a JSON definition compiled to SQL
by core.campaigns.segments), the message, the benefit, the schedule and the status.
``campaign_recipients`` holds one row per (campaign, member), unique: the send writes it in
the same transaction as the member's outbox rows and benefit, so a retried or concurrent send
gives nobody a second message or a second coupon.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, JsonDocument, UtcDateTime, utcnow

CAMPAIGN_STATUSES = ("draft", "scheduled", "sending", "sent", "cancelled")
RECIPIENT_STATUSES = ("queued", "opted_out", "no_channel")


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'scheduled', 'sending', 'sent', 'cancelled')", name="status"),
        CheckConstraint("status <> 'scheduled' OR send_at IS NOT NULL", name="scheduled_has_time"),
        Index("ix_campaigns_merchant_status", "merchant_id", "status", "send_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    name: Mapped[str] = mapped_column(String(60))
    segment: Mapped[dict] = mapped_column(JsonDocument, default=dict)
    # {"template_id": int | None, "text": str | None, "channel": str | None}
    message: Mapped[dict] = mapped_column(JsonDocument, default=dict)
    benefit: Mapped[dict | None] = mapped_column(JsonDocument)  # {"kind": "coupon", ...} or null
    status: Mapped[str] = mapped_column(String(12), default="draft")
    send_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # the merchant-local time, in UTC
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Members matched when the send started, and how the send went ({"queued", "opted_out", …}).
    audience: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[dict] = mapped_column(JsonDocument, default=dict)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class CampaignRecipient(Base):
    """One member reached by one campaign: at most one per pair, whatever retries happen."""

    __tablename__ = "campaign_recipients"
    __table_args__ = (
        UniqueConstraint("campaign_id", "member_id"),
        CheckConstraint("status IN ('queued', 'opted_out', 'no_channel')", name="status"),
        Index("ix_campaign_recipients_benefit", "merchant_id", "benefit_ref"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    status: Mapped[str] = mapped_column(String(12))
    messages: Mapped[int] = mapped_column(Integer, default=0)  # outbox rows written
    # The benefit given: its kind and the owning plugin's reference (a coupon's code), or why not.
    benefit_kind: Mapped[str | None] = mapped_column(String(40))
    benefit_ref: Mapped[str | None] = mapped_column(String(60))
    benefit_problem: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
