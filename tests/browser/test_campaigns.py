"""The campaign page in Chromium (issue 14 item 5), at desktop (1280×800) and phone (390×844).

The owner opens 新建活动, ticks a tier and the count updates live (static/campaigns.js posts
the form, no reload); a tag condition narrows it; a bad amount says so in Chinese; saving and
sending lead to the results. No console errors, no CSP violation, no sideways scroll on the
phone. Screenshots: test-artifacts/screenshots/<test>/.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.campaigns.conftest import Shop, campaign_document, use_console
from tests.support.factories import make_merchant

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


@pytest.mark.parametrize("size", list(SIZES), ids=list(SIZES))
def test_the_segment_builder_counts_live_and_the_campaign_is_sent(browser, live_server, client, hk, shot, size):
    shop = Shop(client, hk, make_merchant(hk, "营销花店", campaign_document()))
    use_console(hk, shop.id)
    shop.member("金卡甲", tier="gold", extra={"tags": ["vip"]})
    shop.member("金卡乙", tier="gold")
    shop.member("普卡丙")
    width, height = SIZES[size]
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    # A refused count answers 422 on purpose, and the app has no favicon: loads are not problems.
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        page.goto(f"{live_server}/login")
        page.get_by_label("商户").fill(shop.merchant.name)
        page.get_by_label("用户名").fill("owner")
        page.get_by_label("密码").fill("password-123")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{live_server}/dashboard")
        page.goto(f"{live_server}/editor/campaigns/new")
        expect(page.get_by_role("heading", name="新建活动", level=1)).to_be_visible()
        page.get_by_label("活动名称").fill("周末回店礼")
        count = page.locator("#campaign-count")
        page.get_by_label("金卡").check()
        expect(count).to_have_text("2 位会员")
        page.locator("select[name=field_key_1]").select_option("tags")
        page.locator("select[name=field_op_1]").select_option("has_any")
        page.locator("input[name=field_value_1]").fill("vip")
        expect(count).to_have_text("1 位会员")
        expect(page.locator("#campaign-sample")).to_contain_text("金卡甲")
        page.locator("input[name=spend_min]").fill("1.234")
        expect(count).to_have_text("请检查筛选条件")
        expect(page.locator("#campaign-sample")).to_contain_text("两位小数")
        page.locator("input[name=spend_min]").fill("")
        expect(count).to_have_text("1 位会员")
        page.get_by_label("消息内容").fill("{name}，周末到店送您一份小礼")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shot(page, f"campaign-form-{size}")
        page.get_by_role("button", name="保存").click()
        expect(page.get_by_text("活动已保存。")).to_be_visible()
        page.get_by_role("button", name="立即发送").click()
        expect(page.get_by_role("heading", name="效果 · 周末回店礼")).to_be_visible()
        expect(page.locator(".campaign-figures").first).to_contain_text("纳入本次发送的会员")
        # The heading shows before the page's own stylesheet has loaded (a slow server under
        # load): measure the width once the page is laid out with it.
        page.wait_for_load_state("load")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shot(page, f"campaign-results-{size}")
        assert problems == []
    finally:
        context.close()
