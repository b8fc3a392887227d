"""In Chromium (issue 13 items 5 and 7): sign in with the 6-digit merchant code, the device
remembering it (the next sign-in types only username and password), each role landing where
it works, and a cashier's shift from opening to the printed summary, at 1280 and 390 px."""
from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from core.models import Merchant
from tests.support.factories import make_merchant

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def shop(hk):
    shop = make_merchant(hk, f"浏览器交班店{uuid.uuid4().hex[:4]}")
    with hk.db.read() as session:
        shop.code = session.scalar(select(Merchant.code).where(Merchant.id == shop.id))
    return shop


def sign_out(page):
    page.get_by_role("button", name="退出").click()
    page.get_by_text("您已退出登录").wait_for()


def test_sign_in_by_code_remembered_and_landing_per_role(live_server, page, shop, shot):
    page.goto(f"{live_server}/login")
    page.get_by_label("商户码或商户全称").fill(shop.code)
    page.get_by_label("用户名").fill("nobody")
    page.get_by_label("密码").fill("password-123")
    page.keyboard.press("Enter")
    page.get_by_text("没有这个用户名的员工").wait_for()
    shot(page, "unknown-username")
    page.get_by_label("用户名").fill("cashier")
    page.get_by_label("密码").fill("password-123")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/cashier/till$"))  # the cashier lands on the till
    page.get_by_text("已登录").wait_for()
    sign_out(page)

    # The device remembers the merchant: the field is filled, the cursor waits in the username.
    assert page.get_by_label("商户码或商户全称").input_value() == shop.code
    page.get_by_text(f"本机登录的商户：{shop.name}").wait_for()
    shot(page, "remembered-merchant")
    page.keyboard.type("owner")
    page.get_by_label("密码").fill("password-123")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/dashboard$"))  # the owner lands on the dashboard
    page.get_by_role("link", name="系统信息").click()
    page.get_by_text("/api/v1/openapi.json").wait_for()  # the developer page, for owners
    sign_out(page)

    page.get_by_label("用户名").fill("manager")
    page.get_by_label("密码").fill("password-123")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/dashboard$"))
    assert page.get_by_role("link", name="系统信息").count() == 0
    page.get_by_role("banner").get_by_role("link", name="编辑器").first.click()
    page.wait_for_url(re.compile(r".*/editor/$"))  # the editor one click away


def test_a_cashier_closes_a_shift_and_prints_the_summary(live_server, page, shop, shot):
    page.goto(f"{live_server}/login")
    page.get_by_label("商户码或商户全称").fill(shop.code)
    page.get_by_label("用户名").fill("cashier")
    page.get_by_label("密码").fill("password-123")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/cashier/till$"))
    page.get_by_role("banner").get_by_role("link", name="交班").click()
    page.get_by_label("钱箱备用金（元）").fill("200")
    page.get_by_role("button", name="开班").click()
    page.get_by_text("已开班").wait_for()
    page.get_by_label("实点：现金").fill("195.5")
    shot(page, "count")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "count-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="交班").click()
    page.get_by_text("短款 ¥4.50").first.wait_for()
    page.goto(page.url + "?paper=58")
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 220, "height": 800})  # 58 mm paper at 96 dpi
    shot(page, "printed-58mm")
    assert page.locator(".topbar").is_hidden() and page.locator("form").first.is_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 230
