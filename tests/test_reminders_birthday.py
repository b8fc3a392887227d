"""Birthday reminders (issue 14, item 1; R1): solar and lunar members on chosen days, through
the indexed scan, on both databases. Expected days are the published calendar's (see
tests/test_birthdays.py): 2024's 腊月 has 29 days, 2023 has 闰二月."""
from __future__ import annotations

from datetime import date

import pytest

from core import config_versions, members
from core.reminders import reminders_for
from tests.support.factories import basic_document, make_merchant

BORN = {
    "腊月三十": {"birthday": "1990-12-30", "birthday_calendar": "lunar"},
    "腊月廿九": {"birthday": "1991-12-29", "birthday_calendar": "lunar"},
    "闰二月十五": {"birthday": "2004-02-15", "birthday_calendar": "lunar", "birthday_leap_month": True},
    "二月十五": {"birthday": "1995-02-15", "birthday_calendar": "lunar"},
    "二月廿九日": {"birthday": "1996-02-29"},
    "一月廿八日": {"birthday": "1980-01-28"},
    "无生日": {},
}


@pytest.fixture
def merchant(hk):
    shop = make_merchant(hk, "生日商户", basic_document())
    with hk.db.write() as session:
        config = config_versions.published_config(session, shop.id, hk.plugins)
        for index, (name, born) in enumerate(BORN.items()):
            members.create_member(session, config, shop.id,
                                  {"name": name, "phone": f"1380000{index:04d}", **born},
                                  store_id=shop.store_ids[0])
    return shop


def names_on(hk, shop, day, **kwargs):
    with hk.db.read() as session:
        config = config_versions.published_config(session, shop.id, hk.plugins)
        found = reminders_for(session, config, shop.id, day, kinds=["birthday"], **kwargs)
    return sorted(r.facts["name"] for r in found), found


@pytest.mark.parametrize("day, expected", [
    (date(2025, 1, 28), ["一月廿八日", "腊月三十", "腊月廿九"]),   # short 腊月: 三十 is 廿九
    (date(2024, 2, 9), ["腊月三十"]),                               # 2023's 腊月 has 30 days
    (date(2024, 2, 8), ["腊月廿九"]),
    (date(2023, 3, 6), ["二月十五"]),                               # ordinary 二月 of 2023
    (date(2023, 4, 5), ["闰二月十五"]),                             # 闰二月 of 2023
    (date(2024, 3, 24), ["二月十五", "闰二月十五"]),                # 2024 has no 闰二月
    (date(2024, 2, 29), ["二月廿九日"]),
    (date(2025, 2, 28), ["二月廿九日"]),
    (date(2024, 2, 28), []),
])
def test_birthdays_on_chosen_days(hk, merchant, day, expected):
    names, found = names_on(hk, merchant, day)
    assert names == expected
    assert all(r.occasion == f"birthday:{day.isoformat()}" and r.kind == "birthday" for r in found)


def test_days_before_reminds_ahead(hk, merchant):
    with hk.db.write() as session:
        document = config_versions.get_draft(session, merchant.id).document
        document = {**document, "reminders": {"birthday": {"days_before": 3}}}
        config_versions.save_draft(session, merchant.id, document, staff_id=None)
        config_versions.publish(session, merchant.id, hk.plugins, note="ahead")
    names, found = names_on(hk, merchant, date(2025, 1, 25))
    assert names == ["一月廿八日", "腊月三十", "腊月廿九"]
    assert {r.occasion for r in found} == {"birthday:2025-01-28"}
    assert {r.facts["days_left"] for r in found} == {3}


def test_store_filter(hk, merchant):
    assert names_on(hk, merchant, date(2025, 2, 28), store_id=merchant.store_ids[0])[0] == ["二月廿九日"]
    assert names_on(hk, merchant, date(2025, 2, 28), store_id=merchant.store_ids[0] + 999)[0] == []
