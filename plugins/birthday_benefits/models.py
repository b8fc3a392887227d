"""The birthday plugin's one table: a member's use of the birthday benefit, per benefit year.

A partial unique index allows one open use per (merchant, member, benefit year): the row is
inserted with ``ON CONFLICT DO NOTHING`` in the checkout's own transaction, so two tills
racing for the same member's birthday give it once (the loser's checkout is refused and
charges nothing). A full return of the sale marks the use ``released_at``; the index then
lets a later checkout of the same year use it again, and the released row stays as history.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base
from core.models.base import BigId, JsonDocument, UtcDateTime


class BirthdayBenefitUse(Base):
    """One member's birthday benefit taken at one checkout."""

    __tablename__ = "birthday_benefit_uses"
    __table_args__ = (
        CheckConstraint("discount_fen >= 0", name="discount_not_negative"),
        Index("uq_birthday_benefit_uses_open", "merchant_id", "member_id", "benefit_year",
              unique=True, sqlite_where=text("released_at IS NULL"),
              postgresql_where=text("released_at IS NULL")),
        Index("ix_birthday_benefit_uses_merchant_time", "merchant_id", "used_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    # The year whose birthday this is: the solar year for a solar birthday, the lunar year
    # (农历年) for a lunar one (a lunar 腊月 birthday may fall in January of the next solar year).
    benefit_year: Mapped[int] = mapped_column(Integer)
    birthday_on: Mapped[date] = mapped_column(Date)  # the solar day of that birthday
    checkout_id: Mapped[int] = mapped_column(ForeignKey("checkouts.id"), index=True)
    card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id"))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    discount_fen: Mapped[int] = mapped_column(Integer)
    gift_name: Mapped[str] = mapped_column(String(60))  # "" when the rule gives no gift line
    gift_line_no: Mapped[int | None] = mapped_column(Integer)  # the 0-price line it added
    granted: Mapped[dict | None] = mapped_column(JsonDocument)  # grant_benefit's receipt
    used_at: Mapped[datetime] = mapped_column(UtcDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
