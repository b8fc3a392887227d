"""Cells as Excel and other systems write them -> values; money to the fen, never a float."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from core.imports.kinds import CellError, card_number, day, phone, whole, yuan


@pytest.mark.parametrize("cell, fen", [
    ("1280.50", 128050), ("¥1,280.5", 128050), ("￥1，280.00元", 128000), ("0", 0), (" 7 ", 700),
    (1280.5, 128050), (0.1, 10), (19.99, 1999), (100, 10000), ("1e2", 10000),
])
def test_yuan_to_fen(cell, fen):
    assert yuan(cell) == fen and type(yuan(cell)) is int


@pytest.mark.parametrize("cell", ["1.005", "-5", "abc", "", "NaN", "inf", True, 1e12, "1,0,0.001"])
def test_yuan_refused(cell):
    with pytest.raises(CellError) as refused:
        yuan(cell)
    assert refused.value.message["zh-CN"] and refused.value.message["en"]


@pytest.mark.parametrize("cell, expected", [
    (datetime(2027, 12, 31), date(2027, 12, 31)), ("2027-12-31", date(2027, 12, 31)),
    ("2027/1/5", date(2027, 1, 5)), ("2027年12月31日", date(2027, 12, 31)), ("20271231", date(2027, 12, 31)),
    (46387, date(2026, 12, 31)),
])
def test_dates(cell, expected):
    assert day(cell) == expected


@pytest.mark.parametrize("cell", ["2027-02-30", "31/12/2027", "tomorrow", "2027-13-01"])
def test_dates_refused(cell):
    with pytest.raises(CellError):
        day(cell)


def test_phones_cards_and_whole_numbers_as_excel_stores_them():
    assert phone(13800138000.0) == "13800138000" and phone("+86 138-0013-8000") == "13800138000"
    assert card_number(88001234.0) == "88001234"
    assert whole()(520.0) == 520 and whole()("1,200") == 1200
    for bad in (1.5, "12a", -1, True):
        with pytest.raises(CellError):
            whole()(bad)
    with pytest.raises(CellError):
        phone("1380013800")
