"""member_growth (X3): per month, new members, active members, dormant members and the total.

- new: members who joined in the month (merchant-local days);
- active: members with at least one checkout in the month;
- dormant: at the month's end, members who joined at least N days before and bought nothing
  in the last N days (``dormant_days``, default 90) — the ones to win back;
- total: members at the month's end.

The period's first and last months count whole months, except that the current month ends
today. Three statements for new, active and total members, one per month for dormant.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from ..clock import local_day_bounds
from ..models import Checkout, Member
from .member_purchases import local_month
from .types import Report, ReportQuery, count, permille, text


def months_between(start: date, end: date) -> list[tuple[str, date, date]]:
    """("YYYY-MM", first day, last day counted) for each month from start's to end's; the
    last month stops at ``end``."""
    months, first = [], start.replace(day=1)
    while first <= end:
        following = (first + timedelta(days=32)).replace(day=1)
        months.append((first.strftime("%Y-%m"), first, min(following - timedelta(days=1), end)))
        first = following
    return months


def rows(session: Session, query: ReportQuery):
    dormant_days = query.params.get("dormant_days", 90)
    months = months_between(query.start, query.end)
    since = local_day_bounds(months[0][1])[0]
    until = local_day_bounds(months[-1][2])[1]
    merchant = Member.merchant_id == query.merchant_id
    month_of_joining = local_month(Member.created_at)
    joined = dict(session.execute(
        select(month_of_joining, func.count())
        .where(merchant, Member.created_at >= since, Member.created_at < until)
        .group_by(month_of_joining)).all())
    total = session.scalar(select(func.count()).where(merchant, Member.created_at < since))
    month_of_purchase = local_month(Checkout.created_at)
    active = dict(session.execute(
        select(month_of_purchase, func.count(distinct(Checkout.member_id)))
        .where(Checkout.merchant_id == query.merchant_id, Checkout.member_id.is_not(None),
               Checkout.created_at >= since, Checkout.created_at < until)
        .group_by(month_of_purchase)).all())
    for month, _first, last in months:
        total += joined.get(month, 0)
        month_end = local_day_bounds(last)[1]
        window_start = month_end - timedelta(days=dormant_days)
        dormant = _dormant(session, query.merchant_id, window_start, month_end)
        active_members = active.get(month, 0)
        yield {"month": month, "new_members": joined.get(month, 0), "active_members": active_members,
               "dormant_members": dormant, "total_members": total,
               "active_permille": active_members * 1000 // total if total else 0,
               "dormant_permille": dormant * 1000 // total if total else 0}


def _dormant(session: Session, merchant_id: int, window_start, month_end) -> int:
    """Members who joined before ``window_start`` and bought nothing from then to month_end."""
    eligible = select(func.count()).where(Member.merchant_id == merchant_id,
                                          Member.created_at < window_start)
    came_back = (select(func.count(distinct(Checkout.member_id)))
                 .join(Member, Member.id == Checkout.member_id)
                 .where(Checkout.merchant_id == merchant_id, Checkout.created_at >= window_start,
                        Checkout.created_at < month_end, Member.created_at < window_start))
    return session.scalar(eligible) - session.scalar(came_back)


REPORT = Report(
    id="member_growth",
    title={"zh-CN": "会员增长", "en": "Member growth"},
    description={
        "zh-CN": "每月新增会员、活跃会员（当月有消费）、沉睡会员（月末前N天无消费，默认90天）与月末会员总数。",
        "en": "Per month: new members, active members (bought in the month), dormant members "
              "(no purchase in the N days before the month's end, default 90) and members at "
              "the month's end."},
    columns=[text("month", "月份", "Month"), count("new_members", "新增会员", "New members"),
             count("active_members", "活跃会员", "Active members", total=False),
             permille("active_permille", "活跃率", "Active share", total=False),
             count("dormant_members", "沉睡会员", "Dormant members", total=False),
             permille("dormant_permille", "沉睡率", "Dormant share", total=False),
             count("total_members", "月末会员总数", "Members at month end", total=False)],
    rows=rows,
    by_store=False,
    parameters={"dormant_days": {"type": "integer", "minimum": 7, "maximum": 730, "default": 90,
                                 "description": "days without a purchase that make a member dormant"}},
    default_days=365,
)
