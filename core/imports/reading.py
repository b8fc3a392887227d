"""A file's bytes -> its header and rows, whatever Excel or another system saved: .xlsx (read
with openpyxl in read-only mode, one row at a time) or CSV in UTF-8 (with or without a BOM),
GBK/GB18030 (what Chinese Excel writes for "CSV") or UTF-16 (Excel's "Unicode text").

Anything else is refused with a clear message (``FileRefused``), never an exception from a
library: old .xls files, zip bombs, binary junk, a header past ``MAX_COLUMNS`` columns, more
than ``MAX_ROWS`` rows, cells past ``MAX_CELL``.
"""
from __future__ import annotations

import codecs
import csv
import io
import zipfile
from dataclasses import dataclass
from typing import Iterator

from ..errors import Invalid
from .kinds import message

MAX_ROWS = 200_000  # data rows in one file
MAX_COLUMNS = 60
MAX_CELL = 2_000  # characters in one cell
MAX_UNZIPPED = 200 * 1024 * 1024  # what the parts of an .xlsx may declare, all together

_XLS = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an old binary .xls (OLE2)


class FileRefused(Invalid):
    """The file as a whole cannot be read (422); ``details`` holds one {"zh-CN", "en"} message."""

    code = "import_file_refused"

    def __init__(self, zh: str, en: str, code: str | None = None) -> None:
        super().__init__(en, code=code, details=[{"pointer": "/file", "message": en,
                                                  "message_i18n": message(zh, en)}])
        self.i18n = message(zh, en)


@dataclass
class Table:
    format: str  # "xlsx" or "csv"
    encoding: str  # the CSV's text encoding ("" for .xlsx)
    header: list[str]
    rows: list[tuple[int, list]]  # (spreadsheet row number, cells), blank rows left out


def read_table(data: bytes) -> Table:
    if not data or not data.strip():
        raise FileRefused("文件是空的", "the file is empty", code="import_file_empty")
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    if data.startswith(_XLS):
        raise FileRefused("这是旧的 .xls 格式：请在 Excel 中“另存为” .xlsx 或 CSV 后再导入",
                          "an old .xls file: save it as .xlsx or CSV in Excel and import that",
                          code="import_file_format")
    return _read_csv(data)


# -- CSV -----------------------------------------------------------------------------------------

def _decode(data: bytes) -> tuple[str, str]:
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                break
    else:
        if b"\x00" not in data:
            for encoding in ("utf-8", "gb18030"):  # GB18030 reads every GBK file
                try:
                    return data.decode(encoding), "gbk" if encoding == "gb18030" else encoding
                except UnicodeDecodeError:
                    continue
    raise FileRefused("无法识别的文件：请上传 .xlsx 或 CSV（UTF-8 或 GBK 编码）",
                      "not a file Huika can read: upload .xlsx or CSV (UTF-8 or GBK)",
                      code="import_file_format")


def _read_csv(data: bytes) -> Table:
    text, encoding = _decode(data)
    if any(ord(char) < 32 and char not in "\t\r\n" for char in text[:65536]) or "\x00" in text:
        raise FileRefused("文件含有二进制内容，不是表格", "the file holds binary data, not a table",
                          code="import_file_format")
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _collect("csv", encoding, ((index, row) for index, row in enumerate(reader, start=1)))
    except csv.Error as error:
        raise FileRefused(f"CSV 格式错误：{error}", f"the CSV cannot be read: {error}",
                          code="import_file_format") from None


# -- .xlsx ---------------------------------------------------------------------------------------

def _read_xlsx(data: bytes) -> Table:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        declared = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise FileRefused("文件已损坏或不是 .xlsx", "the file is damaged or not an .xlsx",
                          code="import_file_format") from None
    if declared > MAX_UNZIPPED:
        raise FileRefused("文件解压后过大", "the file unpacks to more than Huika reads",
                          code="import_file_too_large")
    from openpyxl import load_workbook  # only when an .xlsx arrives: it is slow to import

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            rows = ((index, list(cells)) for index, cells in
                    enumerate(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1), start=1))
            return _collect("xlsx", "", rows)
        finally:
            workbook.close()
    except FileRefused:
        raise
    except Exception:  # openpyxl raises many kinds (KeyError, XML errors …) on a bad file
        raise FileRefused("文件已损坏或不是 .xlsx", "the file is damaged or not an .xlsx",
                          code="import_file_format") from None


# -- both ----------------------------------------------------------------------------------------

def _collect(format: str, encoding: str, rows: Iterator[tuple[int, list]]) -> Table:
    header: list[str] | None = None
    body: list[tuple[int, list]] = []
    for number, cells in rows:
        if len(cells) > MAX_COLUMNS and any(not _empty(cell) for cell in cells[MAX_COLUMNS:]):
            raise FileRefused(f"列太多：最多 {MAX_COLUMNS} 列", f"too many columns: at most {MAX_COLUMNS}",
                              code="import_file_columns")
        cells = cells[:MAX_COLUMNS]
        if all(_empty(cell) for cell in cells):
            continue
        for cell in cells:
            if isinstance(cell, str) and len(cell) > MAX_CELL:
                raise FileRefused(f"第 {number} 行有超过 {MAX_CELL} 个字的单元格",
                                  f"row {number} has a cell longer than {MAX_CELL} characters",
                                  code="import_file_cell")
        if header is None:
            header = ["" if _empty(cell) else str(cell).strip() for cell in cells]
            continue
        if len(body) >= MAX_ROWS:
            raise FileRefused(f"行数太多：一次最多 {MAX_ROWS} 行，请分成几个文件",
                              f"too many rows: at most {MAX_ROWS} per file, split it",
                              code="import_file_rows")
        body.append((number, cells))
    if header is None:
        raise FileRefused("文件是空的", "the file is empty", code="import_file_empty")
    return Table(format=format, encoding=encoding, header=header, rows=body)


def _empty(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())
