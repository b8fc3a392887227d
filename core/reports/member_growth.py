"""member_growth (X3): per month, new members, active members, dormant members and the total.

- new: members who joined in the month (merchant-local days);
- active: members with at least one checkout in the month;
- dormant: at the month's end, members who joined at least N days before and bought nothing
  in the last N days (``dormant_days``, default 90) — the ones to win back;
- total: members at the month's end.

The period's first and last months count whole months, except that the current month ends
today. Four statements whatever the period: members per join day (new, total and who had
joined before each dormancy window), active members per month, and for dormancy one pass
over the windows' checkouts in member order beside the members (see ``_came_back``).
"""
from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from datetime import date, timedelta

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from ..clock import local_day_bounds
from ..models import Checkout, Member
from .member_purchases import EPOCH_ORDINAL, check_period, local_day_number, local_month, plain_batches
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
    check_period(query.start, query.end)
    dormant_days = query.params.get("dormant_days", 90)
    months = months_between(query.start, query.end)
    connection = session.connection()
    # Local day numbers: each month's first day and the day after its last (its end).
    firsts = [_day_number(first) for _, first, _ in months]
    ends = [_day_number(last) + 1 for _, _, last in months]
    windows = [end - dormant_days for end in ends]  # dormant: nothing bought from here to end
    joined_days, joined_before = _joining_histogram(connection, query.merchant_id, ends[-1])
    since, until = local_day_bounds(months[0][1])[0], local_day_bounds(months[-1][2])[1]
    month_of_purchase = local_month(Checkout.created_at)
    active = dict(connection.execute(
        select(month_of_purchase, func.count(distinct(Checkout.member_id)))
        .where(Checkout.merchant_id == query.merchant_id, Checkout.member_id.is_not(None),
               Checkout.created_at >= since, Checkout.created_at < until)
        .group_by(month_of_purchase)).all())
    came_back = _came_back(connection, query.merchant_id, windows, ends)

    def members_before(day: int) -> int:
        return joined_before[bisect_left(joined_days, day)]

    for index, (month, _first, _last) in enumerate(months):
        total = members_before(ends[index])
        dormant = members_before(windows[index]) - came_back[index]
        active_members = active.get(month, 0)
        yield {"month": month, "new_members": total - members_before(firsts[index]),
               "active_members": active_members, "dormant_members": dormant,
               "total_members": total,
               "active_permille": active_members * 1000 // total if total else 0,
               "dormant_permille": dormant * 1000 // total if total else 0}


def _day_number(day: date) -> int:
    return day.toordinal() - EPOCH_ORDINAL


def _joining_histogram(connection, merchant_id: int, end_day: int) -> tuple[list[int], list[int]]:
    """(days, members joined before each): sorted local join days and, at position i, how
    many members joined before days[i] (one more entry: all of them)."""
    joined_on = local_day_number(Member.created_at)
    counts = connection.execute(select(joined_on, func.count())
                                .where(Member.merchant_id == merchant_id)
                                .group_by(joined_on).order_by(joined_on)).all()
    days, before, running = [], [0], 0
    for day, members in counts:
        days.append(day)
        running += members
        before.append(running)
    return days, before


def _came_back(connection, merchant_id: int, windows: list[int], ends: list[int]) -> list[int]:
    """For each month, members who joined before its window and bought within it.

    One pass over the checkouts of all windows in member order (the member-activity index),
    beside the members in id order: each purchase day marks the months whose window holds it
    (a bit mask per day), each member's join day the months they count in.
    """
    first_day, last_day = min(windows), max(ends)
    covered = [0] * (last_day - first_day)  # day offset -> months whose window holds the day
    for index, (window, end) in enumerate(zip(windows, ends)):
        for day in range(window, end):
            covered[day - first_day] |= 1 << index
    since = local_day_bounds(_date_of(first_day))[0]
    until = local_day_bounds(_date_of(last_day - 1))[1]
    purchases = plain_batches(connection, (
        select(Checkout.member_id, local_day_number(Checkout.created_at))
        .where(Checkout.merchant_id == merchant_id, Checkout.member_id.is_not(None),
               Checkout.created_at >= since, Checkout.created_at < until)
        .order_by(Checkout.member_id)))
    members = plain_batches(connection, (
        select(Member.id, local_day_number(Member.created_at))
        .where(Member.merchant_id == merchant_id).order_by(Member.id)))
    member_rows = (row for batch in members for row in batch)
    masks: Counter = Counter()
    current, mask = None, 0
    for batch in purchases:
        for member_id, day in batch:
            if member_id != current:
                if current is not None:
                    masks[mask & _eligible(member_rows, current, windows)] += 1
                current, mask = member_id, 0
            mask |= covered[day - first_day]
    if current is not None:
        masks[mask & _eligible(member_rows, current, windows)] += 1
    return [sum(count for mask, count in masks.items() if mask >> index & 1)
            for index in range(len(windows))]


def _eligible(member_rows, member_id: int, windows: list[int]) -> int:
    """The months in which ``member_id`` had joined before the window (a bit mask); walks
    ``member_rows`` (id order) forward to the member."""
    for row_id, joined in member_rows:
        if row_id == member_id:
            return sum(1 << index for index, window in enumerate(windows) if joined < window)
    return 0


def _date_of(day_number: int) -> date:
    return date.fromordinal(EPOCH_ORDINAL + day_number)


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
                                 "description": "days without a purchase that make a member dormant",
                                 "x-label": {"zh-CN": "沉睡天数", "en": "Dormant after (days)"},
                                 "x-help": {"zh-CN": "多少天没有消费算沉睡会员",
                                            "en": "Days without a purchase that make a member dormant"}}},
    default_days=365,
)
