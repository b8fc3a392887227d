"""The dashboard (issue 12, G6): its figures on both databases, from data made through the real
API (tests/support/dashboard_data.py), the roles (owner: all stores or one; a store's manager:
their store; a cashier: sent to the till), an empty merchant, and the landing after sign-in."""
from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest

from core.config_versions import published_config
from tests.support.clock import beijing
from tests.support.dashboard_data import build_week
from tests.support.factories import make_merchant
from webui.dashboard import dashboard_figures
from webui.dashboard.figures import Scope

DUE_B_YESTERDAY = 2640 + 1760  # gold 8.8折 of 30.00 + 20.00
REFUND_TODAY = 1760  # the 20.00 line of yesterday's purchase, as paid


@pytest.fixture
def week(client, hk, monkeypatch):
    return build_week(client, hk, monkeypatch)


def figures_for(hk, week, store_id=None, *, now=None, lang="zh-CN"):
    now = now or beijing(f"{week.day} 23:59")
    with hk.db.read() as session:
        config = published_config(session, week.shop.id, hk.plugins)
        return dashboard_figures(session, Scope(week.shop.id, store_id), config, hk.plugins, now, lang)


def csrf(client, url="/login") -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)


def sign_in(client, merchant: str, username: str):
    return client.post("/login", data={"merchant": merchant, "username": username,
                                       "password": "password-123", "csrf_token": csrf(client)})


def card_balances(client, week, card: str) -> dict:
    answer = client.get(f"/api/v1/cards/{card}/balances", headers=week.shop.headers())
    assert answer.status_code == 200, answer.json
    return answer.json["balances"]


def test_today_beside_yesterday_and_last_week_for_all_stores(hk, week):
    data = figures_for(hk, week)
    today, yesterday, last_week = (data["comparison"][name] for name in ("today", "yesterday", "last_week"))
    assert (today["day"], yesterday["day"], last_week["day"]) == (
        str(week.day), str(week.day - timedelta(days=1)), str(week.day - timedelta(days=7)))
    # 300.00 at 07:30 (23:30 UTC the day before) and 66.66 at 23:30, both today; 17.60 refunded today
    assert today["checkouts"] == 2 and today["sales_fen"] == 30000 + 6666
    assert today["refunds_fen"] == REFUND_TODAY and today["net_fen"] == 30000 + 6666 - REFUND_TODAY
    assert today["new_members"] == 3 and (today["recharges"], today["recharge_fen"]) == (1, 100000)
    assert (yesterday["checkouts"], yesterday["net_fen"]) == (2, DUE_B_YESTERDAY + 2000)
    assert yesterday["new_members"] == 0 and yesterday["recharges"] == 0
    assert (last_week["checkouts"], last_week["net_fen"]) == (1, 10000)


def test_the_trend_has_every_one_of_30_days_with_zeros(hk, week):
    trend = figures_for(hk, week)["trend"]
    assert len(trend) == 30 and trend[-1]["day"] == str(week.day)
    assert trend[0]["day"] == str(week.day - timedelta(days=29))
    by_day = {row["day"]: (row["net_fen"], row["checkouts"]) for row in trend}
    assert by_day[str(week.day)] == (30000 + 6666 - REFUND_TODAY, 2)
    assert by_day[str(week.day - timedelta(days=1))] == (DUE_B_YESTERDAY + 2000, 2)
    assert by_day[str(week.day - timedelta(days=7))] == (10000, 1)
    assert sum(net for net, _ in by_day.values()) == 10000 + DUE_B_YESTERDAY + 2000 + 30000 + 6666 - REFUND_TODAY
    assert sum(1 for net, count in by_day.values() if (net, count) != (0, 0)) == 3


