"""The report catalogue over the API (issue 12, G1/G5): listing, JSON pages, Excel and CSV
files, roles and bad parameters. Each report's figures are tested in its own module."""
from __future__ import annotations

import csv
import io
import uuid
from urllib.parse import unquote

import openpyxl
import pytest
from sqlalchemy import func, select

from core.models import AuditEntry
from tests.support.factories import basic_document, make_merchant


@pytest.fixture
def shop(hk):
    document = basic_document(tiers=[
        {"key": "regular", "name": {"zh-CN": "普通", "en": "Regular"}, "rank": 0, "discount_permille": 1000},
        {"key": "gold", "name": {"zh-CN": "金卡", "en": "Gold"}, "rank": 1, "discount_permille": 880}])
    return make_merchant(hk, "报表测试店", document)


def sell(client, shop, card, price_fen):
    lines = [{"sku": "A", "name": "商品", "unit_price_fen": price_fen}]
    quote = client.post("/api/v1/checkout/quote", json={"card_number": card, "lines": lines},
                        headers=shop.headers("cashier")).json
    response = client.post("/api/v1/checkout", json={
        "card_number": card, "lines": lines,
        "payments": [{"method": "cash", "amount_fen": quote["due_fen"]}]},
        headers={**shop.headers("cashier"), "Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 201, response.json


def card_for(client, shop, phone, tier):
    member = client.post("/api/v1/members", json={"name": "会员" + phone[-2:], "phone": phone},
                         headers=shop.headers()).json
    return client.post("/api/v1/cards", json={"member_id": member["id"], "tier": tier},
                       headers=shop.headers()).json["number"]


@pytest.fixture
def sales(client, shop):
    gold = card_for(client, shop, "13800000001", "gold")
    regular = card_for(client, shop, "13800000002", "regular")
    card_for(client, shop, "13800000003", "regular")
    sell(client, shop, gold, 10000)  # 8.8折: 88.00
    sell(client, shop, regular, 12345)
    return shop


def test_the_catalogue_lists_core_reports_with_parameters_columns_and_formats(client, shop):
    answer = client.get("/api/v1/reports", headers=shop.headers())
    assert answer.status_code == 200
    entry = next(r for r in answer.json["reports"] if r["id"] == "tier_distribution")
    assert entry["plugin"] == "core" and entry["formats"] == ["json", "xlsx", "csv"]
    assert entry["title"]["zh-CN"] == "等级分布"
    assert {"key": "spend_fen", "type": "fen"}.items() <= next(
        c for c in entry["columns"] if c["key"] == "spend_fen").items()
    assert set(entry["parameters"]["properties"]) == {"from", "to"}  # by_store=False


def test_cashiers_may_not_list_or_run_reports(client, shop):
    assert client.get("/api/v1/reports", headers=shop.headers("cashier")).status_code == 403
    answer = client.get("/api/v1/reports/tier_distribution", headers=shop.headers("cashier"))
    assert answer.status_code == 403 and answer.json["error"]["code"] == "forbidden"


def test_a_json_page_has_rows_totals_and_the_resolved_period(client, sales):
    answer = client.get("/api/v1/reports/tier_distribution?sort=-spend_fen", headers=sales.headers())
    assert answer.status_code == 200, answer.json
    body = answer.json
    rows = {row["tier"]: row for row in body["rows"]}
    assert rows["gold"]["spend_fen"] == 8800 and rows["regular"]["spend_fen"] == 12345
    assert rows["regular"]["members"] == 2 and rows["regular"]["cards"] == 2
    assert [row["tier"] for row in body["rows"]] == ["regular", "gold"]
    assert body["totals"]["spend_fen"] == 8800 + 12345 and body["totals"]["members"] == 3
    assert "spend_per_member_fen" not in body["totals"]  # an average does not add up
    assert body["total_rows"] == 2 and body["parameters"]["to"] >= body["parameters"]["from"]
    second = client.get("/api/v1/reports/tier_distribution?sort=tier&offset=1&limit=1",
                        headers=sales.headers()).json
    assert [row["tier"] for row in second["rows"]] == ["regular"] and second["total_rows"] == 2


def test_excel_export_has_chinese_headers_money_format_frozen_header_and_a_named_file(client, sales, hk):
    answer = client.get("/api/v1/reports/tier_distribution?format=xlsx", headers=sales.headers())
    assert answer.status_code == 200
    assert answer.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = unquote(answer.headers["Content-Disposition"])
    assert "报表测试店_等级分布_" in disposition and disposition.endswith(".xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(answer.data))
    sheet = workbook.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    assert headers[:2] == ["等级代码", "等级"] and "期间消费" in headers
    assert sheet.freeze_panes == "A2"
    money_column = headers.index("期间消费") + 1
    values = {sheet.cell(row, 1).value: sheet.cell(row, money_column) for row in range(2, sheet.max_row + 1)}
    assert values["gold"].value == 88 and "¥" in values["gold"].number_format
    assert values["合计"].value == pytest.approx(211.45)
    assert workbook.worksheets[1].title == "说明"
    with hk.db.read() as session:
        exports = [(e.target, e.after["format"], e.after["rows"]) for e in
                   session.scalars(select(AuditEntry).where(AuditEntry.action == "export"))]
    assert exports == [
        ("report:tier_distribution", "xlsx", 2)]


def test_csv_export_is_utf8_with_a_bom_and_exact_yuan(client, sales):
    answer = client.get("/api/v1/reports/tier_distribution?format=csv&lang=en", headers=sales.headers())
    assert answer.status_code == 200 and answer.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Tier key", "Tier"]
    spend = rows[0].index("Spend in period")
    assert {row[0]: row[spend] for row in rows[1:]} == {"regular": "123.45", "gold": "88.00"}
    assert {row[0]: row[1] for row in rows[1:]} == {"regular": "Regular", "gold": "Gold"}  # lang=en


def test_a_text_cell_in_both_languages_sorts_by_its_chinese(client, sales):
    page = client.get("/api/v1/reports/tier_distribution?sort=-tier_name", headers=sales.headers()).json
    assert [row["tier_name"]["zh-CN"] for row in page["rows"]] == ["金卡", "普通"]


@pytest.mark.parametrize("query, pointer", [
    ("from=2026-13-01", "/from"), ("from=2026-12-05&to=2026-12-01", "/from"),
    ("format=pdf", "/format"), ("lang=fr", "/lang"), ("sort=nope", "/sort"),
    ("limit=0", "/limit"), ("offset=-1", "/offset"), ("limit=99999999999999999999999", "/limit"),
    ("colour=red", "/colour"), ("store=1", "/store"), ("from=1900-01-01&to=2026-01-01", "/from"),
    ("from=0001-01-01&to=0001-01-02", "/from"), ("to=9999-12-31", "/to"),
])
def test_bad_parameters_are_named_and_nothing_runs(client, shop, hk, query, pointer):
    answer = client.get(f"/api/v1/reports/tier_distribution?{query}", headers=shop.headers())
    assert answer.status_code == 422, answer.json
    assert pointer in [d["pointer"] for d in answer.json["error"]["details"]]
    with hk.db.read() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.action == "export")) == 0


def test_an_unknown_report_is_a_404(client, shop):
    answer = client.get("/api/v1/reports/" + "x" * 500, headers=shop.headers())
    assert answer.status_code == 404 and answer.json["error"]["code"] == "report_not_found"
