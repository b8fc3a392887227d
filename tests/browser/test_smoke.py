"""The browser can sign a staff user in, in Chinese, and sign out."""
from __future__ import annotations

import pytest

from tests.support.factories import make_merchant

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_staff_sign_in_and_out_in_chinese(hk, live_server, page, shot):
    make_merchant(hk, "浏览器测试店")
    page.goto(f"{live_server}/login")
    assert page.title().startswith("登录")
    shot(page, "login")
    page.get_by_label("商户").fill("浏览器测试店")
    page.get_by_label("用户名").fill("owner")
    page.get_by_label("密码").fill("wrong-password")
    page.keyboard.press("Enter")
    page.get_by_text("密码不正确").wait_for()
    shot(page, "login-error")
    assert page.get_by_label("商户").input_value() == "浏览器测试店"  # nothing lost
    page.get_by_label("密码").fill("password-123")
    page.keyboard.press("Enter")
    page.get_by_text("已登录").wait_for()
    shot(page, "home")
    page.get_by_role("button", name="退出").click()
    page.get_by_text("您已退出登录").wait_for()
