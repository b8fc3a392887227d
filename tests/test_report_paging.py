"""core.reports.running: one pass sorts, pages and totals any report's rows."""
from __future__ import annotations

import pytest

from core.errors import Invalid
from core.reports import Report, count, money, page_of, text

REPORT = Report("paging", {"zh-CN": "分页", "en": "Paging"},
                [text("name", "名称", "Name"), money("amount_fen", "金额", "Amount"),
                 count("visits", "次数", "Visits", total=False)], rows=lambda s, q: [])
ROWS = [{"name": "乙", "amount_fen": 300, "visits": 1}, {"name": "甲", "amount_fen": None, "visits": 2},
        {"name": "丙", "amount_fen": 100, "visits": 3}, {"name": None, "amount_fen": 300, "visits": 4}]


def names(page):
    return [row["name"] for row in page.rows]


def test_unsorted_pages_keep_the_reports_order_and_total_every_row():
    page = page_of(REPORT, iter(ROWS), sort=None, offset=1, limit=2)
    assert names(page) == ["甲", "丙"] and page.total_rows == 4
    assert page.totals == {"amount_fen": 700}  # visits opted out; None adds nothing


@pytest.mark.parametrize("sort, expected", [
    ("amount_fen", ["丙", "乙", None, "甲"]),     # ties keep the report's order, missing last
    ("-amount_fen", ["乙", None, "丙", "甲"]),
    ("name", ["丙", "乙", "甲", None]),            # code-point order of 丙 < 乙 < 甲
    ("-name", ["甲", "乙", "丙", None]),           # descending strings, missing still last
])
def test_sorting_any_column_either_way(sort, expected):
    assert names(page_of(REPORT, iter(ROWS), sort=sort, offset=0, limit=10)) == expected


def test_a_page_past_the_end_is_empty_but_still_counted():
    page = page_of(REPORT, iter(ROWS), sort="-visits", offset=10, limit=5)
    assert page.rows == [] and page.total_rows == 4 and page.totals["amount_fen"] == 700


def test_sorting_by_an_unknown_column_names_the_choices():
    with pytest.raises(Invalid) as raised:
        page_of(REPORT, iter(ROWS), sort="-colour", offset=0, limit=5)
    assert "amount_fen" in raised.value.details[0]["message"]
