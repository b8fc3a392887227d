"""Report pages in the editor (issue 12, G1): the catalogue, one page per report drawn from its
description (filters, sorting, paging, totals), the Excel and CSV buttons, roles, bad filters.

tier_distribution is the real core report, fed by real checkouts; ``shelf`` is a throwaway
plugin whose report has many rows, a store, an enum and an integer parameter, so the page is
tested on every kind of filter it must draw from a description alone.
"""
from __future__ import annotations

import csv
import html
import io
import re
import sys
from datetime import date, timedelta
from urllib.parse import unquote

import openpyxl
import pytest
from sqlalchemy import func, select

from core import tenancy
from core.clock import local_date, now_utc
from core.models import AuditEntry
from core.plugins import build_registry
from tests.api.test_reports_api import card_for, sell
from tests.support.factories import basic_document, make_merchant
from tests.support.plugin_factory import install_plugin, manifest
from tests.web.test_editor import login
from webui.editor.report_table import percent, yuan_grouped

SHOP = "报表页面店"
TIERS = [{"key": "regular", "name": {"zh-CN": "普通", "en": "Regular"}, "rank": 0, "discount_permille": 1000},
         {"key": "gold", "name": {"zh-CN": "金卡", "en": "Gold"}, "rank": 1, "discount_permille": 880}]

SHELF = """
from datetime import timedelta

from core.hookspecs import hookimpl


@hookimpl
def register_reports():
    from core.reports import Report, count, date_column, money, permille, text

    def rows(session, query):
        kinds = ("tea", "coffee")
        for i in range(query.params.get("rows", 120)):
            kind = kinds[i % 2]
            if query.params.get("kind") not in (None, kind) or (query.params.get("even") and i % 2):
                continue
            yield {"day": (query.start + timedelta(days=i % 7)).isoformat(), "label": f"第{i:03d}行",
                   "kind": kind, "store": str(query.store_id) if query.store_id else "all",
                   "amount_fen": 100000 + i * 101, "visits": i, "share_permille": 875,
                   "discount_permille": 880}

    return [Report("shelf_sales", {"zh-CN": "货架销售", "en": "Shelf sales"},
                   [date_column("day", "日期", "Day"), text("label", "行", "Row"), text("kind", "品类", "Kind"),
                    text("store", "门店", "Store"), money("amount_fen", "金额", "Amount"),
                    count("visits", "次数", "Visits"), permille("share_permille", "占比", "Share", total=False),
                    permille("discount_permille", "折扣", "Discount", total=False)], rows,
                   parameters={
                       "kind": {"type": "string", "enum": ["tea", "coffee"],
                                "x-label": {"zh-CN": "品类", "en": "Kind"},
                                "x-enum-labels": {"tea": {"zh-CN": "茶", "en": "Tea"},
                                                  "coffee": {"zh-CN": "咖啡", "en": "Coffee"}}},
                       "rows": {"type": "integer", "minimum": 0, "maximum": 500, "default": 120,
                                "x-label": {"zh-CN": "行数", "en": "Rows"}},
                       "even": {"type": "boolean", "x-label": {"zh-CN": "只看双数行", "en": "Even rows only"}}})]
"""
SHELF_ROWS = 120
SHELF_TOTAL_FEN = sum(100000 + i * 101 for i in range(SHELF_ROWS))


@pytest.fixture(scope="module")
def shelf_registry(tmp_path_factory):
    site = tmp_path_factory.mktemp("shelf-site")
    reports = [{"id": "shelf_sales", "title": {"zh-CN": "货架销售", "en": "Shelf sales"},
                "description": {"zh-CN": "每行一件货", "en": "One row per item"}}]
    install_plugin(site, "shelf", code=SHELF, manifest_doc=manifest(
        "shelf", reports=reports, title={"zh-CN": "货架插件", "en": "Shelf plugin"}))
    registry = build_registry()
    assert "shelf" in registry.plugins, registry.refused
    yield registry
    sys.path.remove(str(site))
    sys.modules.pop("huika_test_shelf", None)


@pytest.fixture
def shelf_app(shelf_registry, database_url):
    from webui import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
                      "PLUGIN_REGISTRY": shelf_registry})
    yield app
    app.extensions["huika"].db.dispose()


