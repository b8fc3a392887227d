"""A whole walk-in cash sale without the mouse (docs/cashier.md, 快捷键): only page.keyboard.

Sign in (type, Tab, Enter), Tab to 收银台 and Enter, F4 for a checkout, Tab from the card
field (empty: a walk-in) to the basket, type two lines (one with a store promotion of 8折,
one special-price item ticked with Space), Enter for the quote, F8 to pay the pre-filled
cash, F4 for the next checkout.

  洗发水 2 x 45.50 = 91.00, promotion 8折: 72.80 (discount 18.20)
  护手霜 1 x 19.90, special price:          19.90
  list 110.90, discount 18.20, due 92.70; a walk-in earns no points and gets no member price.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.factories import basic_document, make_merchant

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

MERCHANT = "键盘小店"


def focused_text(page: Page) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.textContent.trim() : ''")


def tab_to(page: Page, text: str, limit: int = 15) -> None:
    """Press Tab until the focused element reads ``text`` (as a keyboard user looks for it)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused_text(page) == text:
            return
    raise AssertionError(f"{text!r} is not reachable with Tab")


def test_walk_in_cash_sale_with_the_keyboard_only(hk, live_server, page, shot):
    make_merchant(hk, MERCHANT, document=basic_document())
    keys = page.keyboard

    page.goto(f"{live_server}/login")
    expect(page.get_by_label("商户")).to_be_focused()
    keys.type(MERCHANT)
    keys.press("Tab")
    keys.type("cashier")
    keys.press("Tab")
    keys.type("password-123")
    keys.press("Enter")
    page.get_by_text("已登录").wait_for()

    tab_to(page, "收银台")
    keys.press("Enter")
    search = page.get_by_role("searchbox", name="手机号、卡号或姓名")
    expect(search).to_be_focused()
    shot(page, "find-member")

    keys.press("F4")  # new checkout
    page.wait_for_url(re.compile(r"/cashier/checkout$"))
    card = page.get_by_label("会员卡（刷卡；不刷卡为散客）")
    expect(card).to_be_focused()
    shot(page, "checkout")

    keys.press("Tab")  # no card: a walk-in sale
    expect(page.get_by_role("textbox", name="商品编码").first).to_be_focused()
    keys.type("XF-01")
    keys.press("Tab")
    keys.type("洗发水")
    keys.press("Tab")
    keys.press("Control+A")
    keys.type("2")
    keys.press("Tab")
    keys.type("45.50")
    keys.press("Tab")  # 特价: no
    keys.press("Tab")
    keys.type("8")  # 8折 promotion
    keys.press("Tab")
    keys.type("HS-02")
    keys.press("Tab")
    keys.type("护手霜")
    keys.press("Tab")  # quantity 1
    keys.press("Tab")
    keys.type("19.90")
    keys.press("Tab")
    keys.press("Space")  # special price
    expect(page.get_by_role("checkbox", name="特价").nth(1)).to_be_checked()
    keys.press("Tab")  # the promotion box of line 2 (empty: none)
    shot(page, "basket-typed")
    keys.press("Enter")  # the quote

    quote = page.locator("#quote")
    expect(quote).to_contain_text("散客")
    expect(quote.get_by_role("row").filter(has_text="洗发水")).to_contain_text("72.80")
    expect(quote.get_by_role("row").filter(has_text="洗发水")).to_contain_text("8折")
    expect(quote.get_by_role("row").filter(has_text="护手霜")).to_contain_text("特价")
    expect(quote.get_by_role("row").filter(has_text="护手霜")).to_contain_text("19.90")
    expect(quote.locator("[data-discount]")).to_have_text("-18.20")
    expect(quote.locator("[data-due]")).to_have_text("¥92.70")
    expect(quote.get_by_role("row").filter(has_text="本单可得")).to_have_count(0)  # nothing to earn
    cash = page.get_by_label("现金", exact=True)
    expect(cash).to_be_focused()
    expect(cash).to_have_value("92.70")
    shot(page, "quote")

    keys.press("F8")  # pay
    receipt = page.locator("#receipt")
    expect(receipt).to_be_visible()
    expect(receipt).to_contain_text(MERCHANT)
    expect(receipt).to_contain_text("散客")
    expect(receipt.locator(".due")).to_contain_text("¥92.70")
    expect(receipt.locator(".totals div").filter(has_text="现金")).to_contain_text("92.70")
    expect(receipt).not_to_contain_text("签字")  # no stored value, no signature line
    expect(page.get_by_role("button", name=re.compile("打印"))).to_be_focused()
    shot(page, "receipt")

    keys.press("F4")  # the next customer
    page.wait_for_url(re.compile(r"/cashier/checkout$"))
    expect(page.get_by_label("会员卡（刷卡；不刷卡为散客）")).to_be_focused()
    shot(page, "next-checkout")
