"""The points plugin's own tables (P4): the points mall and the lucky wheel.

They live on the core's ``Base`` (so one metadata describes the whole schema) and are created
by the plugin's own Alembic branch, ``plugins/points/migrations`` (label ``points``), which the
core picks up through the ``register_migrations`` hook. Every row carries its ``merchant_id``
and every query is scoped by it.

Point balances are never stored here: they live in the ledger (card account ``points``, lots
with their expiry). These tables hold only what the ledger cannot: stock and prize odds, and
which spin of the day each wheel spin was (so the daily limits are counted from the database).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base
from core.models.base import BigId, JsonDocument, UtcDateTime, utcnow

PRIZE_KINDS = ("points", "gift", "none", "benefit")


class MallItem(Base):
    """A gift or coupon members buy with points (积分商城). Stock is decremented guarded.

    ``benefit``: what another plugin gives per unit bought (a coupon of a template,
    ``{"kind": "coupon", "template_id": 3}``), checked with core.benefits.validate_benefit
    when saved and given with core.benefits.grant; None for a gift handed over at the desk.
    """

    __tablename__ = "points_mall_items"
    __table_args__ = (
        UniqueConstraint("merchant_id", "name"),
        CheckConstraint("points_cost >= 1", name="points_cost_positive"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500), default="")
    points_cost: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    benefit: Mapped[dict | None] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class WheelPrize(Base):
    """One slot of the lucky wheel (大转盘). ``stock`` NULL means unlimited (e.g. 谢谢参与).

    A ``benefit`` prize is given by another plugin (H4: a hotel room voucher): ``benefit`` holds
    its definition ``{"kind": "room_voucher", "room_type": "suite"}``, checked with
    core.benefits.validate_benefit when the prize is saved and given with core.benefits.grant.
    """

    __tablename__ = "points_wheel_prizes"
    __table_args__ = (
        CheckConstraint("kind IN ('points', 'gift', 'none', 'benefit')", name="kind"),
        CheckConstraint("weight >= 1", name="weight_positive"),
        CheckConstraint("stock IS NULL OR stock >= 0", name="stock_not_negative"),
        CheckConstraint("(kind = 'points' AND points >= 1) OR (kind <> 'points' AND points = 0)",
                        name="points_match_kind"),
        CheckConstraint("(kind = 'benefit') = (benefit IS NOT NULL)", name="benefit_match_kind"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))
    points: Mapped[int] = mapped_column(Integer, default=0)
    benefit: Mapped[dict | None] = mapped_column(JsonDocument)
    weight: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class WheelSpin(Base):
    """One spin: the n-th of the member's local day (unique, so two spins cannot share a slot).

    Each spin also posts a ledger transaction of type ``wheel_spin`` (``transaction_id``).
    """

    __tablename__ = "points_wheel_spins"
    __table_args__ = (
        UniqueConstraint("member_id", "spun_on", "spin_no"),
        CheckConstraint("spin_no >= 1", name="spin_no_positive"),
        CheckConstraint("cost_points >= 0", name="cost_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"), index=True)
    spun_on: Mapped[date] = mapped_column(Date)  # the merchant's local date (Asia/Shanghai)
    spin_no: Mapped[int] = mapped_column(Integer)
    cost_points: Mapped[int] = mapped_column(Integer)
    prize_id: Mapped[int | None] = mapped_column(ForeignKey("points_wheel_prizes.id"))
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
