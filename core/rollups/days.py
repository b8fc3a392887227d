"""The merchant-local day of a stored UTC time, computed by the database."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Date, cast, func, type_coerce

from ..clock import MERCHANT_TZ, local_day_bounds


def local_day(column, dialect: str):
    """``column`` (UTC) as the merchant's date, as SQL. Asia/Shanghai has had no daylight
    saving since 1991, so SQLite's fixed offset is the same day PostgreSQL's zone gives."""
    if dialect == "postgresql":
        return cast(func.timezone(MERCHANT_TZ.key, column), Date)
    offset = int(MERCHANT_TZ.utcoffset(datetime(2020, 1, 1)).total_seconds())
    return type_coerce(func.date(column, f"{offset:+d} seconds"), Date)


def utc_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """The UTC instants [since, until) of local days ``start``..``end`` (inclusive)."""
    since = local_day_bounds(start)[0] if start else None
    until = local_day_bounds(end)[1] if end else None
    return since, until


def _check() -> None:  # the fixed offset above must be the zone's for every day we serve
    for year in (1992, 2026, 2040):
        moment = datetime(year, 7, 1, tzinfo=timezone.utc)
        assert MERCHANT_TZ.utcoffset(moment.replace(tzinfo=None)) == timedelta(hours=8)


_check()
