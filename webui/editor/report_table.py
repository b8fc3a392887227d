"""A report page's table: cells as the owner reads them, sortable headers, paging.

Money stays integer fen until it is text: ¥ with thousands separators and two decimals,
worked out with divmod, never through a float. A permille column is a percentage, or 折 when
it is a discount (its key says so: ``discount_permille``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _

from core.reports import Column, Report
from core.reports.running import MAX_OFFSET, Page

from ..i18n import current_locale, label
from ..screens import format_zhe

PAGE_SIZE = 50
LAST_PAGE = MAX_OFFSET // PAGE_SIZE + 1  # deeper pages: export the file
NUMERIC = ("fen", "count", "permille")


def yuan_grouped(fen: int) -> str:
    """8800 -> "¥88.00", 123456789 -> "¥1,234,567.89", -5 -> "-¥0.05"."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


def percent(permille: int) -> str:
    """880 -> "88%", 875 -> "87.5%"."""
    sign = "-" if permille < 0 else ""
    whole, tenths = divmod(abs(permille), 10)
    return f"{sign}{whole}%" if tenths == 0 else f"{sign}{whole}.{tenths}%"


def is_discount(column: Column) -> bool:
    return column.type == "permille" and "discount" in column.key


def cell_text(column: Column, value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        if column.type == "fen":
            return yuan_grouped(value)
        if column.type == "count":
            return f"{value:,}"
        if column.type == "permille":
            return format_zhe(value) if is_discount(column) else percent(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):  # a {"zh-CN", "en"} label in a text column
        return label(value)
    return str(value)


@dataclass
class Header:
    key: str
    title: str
    numeric: bool
    sort_value: str  # the sort argument a click on this header asks for
    direction: str | None  # "ascending" / "descending" when the table is sorted by it
    arrow: str


def sort_argument(report: Report, raw: str | None) -> str | None:
    """``raw`` when it names a column (``key`` or ``-key``), else None: a made-up sort in the
    address is dropped, not an error."""
    if not raw or len(raw) > 200:
        return None
    key = raw[1:] if raw.startswith("-") else raw
    return raw if report.column(key) is not None else None


def shown_columns(report: Report) -> list[Column]:
    """The columns a page shows: a report keeps an English twin of some text columns for the
    export (key ``…_en``); a Chinese page leaves the twin out (H8)."""
    if current_locale() == "en":
        return list(report.columns)
    return [column for column in report.columns if not column.key.endswith("_en")]


# Columns of codes the merchant typed (a product's SKU and barcode, a coupon's code, a unit).
CODE_KEYS = frozenset({"sku", "barcode", "code", "unit"})


def is_code(column: Column) -> bool:
    """A key column (a payment method, tier or segment code: "…代码" / "… key"; a SKU, barcode,
    coupon code or unit), data that is not translated; the page marks its cells translate="no"."""
    title = column.title if isinstance(column.title, dict) else {}
    return column.type == "text" and (column.key in CODE_KEYS
                                      or str(title.get("en", "")).endswith(" key"))


def headers(report: Report, sort: str | None) -> list[Header]:
    result = []
    for column in shown_columns(report):
        numeric = column.type in NUMERIC
        direction = arrow = None
        if sort == column.key:
            direction, arrow, next_sort = "ascending", "▲", "-" + column.key
        elif sort == "-" + column.key:
            direction, arrow, next_sort = "descending", "▼", column.key
        else:  # figures: the biggest first; text and dates: A to Z, oldest first
            next_sort = "-" + column.key if numeric else column.key
        result.append(Header(column.key, label(column.title), numeric, next_sort, direction, arrow or ""))
    return result


def table_rows(report: Report, rows: list[dict]) -> list[list[tuple[str, bool]]]:
    """Each row as (text, numeric) cells in column order."""
    columns = shown_columns(report)
    return [[(cell_text(column, row.get(column.key)), column.type in NUMERIC, is_code(column))
             for column in columns]
            for row in rows]


def totals_row(report: Report, page: Page) -> list[tuple[str, bool]] | None:
    """The totals over all rows (not just this page) under the summed columns; "合计" in the
    first cell that has no total of its own. None when the report sums nothing."""
    if not page.totals:
        return None
    columns = shown_columns(report)
    cells = [(cell_text(column, page.totals[column.key]) if column.key in page.totals else "",
              column.type in NUMERIC, False) for column in columns]
    free = next((index for index, column in enumerate(columns) if column.key not in page.totals), None)
    if free is not None:
        cells[free] = (_("Total"), False, False)
    else:
        cells[0] = (f"{_('Total')} {cells[0][0]}", True, False)
    return cells


def page_number(raw: str | None) -> int:
    """The ?page= argument as 1…LAST_PAGE; anything else is the first page."""
    if raw and raw.isascii() and raw.isdigit() and len(raw) <= 9:
        return min(max(int(raw), 1), LAST_PAGE)
    return 1


@dataclass
class Paging:
    number: int
    first_row: int  # 1-based, 0 when the page is empty
    last_row: int
    total_rows: int
    has_previous: bool
    has_next: bool


def paging(page: Page, number: int) -> Paging:
    shown = len(page.rows)
    first = page.offset + 1 if shown else 0
    return Paging(number=number, first_row=first, last_row=page.offset + shown, total_rows=page.total_rows,
                  has_previous=number > 1,
                  has_next=number < LAST_PAGE and page.offset + shown < page.total_rows)
