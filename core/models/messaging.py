"""Messages sent to members (R3, M4) and one-time login codes sent by SMS (M4).

``outbox`` is what the built-in sender writes: every message, kept as the log R3 asks for.
``login_codes`` holds only a slow salted hash of each code, with its expiry and the count of
wrong attempts; a code stops working after 5 wrong attempts (SyliusGiftCardPlugin#297).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UtcDateTime, utcnow


class OutboxMessage(Base):
    """One message to one recipient, queued by core.messaging.OutboxSender."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20), default="sms")
    recipient: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="queued")  # queued, sent, failed
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class LoginCode(Base):
    """A one-time code sent to a phone; only its hash is stored."""

    __tablename__ = "login_codes"
    __table_args__ = (
        Index("ix_login_codes_merchant_phone_created", "merchant_id", "phone", "created_at"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    phone: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(20), default="member_login")
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    consumed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    invalidated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
