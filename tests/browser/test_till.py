"""The one-screen till (收银台, H2) in Chromium on the demo merchant, counting keys.

A member sale of two scanned items paid fully from stored value: the phone digits, the two
scans (the scanner types the code and Enter) and the PIN are the customer's and the goods'
part; everything else the cashier presses or taps is counted and must stay at or below 12
(issue 13). Then the same sale on a 390×844 phone: nothing off-screen, 应付 always visible.
Screenshots: test-artifacts/screenshots/<test>/.
"""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from core.demo import DEMO_MERCHANT, DEMO_PASSWORD, load_demo
from core.models import Card

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

MAX_KEYS = 12
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


class Counted:
    """The cashier's keys and taps, counted; the customer's and the scanner's typing is not."""

    def __init__(self, page: Page):
        self.page, self.count, self.log = page, 0, []

    def press(self, key: str) -> None:
        self.count += 1
        self.log.append(key)
        self.page.keyboard.press(key)

    def tap(self, locator, name: str) -> None:
        self.count += 1
        self.log.append(name)
        locator.click()

    def free_type(self, text: str) -> None:  # phone digits, the PIN
        self.page.keyboard.type(text)

    def scan(self, code: str) -> None:  # a barcode scanner: the code and Enter, as keys
        self.page.keyboard.type(code)
        self.page.keyboard.press("Enter")


@pytest.fixture
def demo(hk, client):
    """The demo merchant (a few members), one member's card with ¥1000 of stored value, and
    two barcodes of the demo catalogue."""
    with hk.db.write() as session:
        result = load_demo(session, hk.plugins, member_count=6)
    number, pin = result.cards[0]
    owner = {"Authorization": f"Bearer {result.tokens['owner']}"}
    loaded = client.post(f"/api/v1/cards/{number}/recharge", json={
        "amount_fen": 100000, "payment": {"method": "cash"}},
        headers={**owner, "Idempotency-Key": uuid.uuid4().hex})
    assert loaded.status_code == 201, loaded.json
    products = client.get("/api/v1/products?limit=50", headers=owner)
    if products.status_code == 404:
        pytest.skip("the goods catalogue (GET /api/v1/products) is not on this branch yet")
    by_sku = {p["sku"]: p for p in products.json["products"]}
    scanned = [by_sku["MILK-1L"], by_sku["SHAMPOO"]]  # both have member prices for gold
    with hk.db.read() as session:
        card = session.scalar(select(Card).where(Card.number == number))
        phone, tier, member_id = card.member.phone, card.tier.key, card.member_id
    member_due = sum(p["member_prices"].get(tier, 0) for p in scanned) \
        if all(tier in p["member_prices"] for p in scanned) else None
    return {"number": number, "pin": pin, "phone": phone, "barcodes": [p["barcode"] for p in scanned],
            "member_due": member_due, "member_id": member_id}