@pytest.fixture
def shelf_shop(shelf_app):
    hk = shelf_app.extensions["huika"]
    shop = make_merchant(hk, SHOP, basic_document(plugins=[{"id": "shelf", "settings": {"greeting": "好"}}]))
    with hk.db.write() as session:
        shop.store_ids.append(tenancy.create_store(session, shop.id, code="east", name="东店").id)
    return shop


def signed_in(app, role: str):
    client = app.test_client()
    login(client, role, merchant=SHOP)
    return client


@pytest.fixture
def shop(hk, client):
    shop = make_merchant(hk, SHOP, basic_document(tiers=TIERS))
    gold = card_for(client, shop, "13800000001", "gold")
    regular = card_for(client, shop, "13800000002", "regular")
    card_for(client, shop, "13800000003", "regular")
    sell(client, shop, gold, 10000)  # 8.8折: ¥88.00
    sell(client, shop, regular, 1234567)  # ¥12,345.67
    return shop


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def cells(row_html: str) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row_html, re.S)]


def table_rows(response) -> list[list[str]]:
    body = re.search(r"<tbody>(.*?)</tbody>", response.get_data(as_text=True), re.S).group(1)
    return [cells(row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def totals(response) -> list[str]:
    return cells(re.search(r'<tr class="report-totals">(.*?)</tr>', response.get_data(as_text=True), re.S).group(1))


def link(response, text: str) -> str:
    """The href of the link whose text (tags stripped) starts with ``text``."""
    for href, inner in re.findall(r'<a[^>]*href="([^"]+)"[^>]*>(.*?)</a>', response.get_data(as_text=True), re.S):
        if html.unescape(re.sub(r"<[^>]+>", "", inner)).strip().startswith(text):
            return html.unescape(href)
    raise AssertionError(f"no link {text!r}")


def exports(hk) -> list[tuple]:
    with hk.db.read() as session:
        return [(e.target, e.channel, e.after["format"], e.after["rows"]) for e in
                session.scalars(select(AuditEntry).where(AuditEntry.action == "export").order_by(AuditEntry.id))]


# -- money and rates as text ----------------------------------------------------------------------

def test_money_has_yuan_thousands_separators_and_two_decimals_from_integer_fen():
    assert [yuan_grouped(v) for v in (0, 5, 8800, 123456789, -123456, 10**17 + 1)] == [
        "¥0.00", "¥0.05", "¥88.00", "¥1,234,567.89", "-¥1,234.56", "¥1,000,000,000,000,000.01"]
    assert [percent(v) for v in (880, 875, 0, 1000, -5)] == ["88%", "87.5%", "0%", "100%", "-0.5%"]


# -- the catalogue ----------------------------------------------------------------------------------

def test_the_catalogue_lists_reports_by_plugin_core_first_for_owners_and_managers(shelf_app, shelf_shop):
    for role in ("owner", "manager"):
        answer = signed_in(shelf_app, role).get("/editor/reports")
        assert answer.status_code == 200
        text = page_text(answer)
        assert text.index("核心") < text.index("货架插件")  # the plugin's manifest title
        if role == "owner":  # a store's manager gets no report covering every store (A1)
            assert link(answer, "等级分布") == "/editor/reports/tier_distribution"
        else:
            assert "/editor/reports/tier_distribution" not in answer.get_data(as_text=True)
        assert link(answer, "货架销售") == "/editor/reports/shelf_sales" and "每行一件货" in text
        assert 'href="/editor/reports" class="active"' in answer.get_data(as_text=True)  # the nav link 报表
    english = signed_in(shelf_app, "owner")
    assert "Tier distribution" in page_text(english.get("/editor/reports?lang=en"))


def test_cashiers_get_a_chinese_403_page_and_strangers_the_sign_in(shelf_app, shelf_shop):
    cashier = signed_in(shelf_app, "cashier")
    for url in ("/editor/reports", "/editor/reports/shelf_sales", "/editor/reports/shelf_sales.xlsx",
                "/editor/reports/tier_distribution.csv"):
        answer = cashier.get(url)
        assert answer.status_code == 403 and "店主" in page_text(answer), url
    manager = signed_in(shelf_app, "manager").get("/editor/audit")  # an owner-only page
    assert manager.status_code == 403 and "无权访问" in page_text(manager)
    stranger = shelf_app.test_client().get("/editor/reports/shelf_sales")
    assert stranger.status_code == 302 and "/login" in stranger.headers["Location"]


def test_an_unknown_or_disabled_report_is_a_404(app, hk):
    make_merchant(hk, SHOP, basic_document())
    owner = signed_in(app, "owner")
    missing = owner.get("/editor/reports/nope")
    assert missing.status_code == 404 and "页面不存在" in page_text(missing)
    assert owner.get("/editor/reports/points_liability").status_code == 404  # points not enabled
    assert owner.get("/editor/reports/" + "x" * 3000 + ".xlsx").status_code == 404


# -- one report's page --------------------------------------------------------------------------

def test_the_page_shows_chinese_titles_yuan_with_separators_discounts_and_totals(app, shop):
    answer = signed_in(app, "owner").get("/editor/reports/tier_distribution")
    assert answer.status_code == 200
    text = page_text(answer)
    assert "<h1>等级分布</h1>" in text and "期间消费" in text and "人均消费" in text
    today = local_date(now_utc())
    assert f'name="to" type="date" value="{today.isoformat()}"' in text  # the default period, filled in
    assert f'value="{(today - timedelta(days=364)).isoformat()}"' in text
    rows = {row[0]: row for row in table_rows(answer)}
    assert rows["gold"][1:4] == ["金卡", "8.8折", "1"] and rows["gold"][6] == "¥88.00"
    assert rows["regular"][2] == "不打折" and rows["regular"][6] == "¥12,345.67"
    assert rows["regular"][5] == "66.6%" and rows["regular"][7] == "¥6,172.83"
    assert totals(answer) == ["合计", "", "", "3", "3", "", "¥12,433.67", ""]
    assert "第 1–2 条，共 2 条" in text and "导出 Excel" in text and "导出 CSV" in text
    english = page_text(signed_in(app, "owner").get("/editor/reports/tier_distribution?lang=en"))
    assert "Spend in period" in english and "Rows 1–2 of 2" in english


def test_a_header_sorts_its_column_and_a_second_click_turns_the_order(app, shop):
    owner = signed_in(app, "owner")
    first = owner.get("/editor/reports/tier_distribution")
    spend = link(first, "期间消费")
    assert "sort=-spend_fen" in spend  # figures: the biggest first
    descending = owner.get(spend)
    assert [row[0] for row in table_rows(descending)] == ["regular", "gold"]
    assert 'aria-sort="descending"' in descending.get_data(as_text=True) and "▼" in page_text(descending)
    ascending = owner.get(link(descending, "期间消费"))
    assert [row[0] for row in table_rows(ascending)] == ["gold", "regular"] and "▲" in page_text(ascending)
    assert totals(ascending) == totals(descending)
    # The filter form keeps the sort; a made-up sort is dropped, not an error.
    assert '<input type="hidden" name="sort" value="spend_fen">' in ascending.get_data(as_text=True)
    assert owner.get("/editor/reports/tier_distribution?sort=-password").status_code == 200


def test_paging_fifty_rows_a_page_with_totals_over_all_rows(shelf_app, shelf_shop):
    owner = signed_in(shelf_app, "owner")
    first = owner.get("/editor/reports/shelf_sales")
    assert first.status_code == 200
    assert len(table_rows(first)) == 50 and "第 1–50 条，共 120 条" in page_text(first)
    expected_total = yuan_grouped(SHELF_TOTAL_FEN)
    assert totals(first)[4] == expected_total and totals(first)[5] == f"{sum(range(SHELF_ROWS)):,}"
    assert "上一页" not in page_text(first)
    second = owner.get(link(first, "下一页"))
    assert "第 51–100 条，共 120 条" in page_text(second) and table_rows(second)[0][1] == "第050行"
    third = owner.get(link(second, "下一页"))
    assert len(table_rows(third)) == 20 and "下一页" not in page_text(third)
    assert totals(third)[4] == expected_total  # every page carries the totals of all rows
    assert table_rows(owner.get(link(third, "上一页")))[0][1] == "第050行"
    # Sorting goes back to the first page and keeps the filters.
    sorted_page = owner.get(link(owner.get("/editor/reports/shelf_sales?page=2&kind=tea"), "金额"))
    assert "page=" not in sorted_page.request.full_path and "kind=tea" in sorted_page.request.full_path
    assert table_rows(sorted_page)[0][1] == "第118行" and "共 60 条" in page_text(sorted_page)
    # Past the end: an empty page with a way back, never an error.
    beyond = owner.get("/editor/reports/shelf_sales?page=99")
    assert beyond.status_code == 200 and "第一页" in page_text(beyond)
    assert table_rows(owner.get("/editor/reports/shelf_sales?rows=0")) == []


def test_the_form_is_drawn_from_the_parameters_and_a_manager_sees_their_store(shelf_app, shelf_shop):
    owner = signed_in(shelf_app, "owner")
    text = owner.get("/editor/reports/shelf_sales?kind=coffee").get_data(as_text=True)
    kinds = re.search(r'<select id="filter-kind" name="kind">(.*?)</select>', text, re.S).group(1)
    assert re.findall(r'value="([^"]*)"', kinds) == ["", "tea", "coffee"] and ">咖啡<" in kinds
    assert '<option value="coffee" selected>' in kinds
    assert re.search(r'name="rows" type="number" step="1" value="120" min="0" max="500"', text)
    stores = re.search(r'<select id="filter-store" name="store">(.*?)</select>', text, re.S).group(1)
    assert re.findall(r'value="([^"]*)"', stores) == ["", *map(str, shelf_shop.store_ids)] and "全部门店" in stores
    assert {row[3] for row in table_rows(owner.get(f"/editor/reports/shelf_sales?store={shelf_shop.store_ids[1]}"))} \
        == {str(shelf_shop.store_ids[1])}
    even = owner.get("/editor/reports/shelf_sales?even=true")
    assert '<option value="true" selected>是</option>' in even.get_data(as_text=True)
    assert "共 60 条" in page_text(even) and "even=true" in link(even, "导出 Excel")
    for label in ("今天", "昨天", "本周", "本月", "上月", "近30天"):
        assert label in html.unescape(text)
    today = local_date(now_utc())
    month = link(owner.get("/editor/reports/shelf_sales?kind=tea"), "本月")
    assert f"from={today.replace(day=1).isoformat()}" in month and f"to={today.isoformat()}" in month
    assert "kind=tea" in month

    manager = signed_in(shelf_app, "manager")
    page = manager.get("/editor/reports/shelf_sales")
    own = str(shelf_shop.store_ids[0])
    stores = re.search(r'<select id="filter-store" name="store">(.*?)</select>', page.get_data(as_text=True),
                       re.S).group(1)
    assert re.findall(r'value="([^"]*)"', stores) == [own]  # no "all stores", no other store
    assert {row[3] for row in table_rows(page)} == {own}
    other = manager.get(f"/editor/reports/shelf_sales?store={shelf_shop.store_ids[1]}")
    assert other.status_code == 422 and "只能查看本门店" in page_text(other) and "<tbody>" not in page_text(other)


@pytest.mark.parametrize("query, message", [
    ("from=2026-13-01", "开始日期：请按"),
    ("to=2026-02-30", "结束日期：请按"),
    ("from=2026-12-05&to=2026-12-01", "开始日期不能晚于结束日期"),
    ("from=1900-01-01&to=2026-01-01", "3660"),
    ("kind=juice", "品类：请从选项中选择"),
    ("rows=501", "行数：请输入 0 到 500 之间的整数"),
    ("rows=abc", "行数：请输入 0 到 500 之间的整数"),
    ("store=abc", "请选择您的门店"),
    ("even=maybe", "只看双数行：请从选项中选择"),
    ("store=99999", "请选择您的门店"),
])
def test_bad_filters_are_told_in_chinese_and_nothing_runs(shelf_app, shelf_shop, query, message):
    owner = signed_in(shelf_app, "owner")
    answer = owner.get(f"/editor/reports/shelf_sales?{query}")
    assert answer.status_code == 422
    text = page_text(answer)
    assert message in text and "筛选条件无效" in text
    assert "<tbody>" not in text and "导出 Excel" not in text
    again = owner.get(f"/editor/reports/shelf_sales.xlsx?{query}")  # a hand-made file address
    assert again.status_code == 422 and message in page_text(again)
    assert exports(shelf_app.extensions["huika"]) == []


HOSTILE = ["page=-1", "page=99999999999999999999", "page=%00", "sort=%27%22%3E%3Cscript%3Ealert(1)%3C/script%3E",
           "sort=" + "-" * 500, "from=" + "9" * 5000, "from=%00&to=%ff", "store=-1", "store=1e3",
           "store=99999999999999999999999", "rows=1e2", "rows=-0", "kind=%3Cb%3E", "kind=tea&kind=coffee",
           "lang=xx", "unknown=1", "from[]=2026-01-01", "rows=" + "1" * 300, "kind=" + "茶" * 1000,
           "to=%E2%80%AE2026-01-01", "from=２０２６-０１-０１"]


def test_hostile_query_strings_never_make_a_500(shelf_app, shelf_shop):
    owner = signed_in(shelf_app, "owner")
    for query in HOSTILE:
        for url in (f"/editor/reports/shelf_sales?{query}", f"/editor/reports/shelf_sales.csv?{query}"):
            answer = owner.get(url)
            # 400: a NUL byte is refused before any view (webui/guards.py)
            assert answer.status_code in (200, 400, 422), (url, answer.status_code)
            assert "<script>alert" not in answer.get_data(as_text=True)
            assert "<b>" not in answer.get_data(as_text=True)


# -- the files --------------------------------------------------------------------------------------

def test_the_excel_and_csv_buttons_download_the_filtered_report_and_are_audited(shelf_app, shelf_shop):
    owner = signed_in(shelf_app, "owner")
    page = owner.get("/editor/reports/shelf_sales?kind=tea&from=2026-11-01&to=2026-11-30&sort=-amount_fen&page=2")
    excel_url = link(page, "导出 Excel")
    assert excel_url.startswith("/editor/reports/shelf_sales.xlsx?")
    assert "kind=tea" in excel_url and "from=2026-11-01" in excel_url and "page" not in excel_url
    excel = owner.get(excel_url)
    assert excel.status_code == 200
    assert excel.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = unquote(excel.headers["Content-Disposition"])
    assert "报表页面店_货架销售_2026-11-01_2026-11-30.xlsx" in disposition
    sheet = openpyxl.load_workbook(io.BytesIO(excel.data)).worksheets[0]
    assert [cell.value for cell in sheet[1]][:5] == ["日期", "行", "品类", "门店", "金额"]
    assert sheet.max_row == 60 + 2 and sheet.cell(2, 3).value == "tea"  # rows, then 合计
    assert sheet.freeze_panes == "A2" and "¥" in sheet.cell(2, 5).number_format

    csv_answer = owner.get(link(page, "导出 CSV"))
    assert csv_answer.status_code == 200 and csv_answer.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(csv_answer.data.decode("utf-8-sig"))))
    assert rows[0][4] == "金额" and rows[1][4] == "1000.00" and len(rows) == 61
    hk = shelf_app.extensions["huika"]
    assert exports(hk) == [("report:shelf_sales", "web", "xlsx", 60), ("report:shelf_sales", "web", "csv", 60)]
    with hk.db.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).first()
        assert entry.after["parameters"]["kind"] == "tea" and entry.staff_username == "owner"


