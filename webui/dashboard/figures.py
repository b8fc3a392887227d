"""The dashboard's figures (issue 12, G6): one SQL aggregate per tile, integer fen throughout.

Every function takes the ``Scope`` (the merchant, and one store or all of them, A1) and the
moment ``now``, so a test fixes the clock by passing it. Days are the merchant's local days
(core.clock): a sale at 23:30 Beijing time counts on that day.

What the figures mean (docs/dashboard.md says it to owners):
- sales of a day: what checkouts made that day were due (after discounts, whatever paid
  them), less what returns made that day refunded: the till's view, so a past day never
  changes. Checkouts are counted when made; a return does not uncount one.
- a store's figures are those of its checkouts (and of returns of them), of members who
  registered there, of recharges taken there and of cards issued there.
- top members: net spend = checkouts in the last 30 days less what was refunded of them.

Plugin figures (recharges, liabilities, reminders) are in ``plugin_figures``: the web layer
may read plugins, the core may not.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import local_date, local_day_bounds
from core.messaging import mask_phone
from core.models import Checkout, CheckoutReturn, Member
from core.reports.sales_daily import totals_by_day
from core.rollups.days import local_day as rollup_local_day
from core.reports import ReportQuery
from core.reports import tier_distribution

TREND_DAYS = 30
TOP_MEMBERS = 10


@dataclass(frozen=True)
class Scope:
    """Whose figures: one merchant, one of its stores or (``store_id`` None) all of them."""

    merchant_id: int
    store_id: int | None = None


@dataclass
class Day:
    """One local day's figures. ``recharges`` stay zero without the stored-value plugin."""

    sales_fen: int = 0  # due of the day's checkouts
    refunds_fen: int = 0  # refunded by the day's returns
    checkouts: int = 0
    new_members: int = 0
    recharges: int = 0
    recharge_fen: int = 0  # principal paid in (bonus is not money received)

    @property
    def net_fen(self) -> int:
        return self.sales_fen - self.refunds_fen

    def json(self) -> dict:
        return {**asdict(self), "net_fen": self.net_fen}


@dataclass
class Series:
    """Day figures for every local day from ``first`` to ``last`` (missing days are zeros)."""

    first: date
    last: date
    days: dict[date, Day] = field(default_factory=dict)

    def on(self, day: date) -> Day:
        return self.days.get(day) or Day()


# -- the local day in SQL ------------------------------------------------------------------

def local_day(session: Session, column):
    """``column`` (a UTC timestamp) as the merchant's local date, in SQL: the rollups' own
    conversion (core.rollups.days), so the dashboard's days are the reports' days."""
    return rollup_local_day(column, session.get_bind().dialect.name)


def as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def period_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    return local_day_bounds(first)[0], local_day_bounds(last)[1]


# -- tiles ---------------------------------------------------------------------------------

def daily_series(session: Session, scope: Scope, first: date, last: date) -> Series:
    """Sales, refunds, checkouts and new members per local day (recharges: plugin_figures)."""
    start, end = period_bounds(first, last)
    series = Series(first, last)

    def day(value) -> Day:
        return series.days.setdefault(as_date(value), Day())

    # Sales, refunds and checkouts as the sales_daily report counts them (from the rollups
    # and the unfolded tail): a return counts on its own day, at the store that took it back.
    for value, figures in totals_by_day(session, scope.merchant_id, first, last,
                                        store_id=scope.store_id).items():
        if figures["checkouts"] or figures["sales_fen"] or figures["refunds_fen"]:
            today = day(value)
            today.checkouts, today.sales_fen = figures["checkouts"], figures["sales_fen"]
            today.refunds_fen = figures["refunds_fen"]

    member_day = local_day(session, Member.created_at)
    joined = (select(member_day, func.count())
              .where(Member.merchant_id == scope.merchant_id, Member.created_at >= start,
                     Member.created_at < end).group_by(member_day))
    if scope.store_id is not None:
        joined = joined.where(Member.registered_store_id == scope.store_id)
    for value, members in session.execute(joined):
        day(value).new_members = int(members)
    return series


def last_days(now: datetime, days: int = TREND_DAYS) -> tuple[date, date]:
    """The first and last local day of the ``days`` days ending today."""
    today = local_date(now)
    return today - timedelta(days=days - 1), today


def comparison(series: Series, now: datetime) -> dict:
    """Today beside yesterday and the same weekday last week (both inside the 30-day series)."""
    today = local_date(now)
    days = {"today": today, "yesterday": today - timedelta(days=1),
            "last_week": today - timedelta(days=7)}
    return {name: {"day": day.isoformat(), **series.on(day).json()} for name, day in days.items()}


def trend(series: Series) -> list[dict]:
    """Net sales and checkouts for every day of the series, oldest first, zeros included."""
    rows, day = [], series.first
    while day <= series.last:
        figures = series.on(day)
        rows.append({"day": day.isoformat(), "net_fen": figures.net_fen, "checkouts": figures.checkouts})
        day += timedelta(days=1)
    return rows


def tier_mix(session: Session, scope: Scope, config, now: datetime, lang: str = "zh-CN") -> list[dict]:
    """Members per tier: the tier_distribution report's rows (X3), the merchant's tiers in
    rank order. Tiers and members belong to the merchant, not a store, so this is the same
    for every store."""
    first, last = last_days(now, 365)
    query = ReportQuery(merchant_id=scope.merchant_id, config=config, now=now, start=first, end=last)
    return [{"tier": row["tier"],
             "name": row["tier_name"].get(lang) or row["tier_name"]["zh-CN"],
             "members": row["members"]}
            for row in tier_distribution.rows(session, query)]


def top_members(session: Session, scope: Scope, now: datetime, *, days: int = TREND_DAYS,
                limit: int = TOP_MEMBERS) -> list[dict]:
    """The members who spent most (net of refunds) in the last ``days`` days; phones masked."""
    first, last = last_days(now, days)
    start, end = period_bounds(first, last)
    # Each checkout less what its returns refunded: a correlated sum over the returns' checkout
    # index, so only the period's checkouts are looked at (not every return ever made).
    refunded = (select(func.coalesce(func.sum(CheckoutReturn.refund_fen), 0))
                .where(CheckoutReturn.checkout_id == Checkout.id).scalar_subquery())
    # Grouped by an expression, not the bare column, and no "member_id IS NOT NULL": either
    # lets SQLite walk the whole member_id index (every merchant's checkouts, in member order)
    # instead of the merchant's. Walk-ins form group 0, which the join with members drops.
    member = func.coalesce(Checkout.member_id, 0)
    spenders = (select(member.label("member_id"), func.sum(Checkout.due_total_fen - refunded).label("net_fen"),
                       func.count().label("checkouts"))
                .where(Checkout.merchant_id == scope.merchant_id,
                       Checkout.created_at >= start, Checkout.created_at < end)
                .group_by(member))
    if scope.store_id is not None:
        spenders = spenders.where(Checkout.store_id == scope.store_id)
    spenders = spenders.subquery()
    rows = session.execute(
        select(Member.id, Member.name, Member.phone, spenders.c.net_fen, spenders.c.checkouts)
        .join(spenders, spenders.c.member_id == Member.id)
        .where(spenders.c.net_fen > 0)
        .order_by(spenders.c.net_fen.desc(), Member.id).limit(limit)).all()
    return [{"member_id": member_id, "name": name, "phone": mask_phone(phone), "net_fen": int(net_fen),
             "checkouts": int(checkouts)}
            for member_id, name, phone, net_fen, checkouts in rows]
