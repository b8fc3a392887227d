"""Report pages in Chromium (issue 12, G1): the owner opens 报表, then 等级分布, at desktop and
phone size; sorts by a column header; downloads the Excel file with the button.

Screenshots: test-artifacts/screenshots/<test>/.
"""
from __future__ import annotations

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from tests.api.test_reports_api import card_for, sell
from tests.support.factories import basic_document, make_merchant

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

MERCHANT = "报表浏览器店"
TIERS = [{"key": "regular", "name": {"zh-CN": "普通", "en": "Regular"}, "rank": 0, "discount_permille": 1000},
         {"key": "gold", "name": {"zh-CN": "金卡", "en": "Gold"}, "rank": 1, "discount_permille": 880}]
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


@pytest.fixture
def shop(hk, client):
    shop = make_merchant(hk, MERCHANT, basic_document(tiers=TIERS))
    gold = card_for(client, shop, "13800000001", "gold")
    regular = card_for(client, shop, "13800000002", "regular")
    sell(client, shop, gold, 10000)  # ¥88.00 at 8.8折
    sell(client, shop, regular, 1234567)  # ¥12,345.67
    return shop


def sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("商户").fill(MERCHANT)
    page.get_by_label("用户名").fill("owner")
    page.get_by_label("密码").fill("password-123")
    page.keyboard.press("Enter")
    page.get_by_text("已登录").wait_for()


def first_cells(page: Page) -> list[str]:
    return page.locator(".report-table tbody tr td:first-child").all_inner_texts()


@pytest.mark.parametrize("size", SIZES)
def test_the_owner_reads_sorts_and_exports_a_report(shop, live_server, page, shot, tmp_path, size):
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, live_server)
    page.goto(f"{live_server}/editor/")
    page.get_by_role("banner").get_by_role("link", name="报表", exact=True).click()
    expect(page.get_by_role("heading", name="报表", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="核心")).to_be_visible()
    shot(page, f"reports-{size}")

    page.get_by_role("link", name="等级分布").click()
    expect(page.get_by_role("heading", name="等级分布")).to_be_visible()
    table = page.locator(".report-table")
    expect(table.locator("tfoot")).to_contain_text("¥12,433.67")
    expect(page.get_by_text("第 1–2 条，共 2 条")).to_be_visible()
    assert page.locator(".report-table th").first.evaluate("th => getComputedStyle(th).position") == "sticky"
    if size == "phone":  # the table scrolls inside its box; the page itself does not
        scroller = page.locator(".report-scroll")
        assert scroller.evaluate("box => box.scrollWidth > box.clientWidth")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, f"report-{size}")

    table.get_by_role("link", name="期间消费").click()
    expect(table.locator("th[aria-sort=descending]")).to_contain_text("期间消费")
    assert first_cells(page) == ["regular", "gold"]
    table.get_by_role("link", name="期间消费").click()
    expect(table.locator("th[aria-sort=ascending]")).to_contain_text("▲")
    assert first_cells(page) == ["gold", "regular"]
    shot(page, f"report-sorted-{size}")

    page.get_by_role("link", name="今天").click()
    expect(page.get_by_label("开始日期")).to_have_value(page.get_by_label("结束日期").input_value())
    with page.expect_download() as download_info:
        page.get_by_role("link", name="导出 Excel").click()
    download = download_info.value
    assert download.suggested_filename.startswith(f"{MERCHANT}_等级分布_")
    assert download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / "report.xlsx"
    download.save_as(saved)
    sheet = openpyxl.load_workbook(saved).worksheets[0]
    assert [cell.value for cell in sheet[1]][:2] == ["等级代码", "等级"]
    assert sheet.cell(sheet.max_row, 1).value == "合计"


def test_bad_filters_are_told_on_the_page(shop, live_server, page, shot):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server)
    page.goto(f"{live_server}/editor/reports/tier_distribution")
    page.get_by_label("开始日期").fill("2026-12-05")
    page.get_by_label("结束日期").fill("2026-12-01")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("alert")).to_contain_text("开始日期不能晚于结束日期")
    expect(page.locator(".report-table")).to_have_count(0)
    shot(page, "bad-filters-phone")
