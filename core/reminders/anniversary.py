"""Built-in kind ``anniversary``: members who joined on this merchant-local day in an earlier
year (入会周年), ``days_before`` days ahead.

One created_at range per past year on ``ix_members_merchant_joined`` (migration 0015a); a
member who joined on 02-29 is reminded on 02-28 in a common year.
"""
from __future__ import annotations

import calendar
from datetime import date, timedelta

from sqlalchemy import and_, func, or_, select

from ..clock import local_date, local_day_bounds
from ..models import Member
from .members import MEMBER_COLUMNS, in_store, member_facts
from .types import Reminder, ReminderKind, days_setting, settings_object

KIND = "anniversary"


def join_days(day: date, year: int) -> list[date]:
    """The local days of ``year`` whose joiners have their anniversary on ``day``."""
    if (day.month, day.day) == (2, 29):
        return [date(year, 2, 29)] if calendar.isleap(year) else []
    days = [date(year, day.month, day.day)]
    if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year) and calendar.isleap(year):
        days.append(date(year, 2, 29))
    return days


def scan_anniversaries(session, config, merchant_id, on, settings, store_id=None):
    day = on + timedelta(days=settings["days_before"])
    first = session.scalar(select(func.min(Member.created_at)).where(Member.merchant_id == merchant_id))
    if first is None:
        return
    ranges = [local_day_bounds(joined) for year in range(local_date(first).year, day.year)
              for joined in join_days(day, year)]
    if not ranges:
        return
    query = in_store(select(*MEMBER_COLUMNS, Member.created_at).where(
        Member.merchant_id == merchant_id,
        or_(*(and_(Member.created_at >= start, Member.created_at < end) for start, end in ranges)))
        .order_by(Member.id), store_id)
    for row in session.execute(query):
        joined = local_date(row.created_at)
        years = day.year - joined.year
        if years < settings["min_years"]:
            continue
        yield Reminder(member_id=row.id, kind=KIND, occasion=f"{KIND}:{day.isoformat()}",
                       store_id=row.registered_store_id,
                       facts={**member_facts(row), "joined_on": joined.isoformat(), "years": years,
                              "anniversary_on": day.isoformat(), "days_left": settings["days_before"]})


def anniversary_kind() -> ReminderKind:
    return ReminderKind(
        id=KIND, title={"zh-CN": "入会周年", "en": "Join anniversary"},
        description={"zh-CN": "会员入会满一年、两年……的那一天提醒。",
                     "en": "The day a member has been with the shop one, two … years."},
        settings_schema=settings_object({
            "days_before": days_setting(0, "提前几天提醒（0 = 周年当天）", "Days ahead (0 = on the day)", maximum=60),
            "min_years": {"type": "integer", "minimum": 1, "maximum": 100, "default": 1,
                          "x-label": {"zh-CN": "入会满几年才提醒", "en": "From this many years"}},
        }),
        scan=scan_anniversaries)
