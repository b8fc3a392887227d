"""Messages sent to members (R3, M4) and one-time login codes sent by SMS (M4).

``outbox`` is what the built-in sender writes: every message, kept as the log R3 asks for.
``login_codes`` holds only a slow salted hash of each code, with its expiry and the count of
wrong attempts; a code stops working after 5 wrong attempts (SyliusGiftCardPlugin#297).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, JsonDocument, UtcDateTime, utcnow


class OutboxMessage(Base):
    """One message to one recipient: queued by core.messages.enqueue (or the login-code
    sender), sent once by core.messages.dispatch; the message log R3 asks for.

    Statuses: queued (waiting; ``next_attempt_at`` says when), sending (claimed by one
    dispatcher until ``lease_until``), sent, failed (refused for good, or the outcome of a
    send is unknown and it is not resent), dead (every try failed), suppressed (opted out or
    no address: never sent), capped (over the merchant's daily cap: waits for the next day).
    """

    __tablename__ = "outbox"
    __table_args__ = (
        # One message per happening and channel: a repeated enqueue adds nothing. Rows
        # without an occasion (login codes, campaigns) have a NULL in the key, never equal.
        Index("uq_outbox_occasion", "merchant_id", "member_id", "kind", "occasion", "channel",
              unique=True),
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_merchant_created", "merchant_id", "created_at"),
        Index("ix_outbox_campaign", "campaign_id"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20), default="sms")
    recipient: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="queued")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[str | None] = mapped_column(String(40))
    occasion: Mapped[str | None] = mapped_column(String(120))
    campaign_id: Mapped[int | None] = mapped_column(BigId)
    template: Mapped[str | None] = mapped_column(String(80))  # "kind/channel/language"
    subject: Mapped[str | None] = mapped_column(String(200))
    variables: Mapped[dict | None] = mapped_column(JsonDocument)  # rendered values (¥12.50)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_message_id: Mapped[str | None] = mapped_column(String(120))


class MessageAttempt(Base):
    """One try at sending an outbox row: when, what came of it, how long it took."""

    __tablename__ = "message_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), index=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    sender: Mapped[str] = mapped_column(String(40), default="")
    outcome: Mapped[str] = mapped_column(String(12))  # sent, retry, failed, unknown
    error: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    provider_message_id: Mapped[str | None] = mapped_column(String(120))


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
