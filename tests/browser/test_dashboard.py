"""The dashboard in Chromium (issue 12, G6), at desktop (1280×800) and phone (390×844) size.

The owner signs in and lands on 经营概览; the trend and tier charts are drawn (a canvas inside
each chart box, as wide as the box), nothing is logged to the console, and every request the
page makes goes to the local server: ECharts is vendored, nothing comes from a CDN. On the
phone the tiles stack in one column and the page does not scroll sideways; a chart follows a
change of the window's size. Screenshots: test-artifacts/screenshots/<test>/.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.dashboard_data import build_week

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
RESIZED = {"desktop": 820, "phone": 844}


def chart_width(page, selector: str) -> tuple[float, float]:
    """(the chart box's width, its canvas's width) in CSS pixels."""
    return page.evaluate("""(selector) => {
        const box = document.querySelector(selector);
        const canvas = box.querySelector('canvas');
        return [box.getBoundingClientRect().width, canvas ? canvas.getBoundingClientRect().width : 0];
    }""", selector)


@pytest.mark.parametrize("size", list(SIZES), ids=list(SIZES))
def test_the_dashboard_draws_its_charts_from_local_files_only(browser, live_server, client, hk,
                                                              monkeypatch, shot, size):
    week = build_week(client, hk, monkeypatch)
    width, height = SIZES[size]
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    requests: list[str] = []
    failed: list[str] = []
    page.on("console", lambda message: problems.append(message.text)
            if message.type in ("error", "warning") and not message.text.startswith("Failed to load resource")
            else None)
    # Failed loads are judged by URL: the app has no favicon, which the browser asks for anyway.
    page.on("response", lambda response: failed.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.goto(f"{live_server}/login")
        page.get_by_label("商户").fill(week.shop.name)
        page.get_by_label("用户名").fill("owner")
        page.get_by_label("密码").fill("password-123")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{live_server}/dashboard")
        expect(page.get_by_role("heading", name="经营概览", level=1)).to_be_visible()
        page.locator("#trend-chart canvas").first.wait_for()
        page.locator("#tier-chart canvas").first.wait_for()
        page.wait_for_load_state("networkidle")
        for selector in ("#trend-chart", "#tier-chart"):
            box, canvas = chart_width(page, selector)
            assert box > 0 and abs(box - canvas) <= 2, (selector, box, canvas)
        expect(page.locator('[data-figure="net_fen"] .figure')).to_have_text("¥349.06")
        expect(page.locator(".top-members tbody tr")).to_have_count(3)
        expect(page.locator('[data-reminder="low_balance"]')).to_contain_text("1 张卡")
        shot(page, f"dashboard-{size}")

        tiles = page.locator(".tiles .tile")
        lefts = {round(tiles.nth(index).bounding_box()["x"]) for index in range(tiles.count())}
        if size == "phone":
            assert len(lefts) == 1, lefts  # stacked
            assert page.evaluate("document.documentElement.scrollWidth") <= width
        else:
            assert len(lefts) == 4, lefts  # side by side

        # A chart follows the window: the desktop narrowed to a tablet, the phone turned sideways.
        page.set_viewport_size({"width": RESIZED[size], "height": height})
        page.wait_for_function("""([selector, before]) => {
            const box = document.querySelector(selector);
            const canvas = box.querySelector('canvas');
            const now = canvas.getBoundingClientRect().width;
            return Math.abs(now - before) > 20 && Math.abs(now - box.getBoundingClientRect().width) <= 2;
        }""", arg=["#trend-chart", chart_width(page, "#trend-chart")[1]])
        shot(page, f"dashboard-{size}-resized")

        page.get_by_label("门店").select_option(label="二号店")
        page.get_by_role("button", name="显示").click()
        page.wait_for_url(f"{live_server}/dashboard?store={week.second_store}")
        expect(page.locator('[data-figure="net_fen"] .figure')).to_have_text("¥66.66")
        page.locator("#trend-chart canvas").first.wait_for()
        shot(page, f"dashboard-{size}-second-store")
    finally:
        context.close()
    assert problems == [] and failed == [], (problems, failed)
    outside = [url for url in requests if not url.startswith(live_server + "/")]
    assert outside == [], outside
    assert any(url.endswith("/static/vendor/echarts/echarts.min.js") for url in requests)