def test_one_store_sees_its_own_checkouts_members_recharges_and_cards(hk, week, client):
    first = figures_for(hk, week, week.shop.store_ids[0])
    today = first["comparison"]["today"]
    assert (today["checkouts"], today["net_fen"], today["new_members"]) == (1, 30000 - REFUND_TODAY, 2)
    assert (today["recharges"], today["recharge_fen"]) == (1, 100000)
    assert [row["net_fen"] for row in first["top_members"]] == [40000, DUE_B_YESTERDAY - REFUND_TODAY]
    second = figures_for(hk, week, week.second_store)
    today = second["comparison"]["today"]
    assert (today["checkouts"], today["net_fen"], today["new_members"], today["recharges"]) == (1, 6666, 1, 0)
    assert [(row["name"], row["net_fen"]) for row in second["top_members"]] == [("王五", 6666)]
    points = {row["asset"]: row["amount"] for row in second["liabilities"]}
    assert points["points"] == card_balances(client, week, week.cards["C"]).get("points", 0) > 0
    assert points["stored_value_principal"] == 0


def test_top_members_rank_net_spend_with_masked_phones(hk, week):
    rows = figures_for(hk, week)["top_members"]
    assert [(row["name"], row["net_fen"], row["checkouts"]) for row in rows] == [
        ("张三", 40000, 2), ("王五", 6666, 1), ("李四", DUE_B_YESTERDAY - REFUND_TODAY, 1)]
    assert all(re.fullmatch(r"137\*\*\*\*\d{4}", row["phone"]) for row in rows)


def test_liabilities_equal_what_the_cards_hold_in_the_ledger(hk, week, client):
    data = figures_for(hk, week)
    held = {row["asset"]: row for row in data["liabilities"]}
    assert set(held) == {"stored_value_principal", "stored_value_bonus", "stored_value_pending", "points"}
    balances = [card_balances(client, week, card) for card in week.cards.values()]
    for asset, row in held.items():
        assert row["amount"] == sum(card.get(asset, 0) for card in balances), asset
    assert (held["stored_value_principal"]["amount"], held["stored_value_bonus"]["amount"]) == (100000, 10000)
    assert held["stored_value_principal"]["unit"] == "fen" and held["points"]["cards"] == 3
    assert held["stored_value_principal"]["title"] == "储值本金"


def test_reminders_list_what_the_plugins_know_is_due(hk, week):
    data = figures_for(hk, week)
    due = {item["key"]: item for item in data["reminders"]}
    assert set(due) == {"low_balance", "points_expiring"}
    assert (due["low_balance"]["cards"], due["low_balance"]["amount"]) == (1, 110000)  # under 2000 yuan
    points = next(row for row in data["liabilities"] if row["asset"] == "points")
    # every point was earned within 20 days of expiring: all are due within 30 days
    assert (due["points_expiring"]["cards"], due["points_expiring"]["amount"]) == (3, points["amount"])


def test_tier_mix_counts_members_per_tier(hk, week):
    mix = figures_for(hk, week)["tier_mix"]
    assert [(row["tier"], row["name"], row["members"]) for row in mix] == [("regular", "普卡", 2), ("gold", "金卡", 1)]
    assert figures_for(hk, week, lang="en")["tier_mix"][1]["name"] == "Gold"


def test_an_empty_merchant_has_zeros_and_no_plugin_tiles(hk, client):
    shop = make_merchant(hk, "空店")
    now = beijing("2026-03-01 12:00")
    with hk.db.read() as session:
        data = dashboard_figures(session, Scope(shop.id), published_config(session, shop.id, hk.plugins),
                                 hk.plugins, now)
    assert {row["net_fen"] for row in data["trend"]} == {0} and len(data["trend"]) == 30
    assert data["comparison"]["today"] == {"day": "2026-03-01", "sales_fen": 0, "refunds_fen": 0,
                                           "checkouts": 0, "new_members": 0, "recharges": 0,
                                           "recharge_fen": 0, "net_fen": 0}
    assert data["top_members"] == [] and data["liabilities"] == [] and data["reminders"] == []
    assert data["tier_mix"] == [] and data["recharges_shown"] is False
    sign_in(client, "空店", "owner")
    page = client.get("/dashboard")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "经营概览" in text and "暂无" in text and "今日充值" not in text


