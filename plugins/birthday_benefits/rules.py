"""Which birthday rule applies to a member today, and the birthday it is about (R1).

Windows (merchant-local days, solar and lunar birthdays alike through core/birthdays.py):

- ``day``: the solar day the birthday falls on this year (a lunar 30th of a 29-day month
  falls on that month's last day, a leap-month birth on the leap month when the year has one);
- ``week``: that day, the 3 days before and the 3 days after;
- ``month``: the solar calendar month that day falls in — for a lunar birthday too (农历
  生日的“生日月”按其当年公历日期所在的公历月份): the till, the member strip ("本月") and
  campaigns' "birthday month" all speak of calendar months, and a lunar month straddles two.

The benefit year is the year the birthday belongs to: the solar year for a solar birthday,
the lunar year (农历年) for a lunar one, so a 腊月 birthday that falls in January is still
that lunar year's, and each birthday gives exactly one benefit whatever the calendar.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from core.birthdays import LUNAR, BirthdaySpec, solar_birthday

WEEK_DAYS_EACH_SIDE = 3
PLUGIN_ID = "birthday_benefits"


@dataclass(frozen=True)
class Occasion:
    """This year's birthday of a member, as far as the benefit is concerned."""

    benefit_year: int
    birthday_on: date  # the solar day
    first: date  # the window, inclusive
    last: date


def spec_of(member) -> BirthdaySpec | None:
    if member is None:
        return None
    return BirthdaySpec.of(member.birthday, member.birthday_calendar or "solar",
                           bool(member.birthday_leap_month))


def window(birthday_on: date, kind: str) -> tuple[date, date]:
    if kind == "day":
        return birthday_on, birthday_on
    if kind == "week":
        spread = timedelta(days=WEEK_DAYS_EACH_SIDE)
        return birthday_on - spread, birthday_on + spread
    first = birthday_on.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def occasion_on(spec: BirthdaySpec | None, today: date, kind: str) -> Occasion | None:
    """The birthday whose ``kind`` window holds ``today``, or None."""
    if spec is None:
        return None
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            birthday_on = solar_birthday(spec, year)
        except ValueError:  # outside the calendar library's range, or an impossible date
            continue
        first, last = window(birthday_on, kind)
        if first <= today <= last:
            return Occasion(year, birthday_on, first, last)
    return None


def rule_for(settings: dict, tier_key: str | None) -> dict | None:
    """The first rule for this tier (a rule without tiers is for every member)."""
    for rule in settings.get("rules") or []:
        tiers = rule.get("tiers") or []
        if not tiers or tier_key in tiers:
            return rule
    return None


GRANT_FIELDS = {"grant_template_id": "template_id", "grant_room_type": "room_type",
                "grant_face_value_fen": "face_value_fen"}


def grant_of(rule: dict) -> dict | None:
    """The benefit to give as core.benefits data ({"kind", **fields}), or None.

    The settings keep the benefit flat (one column each, so the editor shows the rules as a
    table): ``grant_kind`` plus the fields the known kinds use; only the ones set are passed,
    and the owning plugin's schema refuses what its kind does not take (checked on publish)."""
    kind = rule.get("grant_kind")
    if not kind:
        return None
    fields = {name: rule[key] for key, name in GRANT_FIELDS.items() if rule.get(key) not in ("", 0, None)}
    return {"kind": kind, **fields}


def discount_permille(rule: dict) -> int:
    return int(rule.get("discount_permille") or 1000)


def has_benefit(rule: dict) -> bool:
    return discount_permille(rule) < 1000 or bool(rule.get("gift_name")) or grant_of(rule) is not None


def is_lunar(spec: BirthdaySpec) -> bool:
    return spec.calendar == LUNAR
