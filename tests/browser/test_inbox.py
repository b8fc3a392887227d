"""The till's 今日回访 (issue 14 item 2) in Chromium: today's birthdays listed for the cashier's
store; a tap on a name opens the member in the till's lookup; 备注, 已联系 and 稍后 work
without leaving the page (the count goes down, nothing reloads); the same at 390×844 with
nothing off-screen. Screenshots: test-artifacts/screenshots/<test>/."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from core import config_versions, members
from tests.support.clock import freeze
from tests.support.factories import basic_document, make_merchant

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
TODAY = "2026-12-06"


@pytest.fixture
def shop(hk, client, monkeypatch):
    shop = make_merchant(hk, f"回访浏览器店-{uuid.uuid4().hex[:6]}", basic_document())
    shop.clock = freeze(monkeypatch, f"{TODAY} 10:00")
    with hk.db.write() as session:
        config = config_versions.published_config(session, shop.id, hk.plugins)
        for index, (name, birthday, calendar) in enumerate([("张阳历", "1990-12-06", "solar"),
                                                             ("李农历", "1980-10-28", "lunar")]):
            member = members.create_member(session, config, shop.id, {
                "name": name, "phone": f"1360000{index:04d}", "birthday": birthday,
                "birthday_calendar": calendar}, store_id=shop.store_ids[0])
            session.flush()
            shop.__dict__.setdefault("members", {})[name] = member.id
    for index, member_id in enumerate(shop.members.values()):
        card = client.post("/api/v1/cards", json={"number": f"HF{index:06d}", "member_id": member_id},
                           headers=shop.headers())
        assert card.status_code == 201, card.json
    return shop


def test_the_cashier_works_todays_calls_from_the_till(page, live_server, shop, client, shot):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server}/login")
    page.get_by_label("商户").fill(shop.name)
    page.get_by_label("用户名").fill("cashier")
    page.get_by_label("密码").fill("password-123")
    page.keyboard.press("Enter")
    page.get_by_text("已登录").wait_for()
    page.goto(f"{live_server}/cashier/till")
    panel = page.locator("#inbox-panel")
    expect(panel.locator("summary")).to_have_text("今日回访 (2)")
    panel.locator("summary").click()
    tasks = panel.locator(".inbox-task")
    expect(tasks).to_have_count(2)
    lunar = tasks.filter(has_text="李农历")
    expect(lunar).to_contain_text("生日提醒")
    expect(lunar).to_contain_text("农历生日 10-28")
    expect(lunar.locator("a.inbox-phone")).to_have_attribute("href", "tel:13600000001")
    shot(page, "desktop-panel")

    lunar.locator("a.inbox-member").click()  # opens the member in the till's lookup
    expect(page.locator("#strip .strip")).to_contain_text("李农历")

    lunar.locator("input[name=note]").fill("周六来店")
    lunar.get_by_role("button", name="备注").click()
    expect(lunar.locator(".inbox-note")).to_contain_text("周六来店")
    lunar.get_by_role("button", name="已联系").click()
    expect(tasks).to_have_count(1)
    expect(page.locator("#inbox-count")).to_have_text("1")
    expect(page.locator("#strip .strip")).to_contain_text("李农历")  # the sale in progress stayed
    shot(page, "desktop-after")

    page.set_viewport_size({"width": 390, "height": 844})
    solar = tasks.filter(has_text="张阳历")
    expect(solar.get_by_role("button", name="稍后")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"
    for selector in ("a.inbox-member", "a.inbox-phone", "button[value=done]", "button[value=snooze]",
                     "button[value=note]"):
        box = solar.locator(selector).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, selector
    shot(page, "phone-panel")
    solar.locator("input[name=until]").fill("2026-12-08")
    solar.get_by_role("button", name="稍后").click()
    expect(tasks).to_have_count(0)
    expect(page.locator("#inbox-count")).to_have_text("0")

    listed = client.get("/api/v1/inbox?status=all", headers=shop.headers()).json["tasks"]
    assert sorted((t["member_name"], t["status"], t["note"], t["due_on"]) for t in listed) == [
        ("张阳历", "snoozed", "", "2026-12-08"), ("李农历", "done", "周六来店", TODAY)]
    assert re.match(r"\d{4}-\d{2}-\d{2}T", listed[0]["handled_at"])