def test_the_owner_sees_every_store_or_picks_one(client, week):
    assert sign_in(client, week.shop.name, "owner").headers["Location"] == "/dashboard"
    everything = client.get("/dashboard").get_data(as_text=True)
    assert "¥349.06" in everything  # 300.00 + 66.66 - 17.60
    assert "二号店" in everything and "全部门店" in everything
    second = client.get(f"/dashboard?store={week.second_store}").get_data(as_text=True)
    assert "¥66.66" in second and "¥349.06" not in second
    for bad in ("abc", "99999", "-1", "9" * 40):
        answer = client.get(f"/dashboard?store={bad}")
        assert answer.status_code == 200 and "没有这个门店" in answer.get_data(as_text=True)


def test_a_store_manager_sees_their_store_only(client, week):
    assert sign_in(client, week.shop.name, "manager").headers["Location"] == "/dashboard"
    page = client.get("/dashboard").get_data(as_text=True)
    assert "¥282.40" in page and "¥349.06" not in page  # 300.00 - 17.60, store 1
    assert '<select id="store"' not in page
    assert 'id="tier-chart"' not in page  # the merchant's whole tier mix is not a store's figure
    refused = client.get(f"/dashboard?store={week.second_store}")
    assert refused.status_code == 403
    assert "您只能查看本门店的数据" in refused.get_data(as_text=True)
    assert "¥66.66" not in refused.get_data(as_text=True)
    assert client.get(f"/dashboard?store={week.shop.store_ids[0]}").status_code == 200


def test_a_cashier_is_sent_to_the_till_and_lands_where_they_did(client, week):
    assert sign_in(client, week.shop.name, "cashier").headers["Location"] == "/cashier/till"  # issue 13 item 7
    answer = client.get("/dashboard")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/cashier/")
    till = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "经营概览仅供店主和店长查看" in till


def test_signed_out_visitors_are_asked_to_sign_in(client):
    answer = client.get("/dashboard")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_the_page_loads_echarts_from_static_and_passes_figures_as_json(client, week):
    sign_in(client, week.shop.name, "owner")
    page = client.get("/dashboard").get_data(as_text=True)
    assert '/static/vendor/echarts/echarts.min.js' in page and '/static/dashboard.js' in page
    figures = re.search(r'<div id="dashboard-data" hidden data-figures="([^"]+)">', page).group(1)
    chart = json.loads(html.unescape(figures))
    assert len(chart["trend"]) == 30 and chart["labels"]["net"] == "净销售额（元）"
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # no inline script (CSP)
    assert "http://" not in page.split("<main>")[1] and "https://" not in page.split("<main>")[1]
    vendored = client.get("/static/vendor/echarts/echarts.min.js")
    assert vendored.status_code == 200 and b"Apache" in vendored.data[:400]


def test_course_packages_expiring_or_running_low_are_reminders_and_their_sessions_a_liability(
        client, hk, monkeypatch):
    from tests.plugins.training_courses.conftest import make_school
    from tests.support.clock import freeze

    freeze(monkeypatch, "2026-03-02 10:00")
    school = make_school(client, hk, name="培训经营概览")
    plan = school.plan(school.course()["id"], sessions=3, price_fen=30000)
    first, second = school.card(), school.card()
    school.bought(first, plan["id"])  # valid to 2027-03-01
    school.bought(second, plan["id"])
    assert school.sign_in(second).status_code == 201  # 2 sessions left: "running low" (2 or fewer)
    with hk.db.read() as session:
        config = published_config(session, school.id, hk.plugins)
        data = dashboard_figures(session, Scope(school.id), config, hk.plugins, beijing("2027-02-10 12:00"))
    due = {item["key"]: item for item in data["reminders"]}
    assert (due["packages_expiring"]["cards"], due["packages_expiring"]["days"]) == (2, 30)
    assert (due["packages_running_low"]["cards"], due["packages_running_low"]["sessions"]) == (1, 2)
    sessions = next(row for row in data["liabilities"] if row["asset"] == "course_sessions")
    assert (sessions["amount"], sessions["cards"], sessions["unit"]) == (5, 2, "session")
