"""The member page, recharge and receipt on a phone (H6): 390×844, in Chinese, on the demo.

Nothing may stick out past the viewport's width (no sideways scrolling), every text field is
at least 44 px tall (a finger, not a mouse), and the amounts are on screen. Screenshots go to
test-artifacts/screenshots/ for people to look at.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.demo import DEMO_MERCHANT, DEMO_PASSWORD, load_demo
from core.models import Card, Checkout

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PHONE = {"width": 390, "height": 844}

# Elements whose right edge is past the viewport (a table scrolling inside its own box is fine).
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const inScroller = (el) => { for (let p = el.parentElement; p; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (['auto', 'scroll'].includes(style.overflowX) && p.scrollWidth > p.clientWidth) return true; }
    return false; };
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || getComputedStyle(el).visibility === 'hidden') continue;
    if (el.closest('details:not([open])') && el.tagName !== 'SUMMARY' && !el.matches('details')) continue;
    if ((box.right > width + 1 || box.left < -1) && !inScroller(el))
      out.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${el.className} ${Math.round(box.left)}..${Math.round(box.right)}`);
  }
  return {scroll: document.documentElement.scrollWidth, width, out: out.slice(0, 15)};
}"""

SMALL_INPUTS = """() => [...document.querySelectorAll('main input, main select, main textarea, main button, main a.button')]
  .filter(el => el.type !== 'hidden' && el.type !== 'checkbox' && el.type !== 'radio' && el.offsetParent !== null
                && !el.closest('details:not([open])'))
  .filter(el => el.getBoundingClientRect().height < 44)
  .map(el => `${el.tagName.toLowerCase()}[name=${el.name || ''}] ${Math.round(el.getBoundingClientRect().height)}px`)"""


def fits_the_phone(page, shot, name: str) -> None:
    shot(page, name)
    found = page.evaluate(OVERFLOW)
    assert found["scroll"] <= found["width"] and not found["out"], f"{name} is wider than the phone: {found}"
    small = page.evaluate(SMALL_INPUTS)
    assert not small, f"{name}: fields and buttons under 44 px: {small}"


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, device_scale_factor=1, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_member_recharge_and_receipt_fit_a_phone(hk, live_server, phone, shot):
    with hk.db.write() as session:
        demo = load_demo(session, hk.plugins, member_count=4)
    with hk.db.read() as session:
        checkout = session.scalars(select(Checkout).where(Checkout.merchant_id == demo.merchant_id,
                                                          Checkout.card_id.is_not(None))
                                   .order_by(Checkout.id.desc())).first()
        card = session.get(Card, checkout.card_id)
        member_id, number, checkout_id = card.member_id, card.number, checkout.id

    page = phone
    page.goto(f"{live_server}/login")
    page.get_by_label("商户").fill(DEMO_MERCHANT)
    page.get_by_label("用户名").fill("cashier")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_label("密码").press("Enter")
    page.get_by_text("已登录").wait_for()

    page.goto(f"{live_server}/cashier/members/{member_id}")
    page.locator(f"#card-{number}").wait_for()
    fits_the_phone(page, shot, "member")
    assert page.get_by_text("储值").first.is_visible()

    page.goto(f"{live_server}/cashier/cards/{number}/recharge")
    page.locator("#recharge-form").wait_for()
    fits_the_phone(page, shot, "recharge")

    page.goto(f"{live_server}/cashier/receipts/{checkout_id}")
    total = page.locator(".receipt .due dd")
    total.wait_for()
    fits_the_phone(page, shot, "receipt")
    box = total.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]  # the amount due is on screen
    for cell in page.locator(".receipt-lines td.num").all():
        cell_box = cell.bounding_box()
        assert cell_box["x"] + cell_box["width"] <= PHONE["width"], "an amount column is off-screen"
