"""The training plugin's own tables (T1-T3), on the core's ``Base``; created by the plugin's
Alembic branch ``plugins/training_courses/migrations`` (label ``training_courses``).

Balances live on the ledger (card accounts ``course_sessions`` / ``course_minutes``, and the
merchant's ``cny`` accounts ``course_deferred`` / ``course_income`` / ``course_breakage``).
These tables hold what the ledger cannot: the course catalogue, which package each session
belongs to and until when it is valid (a package owns its expiry, so a freeze can move it),
who taught each visit, and every recognition of revenue (for the T3 reports).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base
from core.models.base import BigId, UtcDateTime, utcnow

PLAN_KINDS = ("count", "period", "metered")


class Course(Base):
    """A course (课程) the school teaches, with the teacher who usually takes it."""

    __tablename__ = "training_courses"
    __table_args__ = (UniqueConstraint("merchant_id", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    default_teacher: Mapped[str] = mapped_column(String(40), default="")  # a settings teacher key
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Plan(Base):
    """What is sold for a course: N sessions, a period pass of N days, or M minutes."""

    __tablename__ = "training_plans"
    __table_args__ = (
        CheckConstraint("kind IN ('count', 'period', 'metered')", name="kind"),
        CheckConstraint("(kind = 'count' AND sessions >= 1 AND minutes = 0) OR "
                        "(kind = 'metered' AND minutes >= 1 AND sessions = 0) OR "
                        "(kind = 'period' AND sessions = 0 AND minutes = 0)", name="units_match_kind"),
        CheckConstraint("validity_days >= 1", name="validity_positive"),
        CheckConstraint("price_fen >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_courses.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))
    sessions: Mapped[int] = mapped_column(Integer, default=0)
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    validity_days: Mapped[int] = mapped_column(Integer)
    price_fen: Mapped[int] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Package(Base):
    """One unit of a checkout line for a plan: a student's package (课包) on a card.

    ``units_left`` (sessions or minutes) is the package's share of the card's ledger balance;
    ``recognised_fen`` is how much of ``paid_fen`` is income so far (the rest is deferred).
    ``valid_to`` is the last local day it can be used; a freeze moves it (T1).
    """

    __tablename__ = "training_packages"
    __table_args__ = (
        UniqueConstraint("checkout_id", "line_no", "unit_no"),
        CheckConstraint("status IN ('active', 'frozen', 'expired', 'returned')", name="status"),
        CheckConstraint("units_left >= 0 AND units_left <= units_total", name="units_in_range"),
        CheckConstraint("recognised_fen >= 0 AND recognised_fen <= paid_fen", name="recognised_in_range"),
        CheckConstraint("valid_to >= valid_from", name="valid_range"),
        # Reminders of packages ending or running low (issue 14, migration t0003).
        Index("ix_training_packages_expiry", "merchant_id", "status", "valid_to"),
        Index("ix_training_packages_units", "merchant_id", "status", "units_left"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_courses.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("training_plans.id"))
    kind: Mapped[str] = mapped_column(String(10))
    # None for a package imported from another system (issue 12): it was sold there.
    checkout_id: Mapped[int | None] = mapped_column(ForeignKey("checkouts.id"))
    line_no: Mapped[int] = mapped_column(Integer)  # imported: the file's row number
    unit_no: Mapped[int] = mapped_column(Integer)  # 1..quantity of the line
    units_total: Mapped[int] = mapped_column(Integer)  # sessions or minutes; 0 for a pass
    units_left: Mapped[int] = mapped_column(Integer)
    period_days: Mapped[int] = mapped_column(Integer)  # days of use bought (freezes excluded)
    paid_fen: Mapped[int] = mapped_column(BigInteger)
    recognised_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="active")
    frozen_on: Mapped[date | None] = mapped_column(Date)
    frozen_days: Mapped[int] = mapped_column(Integer, default=0)  # finished freezes, in days
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Visit(Base):
    """A sign-in (签到): sessions used, a pass shown, or metered time from check-in to check-out."""

    __tablename__ = "training_visits"
    __table_args__ = (
        CheckConstraint("kind IN ('session', 'period', 'metered')", name="kind"),
        CheckConstraint("status IN ('open', 'done', 'cancelled')", name="status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_courses.id"))
    # The package shown or used first (a pass, or the soonest-expiring count/minutes package);
    # None for metered time paid at the till.
    package_id: Mapped[int | None] = mapped_column(ForeignKey("training_packages.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="done")
    teacher: Mapped[str] = mapped_column(String(40), default="")
    units: Mapped[int] = mapped_column(Integer, default=0)  # sessions, or minutes charged
    minutes: Mapped[int] = mapped_column(Integer, default=0)  # metered: minutes on the clock
    revenue_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    attended_on: Mapped[date] = mapped_column(Date)
    checked_in_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    checked_out_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    checkout_id: Mapped[int | None] = mapped_column(ForeignKey("checkouts.id"))
    note: Mapped[str] = mapped_column(String(200), default="")


class Recognition(Base):
    """Money moved from deferred (or from sales) to income or breakage: the T3 reports' rows."""

    __tablename__ = "training_recognitions"
    __table_args__ = (
        CheckConstraint("kind IN ('attendance', 'period', 'breakage', 'sale', 'metered_sale', "
                        "'returned')", name="kind"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_courses.id"))
    package_id: Mapped[int | None] = mapped_column(ForeignKey("training_packages.id"), index=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("training_visits.id"))
    teacher: Mapped[str] = mapped_column(String(40), default="")
    kind: Mapped[str] = mapped_column(String(20))
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # negative when a return takes it back
    recognised_on: Mapped[date] = mapped_column(Date)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"))
