"""Issue 4's scenario in a real browser, in Chinese (the default locale).

1. The owner builds the membership system in the merchant editor: the 美容院储值 template
   (stored value; its tiers 银卡 9折 / 金卡 8折 / 钻石卡 7折), the 积分 plugin on top (the
   template has no points), a custom member field 微信号; publishes version 1; changes the
   银卡 discount from 9折 to 8.5折 in the tiers table; publishes version 2 (the publish page
   lists the change) and looks at the history.
2. A cashier (own browser context) registers a member (the 微信号 field is on the form),
   issues a card with a PIN, recharges 500 yuan (the minimum), checks out a basket paid from
   stored value with the PIN; the receipt shows the 8.5折 member discount and the points.
3. The owner brings version 1 back; the cashier's next quote is at 9折 again.

Every page visited is screenshotted (test-artifacts/screenshots/<test>/).

Money, worked out by hand (C2: promotion x tier discount; P1: 1 point per full 10 yuan paid):
  basket: 2 x 88.00 (面部护理) = 176.00
  at 8.5折: 176.00 x 0.85 = 149.60 to pay, discount 26.40, 14 points (149.60 // 10)
  at 9折:   176.00 x 0.90 = 158.40 to pay, discount 17.60, 15 points (158.40 // 10)
  stored value after paying 149.60 from 500.00: 350.40.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.factories import make_merchant

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

MERCHANT = "丽人美容院"
PIN = "135790"
PHONE = "13912345678"


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("商户").fill(MERCHANT)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("password-123")
    page.keyboard.press("Enter")
    page.get_by_text("已登录").wait_for()


def editor_nav(page: Page, name: str) -> None:
    """Follow a section link of the editor's top navigation."""
    page.get_by_role("banner").get_by_role("link", name=name, exact=True).click()
    page.wait_for_load_state()


def flash(page: Page, text: str) -> None:
    expect(page.get_by_role("status").filter(has_text=text).first).to_be_visible()


def basket_line(page: Page, index: int):
    return page.locator("#basket-lines tr.line").nth(index)


def type_basket(page: Page) -> None:
    """The cursor is on the first basket line: type it as a cashier would, then Enter."""
    expect(page.get_by_role("textbox", name="商品编码").first).to_be_focused()
    page.keyboard.type("MR-001")
    page.keyboard.press("Tab")
    page.keyboard.type("面部护理")
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    page.keyboard.press("Tab")
    page.keyboard.type("88.00")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=re.compile("应付明细")).wait_for()


