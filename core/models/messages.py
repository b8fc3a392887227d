"""Message templates, channel settings, opt-outs and sending policy per merchant (issue 14, item 4).

Kept in tables, not in the published configuration document: gateway secrets must never be
published, exported or shown back, and templates change without a configuration release.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, JsonDocument, UtcDateTime, utcnow


class MessageTemplate(Base):
    """The text of one kind of message on one channel in one language."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("merchant_id", "kind", "channel", "language"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(8))  # zh, en
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class MessageChannel(Base):
    """A merchant's gateway for one channel: which sender, its settings and its secrets.

    ``secrets`` (passwords, API keys) are write-only: no API answer or page shows them.
    """

    __tablename__ = "message_channels"
    __table_args__ = (UniqueConstraint("merchant_id", "channel"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    channel: Mapped[str] = mapped_column(String(20))  # sms, email, wechat, console
    sender: Mapped[str] = mapped_column(String(40))  # a registered sender's id
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    settings: Mapped[dict] = mapped_column(JsonDocument, default=dict)
    secrets: Mapped[dict] = mapped_column(JsonDocument, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class MessagePolicy(Base):
    """When a merchant's messages may go out: quiet hours (merchant-local), a daily cap, retries."""

    __tablename__ = "message_policies"

    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), primary_key=True)
    quiet_start: Mapped[str] = mapped_column(String(5), default="21:00")  # "" = no quiet hours
    quiet_end: Mapped[str] = mapped_column(String(5), default="09:00")
    daily_cap: Mapped[int] = mapped_column(Integer, default=1000)  # 0 = no cap
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    language: Mapped[str] = mapped_column(String(8), default="zh")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class MessageOptOut(Base):
    """A member who asked for no more messages on a channel."""

    __tablename__ = "message_optouts"
    __table_args__ = (UniqueConstraint("merchant_id", "member_id", "channel"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    channel: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20), default="staff")  # staff, member, api
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
