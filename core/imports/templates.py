"""The template a merchant downloads for each kind: Chinese headers (required ones marked *),
one example row (skipped when imported unchanged), as .xlsx (XlsxWriter) or CSV (UTF-8 with
BOM, so Excel opens it in Chinese)."""
from __future__ import annotations

import csv
import io

from .kinds import ImportKind

REQUIRED_MARK = "*"


def header_of(column) -> str:
    return column.title["zh-CN"] + (REQUIRED_MARK if column.required else "")


def template_csv(kind: ImportKind) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header_of(column) for column in kind.columns])
    writer.writerow([column.example for column in kind.columns])
    return "\ufeff".encode("utf-8") + out.getvalue().encode("utf-8")


def template_xlsx(kind: ImportKind) -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = workbook.add_worksheet(kind.title["zh-CN"][:31])
    bold = workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    as_text = workbook.add_format({"num_format": "@"})  # phones and card numbers stay text
    for index, column in enumerate(kind.columns):
        sheet.write_string(0, index, header_of(column), bold)
        sheet.write_string(1, index, column.example, as_text)
        sheet.set_column(index, index, max(12, len(header_of(column)) * 2 + 2), as_text)
        hint = column.hint or {}
        if hint.get("zh-CN"):
            sheet.write_comment(0, index, hint["zh-CN"])
    sheet.freeze_panes(1, 0)
    notes = workbook.add_worksheet("说明")
    notes.set_column(0, 0, 18)
    notes.set_column(1, 1, 80)
    notes.write_string(0, 0, kind.title["zh-CN"], bold)
    notes.write_string(0, 1, kind.description.get("zh-CN", ""))
    notes.write_string(1, 0, "说明", bold)
    notes.write_string(1, 1, "第一行是表头，不要改动；带 * 的列必填。第二行是示例，原样导入时会被跳过，"
                             "请替换为您的数据。金额以元为单位，最多两位小数。先“试导入”检查，再正式导入。")
    for index, column in enumerate(kind.columns, start=3):
        notes.write_string(index, 0, header_of(column), bold)
        notes.write_string(index, 1, (column.hint or {}).get("zh-CN", ""))
    workbook.close()
    return out.getvalue()
