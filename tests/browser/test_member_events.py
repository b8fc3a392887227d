"""Member events in a real browser on the demo (E1): a member signs up for the demo's 沙龙 on
a phone (390×844: nothing sticks out, fingers fit), and the till at 1280×800 offers 报名活动 on
the member strip, 活动签到 and 会员活动 (the door list) in the navigation. Screenshots go to test-artifacts/screenshots/."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.demo import DEMO_MERCHANT, DEMO_PASSWORD, load_demo
from core.models import Card, Member, OutboxMessage
from plugins.member_events.models import EventRegistration
from tests.browser.test_phone_layout import PHONE, fits_the_phone

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_a_member_signs_up_on_a_phone_and_the_till_offers_the_actions(hk, live_server, browser, shot):
    with hk.db.write() as session:
        demo = load_demo(session, hk.plugins, member_count=6)
    with hk.db.read() as session:
        signed = set(session.scalars(select(EventRegistration.member_id)))
        member, number = session.execute(
            select(Member, Card.number).join(Card, Card.member_id == Member.id)
            .where(Member.merchant_id == demo.merchant_id, Member.id.not_in(signed))
            .order_by(Member.id).limit(1)).one()
        member_id, phone_number = member.id, member.phone

    phone = browser.new_context(locale="zh-CN", viewport=PHONE, device_scale_factor=1, is_mobile=True,
                                has_touch=True).new_page()
    phone.set_default_timeout(10_000)
    phone.goto(f"{live_server}/m/{demo.merchant_id}/login")
    phone.locator("input[name=phone]").fill(phone_number)
    phone.locator("input[name=phone]").press("Enter")
    phone.locator("input[name=code]").wait_for()
    with hk.db.read() as session:
        body = session.scalars(select(OutboxMessage.body).where(OutboxMessage.recipient == phone_number)
                               .order_by(OutboxMessage.id.desc())).first()
    phone.locator("input[name=code]").fill(re.search(r"(?<!\d)(\d{6})(?!\d)", body).group(1))
    phone.locator("input[name=code]").press("Enter")
    phone.get_by_text("会员活动：报名与我的报名").click()
    salon = phone.locator("article.event", has_text="护肤沙龙")
    salon.wait_for()
    assert "剩余 16 个名额" in salon.inner_text()
    fits_the_phone(phone, shot, "portal-events")
    salon.get_by_role("button", name="报名").click()
    phone.get_by_text("您已报名护肤沙龙。").wait_for()
    assert phone.locator("#my-event-{}".format(_salon_id(hk, member_id))).is_visible()
    fits_the_phone(phone, shot, "portal-signed-up")
    phone.context.close()

    till = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800}).new_page()
    till.set_default_timeout(10_000)
    till.goto(f"{live_server}/login")
    till.get_by_label("商户").fill(DEMO_MERCHANT)
    till.get_by_label("用户名").fill("cashier")
    till.get_by_label("密码").fill(DEMO_PASSWORD)
    till.get_by_label("密码").press("Enter")
    till.goto(f"{live_server}/cashier/till?card={number}")
    till.get_by_text("报名活动").first.wait_for()
    assert "护肤沙龙" in till.locator("body").inner_text()  # the strip's 会员活动
    assert till.get_by_text("活动签到").first.is_visible()
    shot(till, "till-strip-events")
    till.get_by_role("link", name="会员活动").click()
    till.get_by_role("link", name="护肤沙龙").click()
    till.get_by_text("已报名 5").wait_for()  # the demo's four and this member
    assert till.get_by_role("button", name="签到").count() == 5
    shot(till, "door-list")
    till.context.close()


def _salon_id(hk, member_id: int) -> int:
    with hk.db.read() as session:
        return session.scalar(select(EventRegistration.event_id).where(EventRegistration.member_id == member_id))
