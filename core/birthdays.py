"""When a member's birthday falls, on the solar or the lunar calendar (R1).

A member's birthday is stored as ``YYYY-MM-DD`` in the calendar named by
``birthday_calendar``, plus ``birthday_leap_month`` for a lunar birth in a leap month
(闰月). Each year it becomes one solar date:

- solar 02-29 falls on 02-28 in a common year (the day every merchant we asked uses);
- a lunar birthday falls in that lunar year's month of the same number; a leap-month birth
  uses the leap month when the year has it, and the ordinary month otherwise;
- day 30 of a month that has only 29 days this year falls on its last day (腊月三十 is 腊月
  廿九 in a year whose 腊月 is short, i.e. New Year's Eve).

Two directions are offered: ``solar_birthday(spec, year)`` (where a birthday falls) and
``birthday_keys_on(day)`` (which stored month-days fall on a solar day), so a scan over a
million members asks an index for a handful of month-days instead of converting every row.
Conversions come from lunar-python (6tail), which covers 1900–2100.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from lunar_python import Lunar, LunarMonth, LunarYear, Solar

SOLAR = "solar"
LUNAR = "lunar"


@dataclass(frozen=True)
class BirthdaySpec:
    """A stored birthday: calendar, month, day and (lunar only) whether born in a leap month."""

    calendar: str
    month: int
    day: int
    leap_month: bool = False

    @classmethod
    def of(cls, birthday: str | None, calendar: str = SOLAR, leap_month: bool = False) -> "BirthdaySpec | None":
        """The spec of a member row's fields; None when no birthday is on file."""
        if not birthday:
            return None
        _, month, day = (int(part) for part in birthday.split("-"))
        return cls(calendar, month, day, bool(leap_month) and calendar == LUNAR)


@dataclass(frozen=True)
class BirthdayKey:
    """A stored (calendar, month, day, leap) that falls on a given solar day; leap None = either."""

    calendar: str
    month: int
    day: int
    leap_month: bool | None = False


def solar_birthday(spec: BirthdaySpec, year: int) -> date:
    """The solar date of the birthday celebrated in ``year``.

    A lunar birthday is looked up in lunar year ``year``; late-winter months (腊月) of a
    lunar year can fall in January/February of the next solar year, so use
    ``birthdays_between`` to ask "which birthdays fall in this solar period".
    """
    if spec.calendar == SOLAR:
        if spec.month == 2 and spec.day == 29 and not _is_leap_year(year):
            return date(year, 2, 28)
        return date(year, spec.month, spec.day)
    return _lunar_to_solar(year, spec.month, spec.day, spec.leap_month)


def birthdays_between(spec: BirthdaySpec, first: date, last: date) -> list[date]:
    """Every solar date in ``first..last`` (inclusive) on which the birthday falls."""
    found = []
    for year in range(first.year - 1, last.year + 1):
        try:
            day = solar_birthday(spec, year)
        except ValueError:  # outside the calendar library's range
            continue
        if first <= day <= last:
            found.append(day)
    return sorted(set(found))


def next_birthday(spec: BirthdaySpec, on_or_after: date) -> date:
    """The first solar date on or after ``on_or_after`` on which the birthday falls."""
    days = birthdays_between(spec, on_or_after, on_or_after + timedelta(days=400))
    return days[0]


def is_birthday(spec: BirthdaySpec | None, day: date) -> bool:
    """Whether ``day`` is the member's birthday this year."""
    if spec is None:
        return False
    return any(_matches(spec, key) for key in birthday_keys_on(day))


@lru_cache(maxsize=4096)
def birthday_keys_on(day: date) -> tuple[BirthdayKey, ...]:
    """The stored birthdays that fall on solar ``day`` (for indexed scans)."""
    keys = [BirthdayKey(SOLAR, day.month, day.day, None)]
    if day.month == 2 and day.day == 28 and not _is_leap_year(day.year):
        keys.append(BirthdayKey(SOLAR, 2, 29, None))
    lunar = Solar.fromYmd(day.year, day.month, day.day).getLunar()
    month = lunar.getMonth()  # negative in a leap month
    number, in_leap = abs(month), month < 0
    days = [lunar.getDay()]
    if lunar.getDay() == 29 and LunarMonth.fromYm(lunar.getYear(), month).getDayCount() == 29:
        days.append(30)  # born on the 30th: this short month's last day stands in
    for lunar_day in days:
        if in_leap:
            keys.append(BirthdayKey(LUNAR, number, lunar_day, True))
        else:
            keys.append(BirthdayKey(LUNAR, number, lunar_day, False))
            if LunarYear.fromYear(lunar.getYear()).getLeapMonth() != number:
                # No leap month of this number this year: the leap-born celebrate now.
                keys.append(BirthdayKey(LUNAR, number, lunar_day, True))
    return tuple(keys)


def _matches(spec: BirthdaySpec, key: BirthdayKey) -> bool:
    if (spec.calendar, spec.month, spec.day) != (key.calendar, key.month, key.day):
        return False
    return key.leap_month is None or key.leap_month == spec.leap_month


@lru_cache(maxsize=8192)
def _lunar_to_solar(year: int, month: int, day: int, leap_month: bool) -> date:
    if not (1 <= month <= 12 and 1 <= day <= 30):
        raise ValueError(f"no lunar month/day {month}/{day}")
    if not (1900 <= year <= 2100):
        raise ValueError(f"lunar year {year} is outside 1900–2100")
    lunar_month = -month if leap_month and LunarYear.fromYear(year).getLeapMonth() == month else month
    length = LunarMonth.fromYm(year, lunar_month).getDayCount()
    solar = Lunar.fromYmd(year, lunar_month, min(day, length)).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def _is_leap_year(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
