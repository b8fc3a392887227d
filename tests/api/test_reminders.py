"""GET /api/v1/reminders on the demo merchant (issue 14, item 1): members on both calendars
reminded on chosen days (腊月三十 in a short 腊月, 2023's 闰二月, 02-29), today's birthdays,
anniversary and dormant member, store filter, roles and bad parameters, on both databases."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.clock import local_date, now_utc
from core.demo import load_demo
from core.demo_reminders import FIXED_BIRTHDAYS


@pytest.fixture
def demo(hk):
    with hk.db.write() as session:
        return load_demo(session, hk.plugins, member_count=4)


def get(client, demo, query="", role="owner"):
    return client.get(f"/api/v1/reminders{query}", headers={"Authorization": f"Bearer {demo.tokens[role]}"})


def named(client, demo, query, role="owner"):
    """Reminders of the demo's named members (the random ones may share a solar birthday)."""
    ours = {name for name, _born in FIXED_BIRTHDAYS} | {"吴寿星", "郑农历", "钱沉睡", "冯周年"}
    response = get(client, demo, query, role)
    assert response.status_code == 200, response.json
    return sorted((r["facts"]["name"], r["kind"]) for r in response.json["reminders"]
                  if r["facts"]["name"] in ours)


def test_demo_reminders_on_chosen_days(client, demo):
    birthdays = {
        "2025-01-28": [("陈腊月", "birthday")],   # 2024's 腊月 has 29 days: 三十 is 廿九 (除夕)
        "2024-02-09": [("陈腊月", "birthday")],   # 2023's 腊月 has 30 days
        "2023-03-06": [("赵二月", "birthday")],   # the ordinary 二月十五 of 2023
        "2023-04-05": [("林闰月", "birthday")],   # 闰二月十五 of 2023
        "2024-03-24": [("林闰月", "birthday"), ("赵二月", "birthday")],  # 2024 has no 闰二月
        "2024-02-29": [("孙闰日", "birthday")],
        "2025-02-28": [("孙闰日", "birthday")],
        "2024-02-28": [],
    }
    for day, expected in birthdays.items():
        assert named(client, demo, f"?on={day}&kind=birthday") == expected, day
    today = named(client, demo, "")  # default: today in the merchant's time zone
    assert today == [("冯周年", "anniversary"), ("吴寿星", "birthday"), ("郑农历", "birthday"),
                     ("钱沉睡", "dormant")]
    answer = get(client, demo, "?kind=dormant").json
    assert answer["on"] == local_date(now_utc()).isoformat()
    dormant = next(r for r in answer["reminders"] if r["facts"]["name"] == "钱沉睡")
    last_visit = (local_date(now_utc()) - timedelta(days=90)).isoformat()
    assert dormant["occasion"] == f"dormant:{last_visit}" and dormant["facts"]["last_visit_on"] == last_visit
    several = named(client, demo, "?kind=dormant,anniversary")
    assert several == [("冯周年", "anniversary"), ("钱沉睡", "dormant")]


def test_store_staff_see_their_store(client, demo, hk):
    everyone = get(client, demo, "?on=2024-03-24&kind=birthday").json["reminders"]
    stores = {r["store_id"] for r in everyone}
    cashier = get(client, demo, "?on=2024-03-24&kind=birthday", role="cashier").json["reminders"]
    assert cashier and len({r["store_id"] for r in cashier}) == 1 and len(cashier) < len(everyone)
    own = cashier[0]["store_id"]
    other = next(store for store in stores if store != own)
    assert get(client, demo, f"?on=2024-03-24&store={other}", role="cashier").status_code == 403
    owner_view = get(client, demo, f"?on=2024-03-24&kind=birthday&store={other}").json["reminders"]
    assert owner_view and {r["store_id"] for r in owner_view} == {other}


@pytest.mark.parametrize("query, pointer", [
    ("?kind=nope", "/kind"), ("?kind=birthday,nope", "/kind"), ("?kind=,", "/kind"),
    ("?on=2025-02-30", "/on"), ("?on=20250101", "/on"), ("?on=yesterday", "/on"), ("?on=0001-01-01", "/on"),
    ("?store=abc", "/store"), ("?store=0", "/store"), ("?store=99999999", "/store"),
    ("?store=" + "9" * 40, "/store"), ("?on=", "/on"), ("?store=", "/store"),
])
def test_bad_parameters_are_422_naming_them(client, demo, query, pointer):
    response = get(client, demo, query)
    assert response.status_code == 422, response.json
    assert pointer in {d["pointer"] for d in response.json["error"]["details"]}


def test_a_disabled_kind_gives_nothing_and_settings_apply(client, demo):
    headers = {"Authorization": f"Bearer {demo.tokens['owner']}"}
    document = client.get("/api/v1/config/draft", headers=headers).json["document"]
    document["reminders"] = {"birthday": {"enabled": False}, "dormant": {"days": 89}}
    assert client.put("/api/v1/config/draft", json=document, headers=headers).status_code == 200
    assert client.post("/api/v1/config/publish", headers=headers).status_code in (200, 201)
    assert named(client, demo, "?on=2025-01-28&kind=birthday") == []
    yesterday = (local_date(now_utc()) - timedelta(days=1)).isoformat()
    assert ("钱沉睡", "dormant") in named(client, demo, f"?on={yesterday}&kind=dormant")
    assert named(client, demo, "?kind=birthday") == []
