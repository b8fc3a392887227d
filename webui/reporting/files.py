"""Reports as files: Excel workbooks (XlsxWriter, constant memory) and CSV (UTF-8 with BOM).

Rows stream from the report into a temporary file; the file is then sent and removed, so
a million-row export holds one row at a time (X2). Money leaves the integer world only here:
a fen figure becomes fen/100 in a cell formatted ¥#,##0.00; the CSV writes it as exact yuan
text ("1234.50"), never through a float.
"""
from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from datetime import date
from typing import IO, Iterable

import xlsxwriter

from core.reports import Column, Report

from ..money import plain_yuan

EXCEL_MAX_ROWS = 1_048_576
MONEY_FORMAT = '"¥"#,##0.00;-"¥"#,##0.00'
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # CSV/Excel formula injection (OWASP)
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def title_of(texts: dict, lang: str) -> str:
    return texts.get(lang) or texts.get("zh-CN") or texts.get("en") or ""


def file_name(merchant: str, report: Report, period: tuple[date | None, date | None], lang: str,
              extension: str) -> str:
    """商户_报表_起-止.xlsx: what the owner sees in the download folder."""
    parts = [merchant, title_of(report.title, lang)]
    start, end = period
    if start and end:
        parts.append(start.isoformat() if start == end else f"{start.isoformat()}_{end.isoformat()}")
    name = "_".join(_UNSAFE_NAME.sub("-", part).strip() for part in parts if part)
    return f"{name[:150] or report.id}.{extension}"


def permille_text(value: int) -> str:
    sign = "-" if value < 0 else ""
    whole, tenths = divmod(abs(value), 10)
    return f"{sign}{whole}.{tenths}%"


def write_xlsx(target: str, report: Report, rows: Iterable[dict], *, lang: str,
               info: list[tuple[str, str]]) -> int:
    """Write the workbook to the path ``target``; returns how many rows were written."""
    workbook = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_formulas": False,
                                            "strings_to_urls": False, "strings_to_numbers": False})
    header = workbook.add_format({"bold": True, "bg_color": "#EEF2F7", "bottom": 1})
    formats = {"fen": workbook.add_format({"num_format": MONEY_FORMAT}),
               "count": workbook.add_format({"num_format": "#,##0"}),
               "permille": workbook.add_format({"num_format": "0.0%"}),
               "date": workbook.add_format({"num_format": "yyyy-mm-dd"}), "text": None}
    total_format = workbook.add_format({"bold": True, "top": 1})
    total_money = workbook.add_format({"bold": True, "top": 1, "num_format": MONEY_FORMAT})
    columns = report.columns
    titles = [title_of(column.title, lang) for column in columns]
    sheet_title = _sheet_name(title_of(report.title, lang))
    totals = {column.key: 0 for column in columns if column.summed}

    def new_sheet(number: int):
        # Excel names have at most 31 characters: the number must survive the cut.
        suffix = "" if number == 1 else str(number)
        sheet = workbook.add_worksheet(sheet_title[:31 - len(suffix)] + suffix)
        for index, (column, title) in enumerate(zip(columns, titles)):
            sheet.set_column(index, index, _width(column, title))
            sheet.write_string(0, index, title, header)
        sheet.freeze_panes(1, 0)
        return sheet

    sheets = 1
    sheet = new_sheet(sheets)
    row_number = written = 0
    for row in rows:
        row_number += 1
        if row_number >= EXCEL_MAX_ROWS - 1:  # keep a row for the totals
            sheets += 1
            sheet = new_sheet(sheets)
            row_number = 1
        for index, column in enumerate(columns):
            value = row.get(column.key)
            _write_cell(sheet, row_number, index, column, value, formats, lang)
            if column.key in totals and isinstance(value, int):
                totals[column.key] += value
        written += 1
    if totals:
        row_number += 1
        sheet.write_string(row_number, 0, "合计" if lang == "zh-CN" else "Total", total_format)
        for index, column in enumerate(columns):
            if column.key in totals and index > 0:
                value = totals[column.key]
                if column.type == "fen":
                    sheet.write_number(row_number, index, value / 100, total_money)
                else:
                    sheet.write_number(row_number, index, value, total_format)
    about = workbook.add_worksheet("说明" if lang == "zh-CN" else "About")
    about.set_column(0, 0, 16)
    about.set_column(1, 1, 48)
    for index, (label, value) in enumerate(info):
        about.write_string(index, 0, label, header)
        about.write_string(index, 1, value)
    workbook.close()
    return written


def cell_text(value, lang: str) -> str:
    """A text cell as the reader reads it: a {"zh-CN", "en"} value in their language."""
    if isinstance(value, dict):
        return title_of(value, lang)
    return str(value)


def _write_cell(sheet, row: int, col: int, column: Column, value, formats, lang: str) -> None:
    if value is None or value == "":
        return
    kind = column.type
    if kind == "fen" and isinstance(value, int):
        sheet.write_number(row, col, value / 100, formats["fen"])
    elif kind == "count" and isinstance(value, int):
        sheet.write_number(row, col, value, formats["count"])
    elif kind == "permille" and isinstance(value, int):
        sheet.write_number(row, col, value / 1000, formats["permille"])
    elif kind == "date":
        day = value if isinstance(value, date) else _date_or_none(value)
        if day is not None:
            sheet.write_datetime(row, col, day, formats["date"])
        else:
            sheet.write_string(row, col, str(value))
    else:
        sheet.write_string(row, col, cell_text(value, lang)[:32767])


def _date_or_none(value) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _width(column: Column, title: str) -> int:
    shown = sum(2 if ord(ch) > 0x2E80 else 1 for ch in title) + 2
    return max(shown, {"fen": 14, "count": 10, "permille": 9, "date": 12}.get(column.type, 16))


def _sheet_name(name: str) -> str:
    cleaned = re.sub(r"[\[\]:*?/\\']", "-", name).strip() or "report"
    return cleaned[:31]


def write_csv(target: IO[str], report: Report, rows: Iterable[dict], *, lang: str) -> int:
    """UTF-8 with a BOM (so Excel in China opens it as UTF-8), a header of column titles, money
    as exact yuan, rates as percentages; text that would start a formula gets a leading '."""
    target.write("\ufeff")
    writer = csv.writer(target, lineterminator="\r\n")
    writer.writerow([title_of(column.title, lang) for column in report.columns])
    written = 0
    for row in rows:
        writer.writerow([_csv_cell(column, row.get(column.key), lang) for column in report.columns])
        written += 1
    return written


def _csv_cell(column: Column, value, lang: str) -> str:
    if value is None:
        return ""
    if column.type == "fen" and isinstance(value, int):
        return plain_yuan(value)
    if column.type == "permille" and isinstance(value, int):
        return permille_text(value)
    if isinstance(value, (int, date)):
        return str(value)
    text = cell_text(value, lang)
    return "'" + text if text.startswith(_FORMULA_START) else text


def temporary_path(suffix: str) -> str:
    handle, path = tempfile.mkstemp(prefix="huika-report-", suffix=suffix)
    os.close(handle)
    return path


def open_and_forget(path: str) -> IO[bytes]:
    """The finished file, open for sending; its name is removed at once (POSIX keeps the data
    until the response closes it), so no export is left behind on disk."""
    handle = open(path, "rb")
    os.unlink(path)
    return handle


def csv_text_buffer(path: str) -> io.TextIOWrapper:
    return open(path, "w", encoding="utf-8", newline="")


def remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
