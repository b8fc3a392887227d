"""What an import kind is (members, cards, stored value, points …) and how cells become values.

A kind names its columns (key, Chinese and English titles, required or not, an example value,
the cell parser), the natural key of a row (phone, card number …), a ``check`` of the parsed
rows against the database (cards that exist, limits) and a ``post`` that writes them in bulk.
The core's kinds are in ``core.imports.members``; plugins return theirs from the
``register_import_kinds`` hook. Messages are {"zh-CN", "en"}: the people fixing the file read
Chinese, the API client may not.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from ..fields import PHONE_PATTERN
from ..text import name_problem, text_problem

MAX_FEN = 1_000_000_000  # 10 million yuan on one row: a typo, not a balance
MAX_UNITS = 100_000_000  # points, sessions … on one row


def message(zh: str, en: str) -> dict:
    return {"zh-CN": zh, "en": en}


class CellError(ValueError):
    """A cell that cannot be read: what is wrong, in Chinese and English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.message = message(zh, en)


@dataclass(frozen=True)
class Column:
    key: str
    title: dict  # {"zh-CN", "en"}: the header the template writes (either is accepted)
    parse: Callable[[Any], Any]  # the cell's value -> the row's value (raises CellError)
    required: bool = False
    example: str = ""
    hint: dict | None = None  # {"zh-CN", "en"}: the template's note under the header


@dataclass
class Row:
    number: int  # the row number the spreadsheet shows (the header is row 1)
    values: dict  # column key -> parsed value (None for an empty optional cell)


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str  # the column's key ("" for the whole row)
    message: dict  # {"zh-CN", "en"}

    def json(self, columns: dict[str, Column] | None = None) -> dict:
        title = columns[self.column].title if columns and self.column in columns else None
        return {"row": self.row, "column": self.column,
                "column_title": title["zh-CN"] if title else "", "message": self.message}


@dataclass
class ImportKind:
    """One kind of data a merchant can import.

    ``check(context, rows)`` returns RowProblems for rows the database refuses (unknown card,
    a limit reached …); ``post(context, rows)`` writes the rows (every one valid, none imported
    before; balances through ``context.post_opening``, once) and returns what it created
    ({"members": 3, "cards": 3}). ``totals(rows)`` sums the card credits of the rows per ledger
    asset; the core shows them in the dry run and reconciles them with the ledger.
    """

    key: str
    title: dict
    columns: tuple[Column, ...]
    natural_key: Callable[[dict], str]
    check: Callable[..., list[RowProblem]]
    post: Callable[..., dict]
    totals: Callable[[list], dict] | None = None
    description: dict = field(default_factory=lambda: message("", ""))
    plugin: str = ""  # "" for the core's own kinds

    def column_map(self) -> dict[str, Column]:
        return {column.key: column for column in self.columns}


# -- cell parsers: each takes what the reader gives (text from CSV; text, int, float, date,
# datetime or bool from .xlsx) and returns the value or raises CellError -----------------------

def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def as_text(value) -> str:
    """A cell as text: whole-number floats from Excel lose their ".0" (13800138000.0)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def text(limit: int, *, name: bool = False) -> Callable[[Any], str]:
    def parse(value) -> str:
        result = as_text(value)
        if len(result) > limit:
            raise CellError(f"最多 {limit} 个字", f"at most {limit} characters")
        wrong = name_problem(result) if name else text_problem(result, one_line=True)
        if wrong:
            raise CellError("含有不可见或不允许的字符", wrong)
        return result
    return parse


_PHONE = re.compile(PHONE_PATTERN)


def phone(value) -> str:
    result = as_text(value).replace(" ", "").replace("-", "")
    if result.startswith("+86"):
        result = result[3:]
    if not _PHONE.match(result):
        raise CellError("应为 11 位手机号，如 13800138000", "an 11-digit mainland mobile number, e.g. 13800138000")
    return result


_CARD_NUMBER = re.compile(r"^[0-9A-Za-z]{4,32}\Z")


def card_number(value) -> str:
    result = as_text(value)
    if not _CARD_NUMBER.match(result):
        raise CellError("卡号应为 4 到 32 位字母或数字", "4 to 32 letters or digits")
    return result


def yuan(value) -> int:
    """Yuan with at most two decimals (¥ and thousands separators allowed) -> integer fen."""
    if isinstance(value, bool):
        raise CellError("应为金额（元），如 1280.50", "an amount in yuan, e.g. 1280.50")
    if isinstance(value, float):
        amount = Decimal(repr(value))
    elif isinstance(value, int):
        amount = Decimal(value)
    else:
        raw = as_text(value).replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
        raw = raw.removesuffix("元").strip()
        try:
            amount = Decimal(raw)
        except InvalidOperation:
            raise CellError("应为金额（元），如 1280.50", "an amount in yuan, e.g. 1280.50") from None
    if not amount.is_finite():
        raise CellError("应为金额（元），如 1280.50", "an amount in yuan, e.g. 1280.50")
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise CellError("金额最多两位小数（分）", "at most two decimals (fen)")
    fen = int(fen)
    if not 0 <= fen <= MAX_FEN:
        raise CellError(f"金额应在 0 到 {MAX_FEN // 100} 元之间", f"from 0 to {MAX_FEN // 100} yuan")
    return fen


def whole(minimum: int = 0, maximum: int = MAX_UNITS) -> Callable[[Any], int]:
    def parse(value) -> int:
        if isinstance(value, bool):
            raise CellError("应为整数", "a whole number")
        if isinstance(value, float):
            if not value.is_integer():
                raise CellError("应为整数", "a whole number")
            value = int(value)
        if not isinstance(value, int):
            raw = as_text(value).replace(",", "")
            if not re.fullmatch(r"[+-]?[0-9]{1,12}", raw):
                raise CellError("应为整数", "a whole number")
            value = int(raw)
        if not minimum <= value <= maximum:
            raise CellError(f"应在 {minimum} 到 {maximum} 之间", f"from {minimum} to {maximum}")
        return value
    return parse


_DATE_TEXT = re.compile(r"([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?")


def day(value) -> date:
    """A date: an Excel date cell, 2027-12-31, 2027/12/31, 2027.12.31, 2027年12月31日 or 20271231."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 1 <= value < 2958466:
        return date(1899, 12, 30) + timedelta(days=int(value))  # an Excel serial left as a number
    raw = as_text(value)
    found = _DATE_TEXT.fullmatch(raw)
    parts = found.groups() if found else (
        (raw[:4], raw[4:6], raw[6:]) if re.fullmatch(r"[0-9]{8}", raw) else None)
    try:
        if parts is None:
            raise ValueError(raw)
        return date(*(int(part) for part in parts))
    except ValueError:
        raise CellError("应为日期，如 2027-12-31", "a date such as 2027-12-31") from None


def choice(options: dict[str, str], zh: str, en: str) -> Callable[[Any], str]:
    """One of ``options`` (any accepted spelling -> the stored value)."""
    folded = {key.casefold(): value for key, value in options.items()}

    def parse(value) -> str:
        result = folded.get(as_text(value).casefold())
        if result is None:
            raise CellError(zh, en)
        return result
    return parse