def test_merchant_builds_cashier_sells_merchant_rolls_back(hk, live_server, browser, page, shot):
    make_merchant(hk, MERCHANT)
    owner = page

    # -- 1. the owner builds and publishes -------------------------------------------------
    sign_in(owner, live_server, "owner")
    expect(owner.get_by_role("heading", name="经营概览", level=1)).to_be_visible()  # owners land there (G6)
    shot(owner, "owner-dashboard")
    owner.get_by_role("banner").get_by_role("link", name="商户编辑器").click()
    expect(owner.get_by_role("heading", name="商户编辑器", level=1)).to_be_visible()
    shot(owner, "editor-overview-empty")

    editor_nav(owner, "模板")
    salon = owner.get_by_role("article").filter(has=owner.get_by_role("heading", name="美容院储值"))
    expect(salon).to_contain_text("储值")
    shot(owner, "editor-templates")
    salon.get_by_role("link", name="使用这个模板").click()
    expect(owner.get_by_role("heading", level=1)).to_contain_text("美容院储值")
    shot(owner, "editor-template-confirm")
    owner.get_by_role("button", name="用这个模板替换草稿").click()
    flash(owner, "模板")
    shot(owner, "editor-overview-template")

    editor_nav(owner, "插件")
    points = owner.get_by_role("article").filter(
        has=owner.get_by_role("heading", name=re.compile(r"^积分\s")))
    points.get_by_role("button", name="启用", exact=True).click()
    flash(owner, "积分")
    expect(points).to_contain_text("已启用")
    shot(owner, "editor-plugins")

    editor_nav(owner, "会员字段")
    shot(owner, "editor-fields")
    owner.get_by_role("link", name="新增字段").click()
    owner.get_by_label("中文名称").fill("微信号")  # the Chinese label only: the key is made from it
    owner.get_by_label("类型").select_option(label="文本")
    shot(owner, "editor-field-new")
    owner.get_by_role("button", name="保存到草稿").click()
    flash(owner, "微信号")
    expect(owner.get_by_role("row").filter(has_text="wei_xin_hao")).to_contain_text("微信号")
    shot(owner, "editor-fields-added")

    editor_nav(owner, "发布")
    summary = owner.locator("dl.changes")
    expect(summary).to_contain_text("启用了储值")
    expect(summary).to_contain_text("启用了积分")
    expect(summary).to_contain_text("新增字段 微信号")
    shot(owner, "editor-publish-v1")
    owner.get_by_label("备注").fill("美容院储值模板，加积分和微信号")
    owner.get_by_role("button", name="发布为版本 1").click()
    flash(owner, "版本 1")
    shot(owner, "editor-history-v1")

    editor_nav(owner, "会员等级")
    silver = owner.get_by_role("row").nth(2)
    expect(silver.get_by_role("textbox", name="中文名称")).to_have_value("银卡")
    discount = silver.get_by_role("textbox", name="折扣（折）")  # typed in 折 (item 9), kept as 900‰
    expect(discount).to_have_value("9")
    discount.fill("8.5")
    shot(owner, "editor-tiers-edited")
    owner.get_by_role("button", name="保存等级到草稿").click()
    flash(owner, "会员等级已存入草稿")
    saved = owner.get_by_role("row").nth(2).get_by_role("textbox", name="折扣（折）")
    expect(saved).to_have_value("8.5")
    shot(owner, "editor-tiers-saved")

    editor_nav(owner, "发布")
    changes = owner.locator("dl.changes")  # the change summary: only the discount changed
    expect(changes.locator("dd")).to_have_count(1)
    expect(changes.locator("dd")).to_contain_text("等级 银卡 折扣：9折 → 8.5折")
    shot(owner, "editor-publish-v2-summary")
    owner.get_by_label("备注").fill("银卡改为 8.5 折")
    owner.get_by_role("button", name="发布为版本 2").click()
    flash(owner, "版本 2")
    history = owner.get_by_role("table")
    expect(history.get_by_role("row")).to_have_count(3)  # header + versions 2 and 1
    expect(history.get_by_role("row").nth(1)).to_contain_text("银卡改为 8.5 折")
    expect(history.get_by_role("row").nth(1)).to_contain_text("使用中")
    shot(owner, "editor-history-v2")
    history.get_by_role("row").nth(1).get_by_role("link", name="详情").click()
    expect(owner.get_by_role("heading", name="版本 2", level=1)).to_be_visible()
    expect(owner.locator("dl.changes dd")).to_contain_text("9折 → 8.5折")
    shot(owner, "editor-version-2")

    # -- 2. a cashier sells ----------------------------------------------------------------
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    try:
        till = context.new_page()
        till.set_default_timeout(10_000)
        sign_in(till, live_server, "cashier")
        shot(till, "cashier-home")  # a cashier lands on the one-screen till (issue 13 item 7)
        expect(till).to_have_url(re.compile(r".*/cashier/till$"))
        # This walk goes on through the separate find and checkout pages, which stay.
        till.goto(f"{live_server}/cashier/")
        expect(till.get_by_role("heading", name="查找会员")).to_be_visible()
        shot(till, "cashier-find")

        # Alt+letter access keys are the browser's own: CDP key events (Playwright) do not
        # trigger them in Chromium, so those links are followed by their names.
        till.get_by_role("navigation", name="收银台").get_by_role("link", name="登记会员").click()
        expect(till.get_by_role("heading", name="登记会员", level=1)).to_be_visible()
        wechat = till.get_by_label("微信号")
        expect(wechat).to_be_visible()  # the field published a moment ago
        expect(till.get_by_label("姓名")).to_be_focused()
        till.keyboard.type("李美丽")
        till.get_by_label("手机号").fill(PHONE)
        wechat.fill("limeili_88")
        shot(till, "cashier-register")
        wechat.press("Enter")

        expect(till.get_by_role("heading", level=1)).to_contain_text("李美丽")  # issue a card
        expect(till.get_by_label("卡号")).to_be_focused()  # empty: a new card number
        # 银卡 chosen explicitly: the template has no base tier, so "最低等级" is 银卡 today even
        # with nothing stored; the scenario should still hold once a base tier is added.
        till.get_by_label("等级").select_option(label="银卡 · 8.5折")
        till.get_by_label("密码（6 位数字）").fill(PIN)
        till.get_by_label("再输一次密码").fill(PIN)
        shot(till, "cashier-issue-card")
        till.keyboard.press("Enter")
        till.wait_for_url(re.compile(r"/cashier/members/\d+#card-"))
        number = till.url.split("#card-")[1]
        head = till.get_by_role("main")
        expect(head).to_contain_text("limeili_88")
        expect(head).to_contain_text("储值卡 · 银卡 8.5折")  # as published in version 2
        shot(till, "cashier-member")

        till.get_by_role("link", name="充值").click()  # Alt+R
        expect(till.get_by_role("heading", level=1)).to_contain_text("充值")
        expect(till.get_by_role("main")).to_contain_text("500.00")  # the minimum recharge
        shot(till, "cashier-recharge")
        expect(till.get_by_label("充值金额")).to_be_focused()
        till.keyboard.type("500")
        till.keyboard.press("Enter")
        slip = till.locator("#recharge-result")
        expect(slip).to_contain_text("¥500.00")
        shot(till, "cashier-recharge-slip")

        till.keyboard.press("F4")  # checkout with the card on screen
        till.wait_for_url(re.compile(r"/cashier/checkout\?card="))
        expect(till.get_by_role("status").filter(has_text="李美丽")).to_contain_text("银卡 8.5折")
        shot(till, "cashier-checkout-card")
        type_basket(till)
        quote = till.locator("#quote")
        expect(quote.get_by_role("row").filter(has_text="面部护理")).to_contain_text("8.5折")
        expect(quote.locator("[data-due]")).to_have_text("¥149.60")
        expect(quote.locator("[data-discount]")).to_have_text("-26.40")
        expect(quote.get_by_role("row").filter(has_text="本单可得积分")).to_contain_text("+14")
        shot(till, "cashier-quote-85")

        till.get_by_label("储值", exact=True).fill("149.60")
        # The cash pre-filled with the amount due gives way (no double payment, issue 13).
        expect(till.get_by_label("现金", exact=True)).to_have_value("")
        till.get_by_label("卡密码").fill(PIN)
        shot(till, "cashier-pay-stored-value")
        till.keyboard.press("Enter")
        receipt = till.locator("#receipt")
        expect(receipt).to_be_visible()
        expect(receipt).to_contain_text("李美丽")
        expect(receipt).to_contain_text("优惠 -26.40")
        expect(receipt.locator(".due")).to_contain_text("¥149.60")
        paid = receipt.locator("dl.totals").first.locator("div")
        expect(paid.filter(has_text="储值")).to_contain_text("149.60")  # the tender
        expect(receipt.locator(".earned")).to_contain_text("+14")
        after = receipt.locator("h2 + dl.totals > div")  # balances after this sale
        expect(after.filter(has_text="储值")).to_contain_text("¥350.40")  # 500.00 - 149.60
        expect(after.filter(has_text="积分")).to_contain_text("14")
        expect(receipt).to_contain_text("持卡人签字")  # stored value: signature line (S2)
        shot(till, "cashier-receipt-85")

        # -- 3. the owner brings version 1 back; the next quote is at 9折 ------------------
        editor_nav(owner, "历史版本")
        owner.get_by_role("row").filter(has=owner.get_by_role("cell", name="1", exact=True)) \
            .get_by_role("link", name="恢复").click()
        expect(owner.get_by_role("heading", level=1)).to_have_text("恢复版本 1？")
        expect(owner.locator("dl.changes dd")).to_contain_text(
            "银卡 折扣：8.5折 → 9折")
        shot(owner, "editor-rollback-confirm")
        owner.get_by_role("button", name="重新发布版本 1").click()
        flash(owner, "版本 3")
        rows = owner.get_by_role("table").get_by_role("row")
        expect(rows).to_have_count(4)
        expect(rows.nth(1)).to_contain_text("版本 1 的副本")
        expect(rows.nth(1)).to_contain_text("使用中")
        shot(owner, "editor-history-v3")

        till.keyboard.press("F4")  # next checkout, same card
        till.wait_for_url(re.compile(r"/cashier/checkout\?card=" + number))
        expect(till.get_by_role("status").filter(has_text="李美丽")).to_contain_text("银卡 9折")
        type_basket(till)
        quote = till.locator("#quote")
        expect(quote.get_by_role("row").filter(has_text="面部护理")).to_contain_text("9折")
        expect(quote).not_to_contain_text("8.5折")
        expect(quote.locator("[data-due]")).to_have_text("¥158.40")
        expect(quote.locator("[data-discount]")).to_have_text("-17.60")
        expect(quote.get_by_role("row").filter(has_text="本单可得积分")).to_contain_text("+15")
        shot(till, "cashier-quote-9-after-rollback")
        expect(till.get_by_label("现金", exact=True)).to_have_value("158.40")
        till.keyboard.press("Enter")  # cash, pre-filled with the amount due
        receipt = till.locator("#receipt")
        expect(receipt.locator(".due")).to_contain_text("¥158.40")
        expect(receipt.locator(".earned")).to_contain_text("+15")
        shot(till, "cashier-receipt-9")
    finally:
        context.close()
