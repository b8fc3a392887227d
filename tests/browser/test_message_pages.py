"""The editor's message pages (issue 14, item 4) in Chromium, on the demo, at 1280×800 and
390×844: nothing sticks out sideways; screenshots go to test-artifacts/screenshots/."""
from __future__ import annotations

import pytest

from core.demo import DEMO_MERCHANT, DEMO_PASSWORD, load_demo
from tests.browser.test_phone_layout import OVERFLOW

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, {"width": 390, "height": 844}],
                         ids=["desk", "phone"])
def test_message_pages_fit_the_screen(hk, live_server, browser, shot, viewport):
    with hk.db.write() as session:
        load_demo(session, hk.plugins, member_count=4)
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(f"{live_server}/login")
        page.get_by_label("商户").fill(DEMO_MERCHANT)
        page.get_by_label("用户名").fill("owner")
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.get_by_label("密码").press("Enter")
        page.get_by_text("已登录").wait_for()
        for path, heading in (("/editor/messages", "消息记录"), ("/editor/messages/templates", "消息模板"),
                              ("/editor/messages/channels", "发送渠道与规则")):
            page.goto(live_server + path)
            page.get_by_role("heading", name=heading).wait_for()
            shot(page, path.strip("/").replace("/", "-"))
            found = page.evaluate(OVERFLOW)
            assert found["scroll"] <= found["width"] and not found["out"], (path, found)
        page.goto(live_server + "/editor/messages")
        # the messages part's 4 demo messages, plus what the demo's campaigns and event sign-ups queued
        assert page.locator("table.message-log tbody tr").count() >= 4
    finally:
        context.close()
