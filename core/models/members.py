"""Members, their cards and the merchant's tiers."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, BigId, JsonDocument, UtcDateTime, utcnow


class CardStatus(str, enum.Enum):
    ISSUED = "issued"  # printed and in stock, not yet bound to a member
    ACTIVE = "active"
    LOST = "lost"  # 挂失: frozen at once (C5)
    FROZEN = "frozen"
    REPLACED = "replaced"  # number blocked forever (C5)
    EXPIRED = "expired"


class Tier(Base):
    """A tier (C1) as last published; the configuration document is its source."""

    __tablename__ = "tiers"
    __table_args__ = (
        UniqueConstraint("merchant_id", "key"),
        CheckConstraint("discount_permille BETWEEN 1 AND 1000", name="discount_range"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(60))
    rank: Mapped[int] = mapped_column(Integer)
    discount_permille: Mapped[int] = mapped_column(Integer, default=1000)
    upgrade: Mapped[list] = mapped_column(JsonDocument, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


# Member lookups (F4) compare names in code-point order on both databases: SQLite's BINARY
# collation is that order, and PostgreSQL's "C" collation too, so a name-prefix range and
# ORDER BY name use the (merchant_id, name) index alike, whatever the server's locale.
NAME_TYPE = String(60).with_variant(String(60, collation="C"), "postgresql")
# The last four digits of the phone, kept by the database itself (a generated column), so no
# write path, import or restore can let it drift from the phone: the cashier's "手机尾号?".
# VIRTUAL on SQLite (all ALTER TABLE can add), STORED on PostgreSQL (migration 0010).
PHONE_LAST4_SQL = "substr(phone, length(phone) - 3)"
BIRTHDAY_MD_SQL = "substr(birthday, 6, 5)"


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("merchant_id", "phone"),
        Index("ix_members_merchant_name", "merchant_id", "name", "id"),
        Index("ix_members_merchant_phone_last4", "merchant_id", "phone_last4", "id"),
        # Reminder scans (issue 14, migration 0015a): birthdays by month-day, anniversaries by
        # join time.
        Index("ix_members_birthday", "merchant_id", "birthday_md", "id"),
        Index("ix_members_merchant_joined", "merchant_id", "created_at"),
        CheckConstraint("gender IN ('male', 'female', 'unspecified')", name="gender"),
        CheckConstraint("birthday_calendar IN ('solar', 'lunar')", name="birthday_calendar"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    name: Mapped[str] = mapped_column(NAME_TYPE)
    phone: Mapped[str] = mapped_column(String(20))
    phone_last4: Mapped[str] = mapped_column(String(4), Computed(PHONE_LAST4_SQL))
    gender: Mapped[str] = mapped_column(String(12), default="unspecified")
    # "YYYY-MM-DD" in the calendar named by birthday_calendar: a lunar date (二月三十, a leap
    # month) is not a Gregorian date, so it cannot live in a DATE column (R1).
    birthday: Mapped[str | None] = mapped_column(String(10))
    birthday_calendar: Mapped[str] = mapped_column(String(8), default="solar")
    birthday_leap_month: Mapped[bool] = mapped_column(Boolean, default=False)
    # "MM-DD" of the stored birthday, kept by the database (a generated column, as phone_last4),
    # so a birthday scan asks the index for the few month-days falling on a day (R1).
    birthday_md: Mapped[str | None] = mapped_column(String(5), Computed(BIRTHDAY_MD_SQL))
    address: Mapped[str] = mapped_column(String(200), default="")
    occupation: Mapped[str] = mapped_column(String(60), default="")
    income_band: Mapped[str] = mapped_column(String(20), default="")
    extra: Mapped[dict] = mapped_column(JsonDocument, default=dict)
    registered_store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    channel: Mapped[str] = mapped_column(String(20), default="counter")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)

    cards: Mapped[list["Card"]] = relationship(back_populates="member", order_by="Card.id")


class Card(Base):
    __tablename__ = "cards"
    __table_args__ = (
        UniqueConstraint("merchant_id", "number"),
        CheckConstraint(
            "status IN ('issued', 'active', 'lost', 'frozen', 'replaced', 'expired')",
            name="status",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    number: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(40))
    tier_id: Mapped[int | None] = mapped_column(ForeignKey("tiers.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=CardStatus.ISSUED.value)
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    expires_on: Mapped[date | None] = mapped_column(Date)
    issued_store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    batch: Mapped[str] = mapped_column(String(40), default="")
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Wrong-PIN counter lives in the database so a restart does not reset it (C6).
    pin_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pin_locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Wrong PINs since the last right PIN or manager reset; a lock's expiry does not clear it.
    pin_failures_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pin_blocked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # needs a manager
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id"))

    member: Mapped[Member | None] = relationship(back_populates="cards", foreign_keys=[member_id])
    tier: Mapped[Tier | None] = relationship()
