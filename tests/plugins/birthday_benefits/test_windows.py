"""Which birthday a day belongs to, per window, for solar and lunar birthdays (no database but
the last test, which runs the editor's settings form).

Lunar facts as in tests/test_birthdays.py: 2024's 腊月 has 29 days, so 腊月三十 falls on
2025-01-28 (除夕); 2023 has a 闰二月 (闰二月初一 = 2023-03-22), 2024 has none.
"""
from __future__ import annotations

from datetime import date

from core.birthdays import BirthdaySpec
from plugins.birthday_benefits.rules import occasion_on, rule_for

LUNAR_12_30 = BirthdaySpec("lunar", 12, 30)
LUNAR_12_29 = BirthdaySpec("lunar", 12, 29)
LEAP_2_1 = BirthdaySpec("lunar", 2, 1, leap_month=True)
LUNAR_2_1 = BirthdaySpec("lunar", 2, 1)
SOLAR_3_10 = BirthdaySpec("solar", 3, 10)


def _on(spec, day, window):
    found = occasion_on(spec, day, window)
    return (found.benefit_year, found.birthday_on) if found else None


def test_day_window_is_the_solar_day_only():
    assert _on(SOLAR_3_10, date(2026, 3, 10), "day") == (2026, date(2026, 3, 10))
    assert _on(SOLAR_3_10, date(2026, 3, 11), "day") is None


def test_week_window_is_three_days_either_side_across_a_year_end():
    new_year = BirthdaySpec("solar", 1, 1)
    assert _on(new_year, date(2026, 12, 29), "week") == (2027, date(2027, 1, 1))
    assert _on(new_year, date(2026, 1, 4), "week") == (2026, date(2026, 1, 1))
    assert _on(new_year, date(2026, 1, 5), "week") is None
    assert _on(new_year, date(2026, 12, 28), "week") is None


def test_lunar_thirtieth_of_a_short_month_is_its_last_day():
    assert _on(LUNAR_12_30, date(2025, 1, 28), "day") == (2024, date(2025, 1, 28))
    assert _on(LUNAR_12_29, date(2025, 1, 28), "day") == (2024, date(2025, 1, 28))
    assert _on(LUNAR_12_30, date(2025, 1, 27), "day") is None
    # a year whose 腊月 has 30 days: the 30th itself
    assert _on(LUNAR_12_30, date(2024, 2, 9), "day") == (2023, date(2024, 2, 9))


def test_lunar_birthday_month_is_the_solar_month_it_falls_in():
    # 腊月三十 of lunar 2024 is 2025-01-28: the whole of January 2025, benefit year 2024
    assert _on(LUNAR_12_30, date(2025, 1, 1), "month") == (2024, date(2025, 1, 28))
    assert _on(LUNAR_12_30, date(2025, 1, 31), "month") == (2024, date(2025, 1, 28))
    assert _on(LUNAR_12_30, date(2024, 12, 31), "month") is None  # 腊月, but December
    assert _on(LUNAR_12_30, date(2025, 2, 1), "month") is None


def test_leap_month_births_use_the_leap_month_when_the_year_has_one():
    assert _on(LEAP_2_1, date(2023, 3, 22), "day") == (2023, date(2023, 3, 22))
    assert _on(LEAP_2_1, date(2023, 2, 20), "day") is None  # the ordinary 二月初一
    assert _on(LUNAR_2_1, date(2023, 2, 20), "day") == (2023, date(2023, 2, 20))
    assert _on(LEAP_2_1, date(2024, 3, 10), "day") == (2024, date(2024, 3, 10))  # no 闰二月 in 2024
    assert _on(LEAP_2_1, date(2023, 3, 1), "month") == (2023, date(2023, 3, 22))


def test_no_birthday_on_file_has_no_occasion():
    assert occasion_on(None, date(2026, 3, 10), "month") is None


def test_the_first_rule_for_the_tier_applies():
    settings = {"rules": [{"tiers": ["gold"], "window": "day"}, {"tiers": [], "window": "month"}]}
    assert rule_for(settings, "gold")["window"] == "day"
    assert rule_for(settings, "regular")["window"] == "month"
    assert rule_for(settings, None)["window"] == "month"
    assert rule_for({"rules": [{"tiers": ["gold"], "window": "day"}]}, "regular") is None


def test_the_editor_shows_the_rules_as_a_table_and_keeps_them(app, plugin_registry):
    """Flat rule columns (no nested object): the editor's rows form, not a JSON box."""
    from core.schemas import apply_defaults, validate_against
    from webui.forms.schema_forms import form_class, form_document, kind_of

    schema = plugin_registry.plugins["birthday_benefits"].settings_schema
    assert kind_of(schema["properties"]["rules"]) == "rows"
    settings = apply_defaults(schema, {"rules": [
        {"tiers": ["gold"], "window": "week", "discount_permille": 880, "max_discount_fen": 5000,
         "categories": ["蛋糕"], "gift_name": "长寿面", "grant_kind": "coupon", "grant_template_id": 3},
        {"window": "month", "discount_permille": 950}]})
    with app.test_request_context("/", method="POST"):
        form = form_class(schema, locale="zh_CN")(meta={"csrf": False}, data=settings)
        document = form_document(form, schema)
    assert validate_against(document, schema) == []
    assert apply_defaults(schema, document) == settings  # empty cells are left out, same meaning
