"""The merchant-local day of a stored UTC time, computed by the database."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, cast, func, type_coerce

from ..clock import MERCHANT_TZ, local_day_bounds

# Asia/Shanghai has kept UTC+8 without daylight saving since 1991, so SQLite's fixed offset
# gives the day PostgreSQL's time zone gives (tests/api/test_money_reports.py: a sale at 23:30).
_SQLITE_OFFSET = f"{int(MERCHANT_TZ.utcoffset(datetime(2026, 1, 1)).total_seconds()):+d} seconds"


def local_day(column, dialect: str):
    """``column`` (UTC) as the merchant's date, as SQL."""
    if dialect == "postgresql":
        return cast(func.timezone(MERCHANT_TZ.key, column), Date)
    return type_coerce(func.date(column, _SQLITE_OFFSET), Date)


def utc_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """The UTC instants [since, until) of local days ``start``..``end`` (inclusive)."""
    since = local_day_bounds(start)[0] if start else None
    until = local_day_bounds(end)[1] if end else None
    return since, until
