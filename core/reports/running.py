"""One run of a report for a screen or a JSON client: sorted, paged and totalled in one pass.

The rows stream from the report; only the page asked for is kept (a heap of offset + limit
rows when sorting), so a million-row report answers a page in constant memory.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass
from itertools import islice
from typing import Iterable

from ..errors import Invalid, problem
from .types import Report

MAX_LIMIT = 1000
MAX_OFFSET = 100_000  # deeper than this, export the file


@dataclass
class Page:
    rows: list[dict]
    total_rows: int
    totals: dict  # column key -> sum, for summed columns
    offset: int
    limit: int
    sort: str | None


def sort_key_of(report: Report, sort: str | None):
    """``sort`` is a column key, ``-key`` for descending; Invalid when no such column."""
    if not sort:
        return None, False
    descending = sort.startswith("-")
    key = sort[1:] if descending else sort
    if report.column(key) is None:
        raise Invalid(f"cannot sort by {key!r}", details=[problem(
            "/sort", "a column key, '-' in front for descending: "
                     + ", ".join(column.key for column in report.columns))])
    return key, descending


def page_of(report: Report, rows: Iterable[dict], *, sort: str | None, offset: int,
            limit: int) -> Page:
    key, descending = sort_key_of(report, sort)
    summed = [column.key for column in report.columns if column.summed]
    totals = dict.fromkeys(summed, 0)
    counted = 0

    def totalled():
        nonlocal counted
        for row in rows:
            counted += 1
            for column in summed:
                value = row.get(column)
                if isinstance(value, int):
                    totals[column] += value
            yield row

    if key is None:
        stream = totalled()
        kept = list(islice(stream, offset, offset + limit))
        for _ in stream:  # the rest still counts toward the totals
            pass
    else:
        # Ties keep the report's own order (the row's position); missing values sort last.
        def order(item):
            position, row = item
            value = _comparable(row.get(key))
            return (value is None, _negate(value) if descending else value, position)

        best = heapq.nsmallest(offset + limit, enumerate(totalled()),
                               key=lambda item: _orderable(order(item)))
        kept = [row for _, row in best[offset:]]
    return Page(rows=kept, total_rows=counted, totals=totals, offset=offset, limit=limit,
                sort=sort or None)


def _comparable(value):
    """A text cell in both languages ({"zh-CN", "en"}) sorts by its Chinese text."""
    if isinstance(value, dict):
        return str(value.get("zh-CN") or value.get("en") or "")
    return value


class _Reversed:
    """Descending order for any comparable value (strings included)."""

    __slots__ = ("value",)

    def __init__(self, value) -> None:
        self.value = value

    def __lt__(self, other: "_Reversed") -> bool:
        return other.value < self.value

    def __eq__(self, other) -> bool:
        return isinstance(other, _Reversed) and other.value == self.value


def _negate(value):
    if value is None:
        return 0
    return -value if isinstance(value, int) and not isinstance(value, bool) else _Reversed(value)


def _orderable(parts):
    missing, value, position = parts
    if missing:
        return (True, 0, position)
    return (False, value, position)
