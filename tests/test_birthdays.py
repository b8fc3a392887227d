"""R1: solar and lunar birthdays land on the right solar day, leap months and short months included.

Expected days are from the published Chinese calendar (春节 2023-01-22, 2024-02-10, 2025-01-29;
2023 has 闰二月; 2024's 腊月 has 29 days, so 2025 had no 年三十), not from the library.
"""
from datetime import date

import pytest

from core.birthdays import (BirthdaySpec, birthday_keys_on, birthdays_between, is_birthday, next_birthday,
                            solar_birthday)

LUNAR_2_1 = BirthdaySpec("lunar", 2, 1)
LEAP_2_1 = BirthdaySpec("lunar", 2, 1, leap_month=True)
LUNAR_12_30 = BirthdaySpec("lunar", 12, 30)
LUNAR_12_29 = BirthdaySpec("lunar", 12, 29)
LUNAR_1_1 = BirthdaySpec("lunar", 1, 1)


@pytest.mark.parametrize("spec, year, expected", [
    (LUNAR_1_1, 2023, date(2023, 1, 22)),
    (LUNAR_1_1, 2024, date(2024, 2, 10)),
    (LUNAR_1_1, 2025, date(2025, 1, 29)),
    (LUNAR_2_1, 2023, date(2023, 2, 20)),         # the ordinary 二月 even in a leap-二月 year
    (LEAP_2_1, 2023, date(2023, 3, 22)),          # 闰二月初一
    (LEAP_2_1, 2024, date(2024, 3, 10)),          # no 闰二月 in 2024: the ordinary 二月初一
    (LUNAR_12_30, 2024, date(2025, 1, 28)),       # 2024's 腊月 has 29 days: 除夕 is 廿九
    (LUNAR_12_29, 2024, date(2025, 1, 28)),
    (LUNAR_12_30, 2023, date(2024, 2, 9)),        # 2023's 腊月 has 30 days
    (BirthdaySpec("solar", 2, 29), 2025, date(2025, 2, 28)),
    (BirthdaySpec("solar", 2, 29), 2024, date(2024, 2, 29)),
    (BirthdaySpec("solar", 12, 5), 2026, date(2026, 12, 5)),
])
def test_solar_birthday(spec, year, expected):
    assert solar_birthday(spec, year) == expected


def test_keys_on_a_short_month_end_include_the_thirtieth():
    keys = birthday_keys_on(date(2025, 1, 28))
    assert is_birthday(LUNAR_12_30, date(2025, 1, 28))
    assert is_birthday(LUNAR_12_29, date(2025, 1, 28))
    assert not is_birthday(LUNAR_12_30, date(2025, 1, 27))
    assert {(k.calendar, k.month, k.day) for k in keys} >= {("lunar", 12, 29), ("lunar", 12, 30), ("solar", 1, 28)}


def test_leap_born_celebrate_once_a_year():
    # 2023: ordinary 二月 for the ordinary-born, 闰二月 for the leap-born; never both.
    assert is_birthday(LUNAR_2_1, date(2023, 2, 20)) and not is_birthday(LEAP_2_1, date(2023, 2, 20))
    assert is_birthday(LEAP_2_1, date(2023, 3, 22)) and not is_birthday(LUNAR_2_1, date(2023, 3, 22))
    assert is_birthday(LEAP_2_1, date(2024, 3, 10)) and is_birthday(LUNAR_2_1, date(2024, 3, 10))
    for spec in (LUNAR_2_1, LEAP_2_1, LUNAR_12_30, BirthdaySpec("solar", 2, 29)):
        for year in (2023, 2024, 2025):
            days = birthdays_between(spec, date(year, 1, 1), date(year, 12, 31))
            assert len(days) <= 2  # a lunar birthday can fall twice in one solar year, never more
            hits = [d for d in _every_day(year) if is_birthday(spec, d)]
            assert hits == days


def test_next_birthday_crosses_the_year():
    assert next_birthday(LUNAR_1_1, date(2024, 2, 11)) == date(2025, 1, 29)
    assert next_birthday(BirthdaySpec("solar", 2, 29), date(2025, 1, 1)) == date(2025, 2, 28)


def test_spec_of_a_member_row():
    assert BirthdaySpec.of(None) is None
    assert BirthdaySpec.of("1990-02-01", "lunar", True) == LEAP_2_1
    assert BirthdaySpec.of("1990-02-01", "solar", True) == BirthdaySpec("solar", 2, 1)


def _every_day(year):
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day = date.fromordinal(day.toordinal() + 1)
