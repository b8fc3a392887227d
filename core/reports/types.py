"""The value types of the report catalogue: columns, reports and one run's parameters."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Iterable

from sqlalchemy.orm import Session

# fen: integer money in fen (¥ in Excel); count: an integer; date: "YYYY-MM-DD";
# text: a string, or {"zh-CN": …, "en": …} shown in the reader's language (a tier's name);
# permille: an integer in ‰ (880 = 88 %, shown as 8.8折 on a price).
COLUMN_TYPES = ("fen", "count", "date", "text", "permille")


@dataclass(frozen=True)
class Column:
    key: str
    title: dict  # {"zh-CN": ..., "en": ...}
    type: str = "text"
    total: bool | None = None  # summed in the totals row; None: fen and count columns are

    def __post_init__(self) -> None:
        if self.type not in COLUMN_TYPES:
            raise ValueError(f"column {self.key!r}: type {self.type!r} is not one of {COLUMN_TYPES}")

    @property
    def summed(self) -> bool:
        return self.type in ("fen", "count") if self.total is None else self.total

    def describe(self) -> dict:
        return {"key": self.key, "title": self.title, "type": self.type, "total": self.summed}


def money(key: str, zh: str, en: str, **kwargs) -> Column:
    return Column(key, {"zh-CN": zh, "en": en}, "fen", **kwargs)


def count(key: str, zh: str, en: str, **kwargs) -> Column:
    return Column(key, {"zh-CN": zh, "en": en}, "count", **kwargs)


def date_column(key: str, zh: str, en: str, **kwargs) -> Column:
    return Column(key, {"zh-CN": zh, "en": en}, "date", **kwargs)


def text(key: str, zh: str, en: str, **kwargs) -> Column:
    return Column(key, {"zh-CN": zh, "en": en}, "text", **kwargs)


def permille(key: str, zh: str, en: str, **kwargs) -> Column:
    return Column(key, {"zh-CN": zh, "en": en}, "permille", **kwargs)


@dataclass(frozen=True)
class ReportQuery:
    """One run of a report, parameters already checked (core.reports.parameters).

    ``start``/``end`` are merchant-local dates, both inclusive (None when the report takes no
    period). ``store_id`` None means every store the caller may see. ``params`` holds the
    report's own parameters, converted to their declared JSON types.
    """

    merchant_id: int
    config: Any  # core.merchant_config.MerchantConfig
    now: datetime
    start: date | None = None
    end: date | None = None
    store_id: int | None = None
    params: dict = field(default_factory=dict)


@dataclass
class Report:
    """What a report is: the catalogue serves and exports it from this description alone.

    ``rows(session, query)`` yields dicts keyed by column key (missing keys read as empty).
    ``period``: the report takes ``from``/``to`` (local dates); ``by_store``: it can be limited
    to one store (``store``); ``parameters``: JSON Schema properties of its own query
    parameters (strings, integers, booleans; enums welcome), all optional.
    ``sortable``: the JSON API may sort its rows by any column (the rows are few enough, or
    the order does not matter to the total). ``plugin`` is filled in by the registry
    ("core" for the built-in ones).
    """

    id: str
    title: dict
    columns: list[Column]
    rows: Callable[[Session, ReportQuery], Iterable[dict]]
    description: dict = field(default_factory=dict)
    period: bool = True
    by_store: bool = True
    parameters: dict = field(default_factory=dict)
    default_days: int = 30  # the default period: the last N local days, today included
    plugin: str = ""

    def column(self, key: str) -> Column | None:
        return next((column for column in self.columns if column.key == key), None)
