"""The coupon plugin's tables: templates (campaigns), coupons (single-use codes), redemptions.

A coupon's ``status`` is its state (issued → redeemed / voided / expired); every move out of
``issued`` is a guarded ``UPDATE … WHERE status = 'issued'``, so a code is used once however
many tills race for it. A redemption row records each use with the checkout and the discount
it gave; a return that gives the coupon back marks its redemption ``reversed_at`` (a partial
unique index allows one open redemption per coupon). Coupons are not money: the discount
lowers the checkout's due amount (DESIGN.md), so the ledger holds no coupon entries.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String,
                        UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base
from core.models.base import BigId, JsonDocument, UtcDateTime, utcnow

KINDS = ("cash", "discount", "threshold")  # 代金券, 折扣券, 满减
STATUSES = ("issued", "redeemed", "voided", "expired")
REASONS = ("staff", "member_created", "checkout", "benefit")


class CouponTemplate(Base):
    """A campaign: what its coupons take off, on what, for how long, how many per member."""

    __tablename__ = "coupon_templates"
    __table_args__ = (
        UniqueConstraint("merchant_id", "name"),
        CheckConstraint("kind IN ('cash', 'discount', 'threshold')", name="kind"),
        CheckConstraint("value_fen >= 0 AND min_spend_fen >= 0", name="amounts"),
        CheckConstraint("(kind = 'discount' AND discount_permille BETWEEN 1 AND 999 AND value_fen = 0)"
                        " OR (kind <> 'discount' AND discount_permille IS NULL AND value_fen >= 1)",
                        name="kind_fields"),
        CheckConstraint("(valid_days IS NULL) <> (valid_until IS NULL)", name="one_validity"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(10))
    value_fen: Mapped[int] = mapped_column(Integer, default=0)  # cash and threshold: fen off
    discount_permille: Mapped[int | None] = mapped_column(Integer)  # discount: 850 = 8.5折
    max_discount_fen: Mapped[int | None] = mapped_column(Integer)  # discount: a cap, or none
    min_spend_fen: Mapped[int] = mapped_column(Integer, default=0)  # threshold: the 满 X
    categories: Mapped[list] = mapped_column(JsonDocument, default=list)  # eligible lines; [] = all
    special_price_lines: Mapped[bool] = mapped_column(Boolean, default=False)
    valid_from: Mapped[date | None] = mapped_column(Date)  # fixed dates (merchant-local days)
    valid_until: Mapped[date | None] = mapped_column(Date)
    valid_days: Mapped[int | None] = mapped_column(Integer)  # or N days from issue, today first
    per_member_limit: Mapped[int | None] = mapped_column(Integer)  # coupons issued to one member
    total_limit: Mapped[int | None] = mapped_column(Integer)  # coupons issued in all
    issue_on_member_created: Mapped[bool] = mapped_column(Boolean, default=False)
    issue_on_checkout_fen: Mapped[int | None] = mapped_column(Integer)  # a checkout ≥ X earns one
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Coupon(Base):
    """One single-use code. ``member_id`` NULL: a bearer coupon (printed), usable by anyone."""

    __tablename__ = "coupons"
    __table_args__ = (
        UniqueConstraint("merchant_id", "code"),
        CheckConstraint("status IN ('issued', 'redeemed', 'voided', 'expired')", name="status"),
        CheckConstraint("reason IN ('staff', 'member_created', 'checkout', 'benefit')", name="reason"),
        Index("ix_coupons_member_status", "merchant_id", "member_id", "status"),
        # Reminders of coupons about to expire (issue 14, migration c0002).
        Index("ix_coupons_expiry", "merchant_id", "status", "valid_until"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("coupon_templates.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id"))
    status: Mapped[str] = mapped_column(String(10), default="issued")
    reason: Mapped[str] = mapped_column(String(16))
    valid_from: Mapped[date] = mapped_column(Date)  # first and last merchant-local day of use
    valid_until: Mapped[date] = mapped_column(Date)
    source_checkout_id: Mapped[int | None] = mapped_column(ForeignKey("checkouts.id"))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    issued_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # redeemed/voided/expired
    note: Mapped[str] = mapped_column(String(200), default="")


class CouponRedemption(Base):
    """One use of a coupon by a checkout, and the discount it gave there."""

    __tablename__ = "coupon_redemptions"
    __table_args__ = (
        CheckConstraint("discount_fen >= 1", name="discount_positive"),
        Index("uq_coupon_redemptions_open", "coupon_id", unique=True,
              sqlite_where=text("reversed_at IS NULL"), postgresql_where=text("reversed_at IS NULL")),
        Index("ix_coupon_redemptions_merchant_time", "merchant_id", "redeemed_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    coupon_id: Mapped[int] = mapped_column(ForeignKey("coupons.id"), index=True)
    checkout_id: Mapped[int] = mapped_column(ForeignKey("checkouts.id"), index=True)
    discount_fen: Mapped[int] = mapped_column(Integer)
    lines: Mapped[list] = mapped_column(JsonDocument, default=list)  # [{"line_no", "fen"}]
    redeemed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    reversed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