def test_an_english_page_downloads_english_headers_and_a_manager_their_store(shelf_app, shelf_shop):
    manager = signed_in(shelf_app, "manager")
    manager.get("/lang/en")
    answer = manager.get(link(manager.get("/editor/reports/shelf_sales"), "Export CSV"))
    rows = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Day", "Row"] and {row[3] for row in rows[1:]} == {str(shelf_shop.store_ids[0])}
    with shelf_app.extensions["huika"].db.read() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.action == "export")) == 1


def test_quick_ranges_follow_the_merchant_calendar():
    from webui.editor.report_filters import quick_range

    wednesday = date(2026, 3, 4)
    assert quick_range("today", wednesday) == (wednesday, wednesday)
    assert quick_range("yesterday", wednesday) == (date(2026, 3, 3),) * 2
    assert quick_range("week", wednesday) == (date(2026, 3, 2), wednesday)
    assert quick_range("month", wednesday) == (date(2026, 3, 1), wednesday)
    assert quick_range("last_month", wednesday) == (date(2026, 2, 1), date(2026, 2, 28))
    assert quick_range("last_month", date(2026, 1, 15)) == (date(2025, 12, 1), date(2025, 12, 31))
    assert quick_range("last_30", wednesday) == (date(2026, 2, 3), wednesday)
