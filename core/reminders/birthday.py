"""Built-in kind ``birthday``: members whose birthday, solar or lunar (R1), falls ``days_before``
days after ``on``.

``core.birthdays.birthday_keys_on`` names the stored (calendar, month-day, leap) that fall on a
solar day — 腊月三十 on a short 腊月's 廿九, a leap-month birth in a year without that leap
month, 02-29 on 02-28 — so the scan asks the index ``ix_members_birthday`` (merchant, month-day)
for a handful of month-days, never converting a row (migration 0015a).
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ..birthdays import birthday_keys_on
from ..models import Member
from .members import MEMBER_COLUMNS, in_store, member_facts
from .types import Reminder, ReminderKind, days_setting, settings_object

KIND = "birthday"


def scan_birthdays(session, config, merchant_id, on, settings, store_id=None):
    day = on + timedelta(days=settings["days_before"])
    keys = birthday_keys_on(day)
    wanted = {(key.calendar, f"{key.month:02d}-{key.day:02d}"): key for key in keys}
    query = in_store(select(*MEMBER_COLUMNS, Member.birthday, Member.birthday_calendar,
                            Member.birthday_leap_month, Member.birthday_md)
                     .where(Member.merchant_id == merchant_id,
                            Member.birthday_md.in_(sorted({md for _c, md in wanted})))
                     .order_by(Member.id), store_id)
    for row in session.execute(query):
        if not _falls(keys, row):
            continue
        yield Reminder(
            member_id=row.id, kind=KIND, occasion=f"{KIND}:{day.isoformat()}",
            store_id=row.registered_store_id,
            facts={**member_facts(row), "birthday": row.birthday, "calendar": row.birthday_calendar,
                   "leap_month": bool(row.birthday_leap_month), "birthday_on": day.isoformat(),
                   "days_left": settings["days_before"]})


def _falls(keys, row) -> bool:
    month, day = (int(part) for part in row.birthday_md.split("-"))
    leap = bool(row.birthday_leap_month) and row.birthday_calendar == "lunar"
    return any((key.calendar, key.month, key.day) == (row.birthday_calendar, month, day)
               and (key.leap_month is None or key.leap_month == leap) for key in keys)


def birthday_kind() -> ReminderKind:
    return ReminderKind(
        id=KIND, title={"zh-CN": "生日提醒", "en": "Birthday"},
        description={"zh-CN": "会员生日（阳历或农历，含闰月）当天或提前几天提醒。",
                     "en": "A member's birthday (solar or lunar, leap months included), on the day or days ahead."},
        settings_schema=settings_object({
            "days_before": days_setting(0, "提前几天提醒（0 = 生日当天）", "Days ahead (0 = on the day)", maximum=60),
        }),
        scan=scan_birthdays)