def sign_in(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("商户").fill(DEMO_MERCHANT)
    page.get_by_label("用户名").fill("cashier")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_text("已登录").wait_for()


def member_sale(page: Page, demo: dict, shot, size: str, check=lambda page, selectors: None) -> Counted:
    """Find by phone, scan two items, 全部储值, the PIN, Enter; the receipt; next customer."""
    keys = Counted(page)
    lookup = page.locator("#q")
    expect(lookup).to_be_focused()
    keys.free_type(demo["phone"])
    keys.press("Enter")
    strip = page.locator("#strip .strip")
    expect(strip).to_contain_text("储值")
    expect(strip).to_contain_text("积分")
    expect(page.locator("#scan")).to_be_focused()
    for code in demo["barcodes"]:
        keys.scan(code)
    expect(page.locator("#basket tbody tr")).to_have_count(2)
    due = page.locator("#due")
    expect(due).not_to_have_text("¥0.00")
    if demo["member_due"] is not None:  # the tier's member prices, applied by the server
        expect(due).to_have_text("¥%d.%02d" % divmod(demo["member_due"], 100))
    check(page, ["#q", "#scan", "#basket table", "#due", "[data-method=stored_value]",
                 "[data-method=cash]", "[data-method=wechat]", "[data-method=alipay]"])
    shot(page, f"{size}-basket")
    stored_value = page.locator("#strip [data-fact^=stored_value] dd").first
    stored_before = stored_value.inner_text()
    keys.tap(page.get_by_role("button", name=re.compile("全部储值")), "全部储值")
    pin = page.locator("#pin")
    expect(pin).to_be_focused()
    keys.free_type(demo["pin"])
    check(page, ["#pin", "#pay-button", "#due"])
    path = shot(page, f"{size}-payment")
    page.screenshot(path=str(path.with_name(path.stem + "-viewport.png")))  # as the screen shows it
    keys.press("Enter")
    receipt = page.locator("#receipt")
    expect(receipt).to_be_visible()
    expect(receipt).to_contain_text("储值")
    next_customer = page.get_by_role("button", name=re.compile("下一位顾客"))
    expect(next_customer).to_be_focused()
    expect(stored_value).not_to_have_text(stored_before)  # the strip shows what the sale left
    expect(next_customer).to_be_focused()  # and redrawing it took no focus
    check(page, ["[data-next-customer]", "#due"])
    shot(page, f"{size}-receipt")
    keys.press("Enter")  # the next customer
    expect(lookup).to_be_focused()
    expect(page.locator("#due")).to_have_text("¥0.00")
    return keys


def assert_inside(page: Page, selectors: list[str]) -> None:
    """Every element fits the viewport's width, is big enough to tap, and 应付 is in view."""
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
    for selector in selectors:
        element = page.locator(selector).first
        element.scroll_into_view_if_needed()
        box = element.bounding_box()
        assert box is not None, f"{selector} is not shown"
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (selector, box)
        assert box["width"] >= 44 and box["height"] >= 24 or selector == "#due", (selector, box)
        # Nothing (the fixed 应付 bar) lies over it once it is scrolled to: it can be tapped.
        assert element.evaluate("e => { const r = e.getBoundingClientRect();"
                                " const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);"
                                " return e === top || e.contains(top); }"), f"{selector} is covered"
    due = page.locator("#due").bounding_box()
    assert 0 <= due["y"] and due["y"] + due["height"] <= height, ("应付 is off-screen", due)


def new_page(browser, blocked: list, **options) -> tuple:
    context = browser.new_context(locale="zh-CN", **options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("console", lambda message: blocked.append(message.text)
            if "Content Security Policy" in message.text else None)
    return context, page


def test_member_sale_paid_from_stored_value_in_few_keys(browser, live_server, demo, shot):
    blocked: list[str] = []
    context, page = new_page(browser, blocked, viewport=DESKTOP)
    page.set_default_timeout(10_000)
    sign_in(page, live_server)
    page.goto(f"{live_server}/cashier/till")
    shot(page, "desktop-till")
    keys = member_sale(page, demo, shot, "desktop")
    print(f"\nkeys and taps for a member sale (2 scans, stored value): {keys.count} {keys.log}")
    assert keys.count <= MAX_KEYS
    context.close()

    phone, page = new_page(browser, blocked, viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(page, live_server)
    page.goto(f"{live_server}/cashier/till")
    assert_inside(page, ["#q", "#scan", "#goods-search", "#due"])
    shot(page, "phone-till")
    keys = member_sale(page, demo, shot, "phone", check=assert_inside)
    assert keys.count <= MAX_KEYS
    phone.close()
    assert blocked == [], f"the CSP blocked part of the till: {blocked}"


def test_walk_in_sale_by_search_and_favourites_split_between_wechat_and_cash(
        browser, live_server, demo, shot):
    """Goods by pinyin initials and from the favourites grid, a split payment (the rest is
    filled in), the change for the cash handed over; then the member page opens the till
    with its card."""
    blocked: list[str] = []
    context, page = new_page(browser, blocked, viewport=DESKTOP)
    sign_in(page, live_server)
    page.goto(f"{live_server}/cashier/till")
    page.locator("#scan").fill("6900000999999")  # not in the catalogue
    page.locator("#scan").press("Enter")
    expect(page.locator("#goods-message")).to_contain_text("没有条码为 6900000999999 的商品")
    expect(page.locator("#basket tbody tr")).to_have_count(0)
    page.locator("#goods-search").fill("xfs")
    page.locator("#goods-results").get_by_role("button", name=re.compile("洗发水")).click()
    page.locator("#favourites").get_by_role("button", name=re.compile("可乐")).click()
    expect(page.locator("#basket tbody tr")).to_have_count(2)
    expect(page.locator("#due")).to_have_text("¥48.90")  # walk-in: list prices 45.90 + 3.00
    page.get_by_role("button", name="组合支付").click()
    page.get_by_role("button", name="微信支付").click()
    page.locator("#pay-rows input").first.fill("40")
    expect(page.locator("#remaining")).to_contain_text("¥8.90")
    page.get_by_role("button", name=re.compile("现金")).click()
    expect(page.locator("#pay-rows input").nth(1)).to_have_value("8.90")  # the rest, filled in
    page.locator("#tender").fill("10")
    expect(page.locator("#change")).to_contain_text("¥1.10")
    shot(page, "desktop-split")
    page.keyboard.press("Enter")
    receipt = page.locator("#receipt")
    expect(receipt.locator(".paid-by").filter(has_text="微信支付")).to_contain_text("40.00")
    expect(receipt.locator(".paid-by").filter(has_text="现金")).to_contain_text("8.90")
    expect(receipt).to_contain_text("找零 ¥1.10")

    page.goto(f"{live_server}/cashier/members/{demo['member_id']}")
    page.get_by_role("link", name="用这张卡结账").click()
    expect(page.locator("#strip .strip")).to_contain_text("储值")
    expect(page.locator("#scan")).to_be_focused()
    context.close()
    assert blocked == [], f"the CSP blocked part of the till: {blocked}"


def test_find_and_checkout_pages_fit_a_phone(browser, live_server, demo, shot):
    """Issue 13 item 6: at 390 px the find page and the typed checkout have no sideways
    scrolling, every basket input is wide enough to use and 应付 shows inside the screen."""
    blocked: list[str] = []
    context, page = new_page(browser, blocked, viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(page, live_server)
    page.goto(f"{live_server}/cashier/?q=王")
    expect(page.get_by_role("table")).to_be_visible()
    assert_fits(page, ["#q", ".search button", "table"])
    shot(page, "phone-find")
    page.goto(f"{live_server}/cashier/checkout")
    page.locator("input[name=lines-0-name]").fill("洗发水")
    page.locator("input[name=lines-0-price]").fill("45.50")
    page.keyboard.press("Enter")
    due = page.locator("#quote [data-due]")
    expect(due).to_have_text("¥45.50")
    assert_fits(page, ["input[name=lines-0-sku]", "input[name=lines-0-name]",
                       "input[name=lines-0-quantity]", "input[name=lines-0-price]",
                       "input[name=lines-0-promotion]", "input[name=pay_cash]", "#pay-button"])
    due.scroll_into_view_if_needed()
    box = due.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], ("应付 is off-screen", box)
    shot(page, "phone-checkout")
    context.close()
    assert blocked == [], f"the CSP blocked part of a page: {blocked}"


def assert_fits(page: Page, selectors: list[str]) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
    for selector in selectors:
        box = page.locator(selector).first.bounding_box()
        assert box is not None, f"{selector} is not shown"
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (selector, box)
        assert box["width"] >= 44, (selector, box)  # wide enough to tap and read
