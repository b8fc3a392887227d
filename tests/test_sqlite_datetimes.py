"""UtcDateTime on SQLite reads its stored text on a short path (issue 11, F4): the same aware
UTC datetimes as SQLAlchemy's own processing, for every form the text can take."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import sqlite
from sqlalchemy.types import TypeDecorator

from core import tenancy
from core.db import Database
from core.models import ApiToken
from core.models.base import UtcDateTime

DIALECT = sqlite.dialect()


def _processors():
    impl = UtcDateTime().dialect_impl(DIALECT)
    return (impl.result_processor(DIALECT, None),
            TypeDecorator.result_processor(impl, DIALECT, None))  # SQLAlchemy's path


@pytest.mark.parametrize("text", [
    "2026-12-05 23:36:00.123456",  # how SQLAlchemy stores it
    "2026-12-05 23:36:00.000000",
    "1999-01-01 00:00:00.000001",
    "2026-12-05 23:36:00",  # other forms: the usual path
    "2026-12-05",
    "2026-12-05T23:36:00.123456",
    "2026-12-05 23:36:00.123456+08:00",
    None,
])
def test_same_value_as_sqlalchemys_processing(text):
    short, usual = _processors()
    value, expected = short(text), usual(text)
    assert value == expected
    if expected is not None:
        assert value.tzinfo is not None and value.utcoffset() == expected.utcoffset()
        assert value.isoformat() == expected.isoformat()


def test_malformed_text_fails_as_before():
    short, usual = _processors()
    for text in ("2026-13-45 23:36:00.123456", "not a date at all, 26 chars"):
        with pytest.raises(ValueError):
            usual(text)
        with pytest.raises(ValueError):
            short(text)


def test_round_trip_through_sqlite(tmp_path):
    db = Database.from_url(f"sqlite:///{tmp_path / 'dt.sqlite'}")
    try:
        from core.migrate import upgrade
        from core.plugins import build_registry

        upgrade(db.engine, registry=build_registry())
        moment = datetime(2026, 12, 5, 23, 36, 0, 123456, tzinfo=timezone(timedelta(hours=8)))
        whole_second = datetime(2026, 12, 5, 15, 0, 0, tzinfo=timezone.utc)
        with db.write() as session:
            merchant = tenancy.create_merchant(session, "时间店")
            staff = tenancy.create_staff(session, merchant.id, username="owner1",
                                         password="owner-password", role="owner")
            tenancy.issue_token(session, staff)
            tenancy.issue_token(session, staff)
            first, second = session.scalars(select(ApiToken).order_by(ApiToken.id)).all()
            first.revoked_at, second.revoked_at = moment, whole_second
        with db.read() as session:
            read = session.scalars(select(ApiToken.revoked_at).order_by(ApiToken.id)).all()
        assert read == [moment, whole_second]
        assert all(value.tzinfo is timezone.utc for value in read)
    finally:
        db.dispose()


@pytest.mark.parametrize("text", [
    "2026-12-05 23:36:00.123456",  # how SQLAlchemy stores it
    "2026-12-05 23:36:00.000000",  # isoformat writes no fraction
    "1999-01-01 00:00:00.000001",
    "2026-12-05 23:36:00",  # other forms: the processor, then isoformat
    "2026-12-05T23:36:00.123456",
    "2026-12-05 23:36:00.123456+08:00",
    "2026-02-30 23:36:00.123456",  # no such day: refused as SQLAlchemy refuses it
])
def test_a_member_page_writes_stored_times_as_isoformat_does(text):
    """core.member_search turns SQLite's stored text into the API's ISO text directly."""
    from core.member_page_rows import _iso_text

    short, _usual = _processors()
    direct = _iso_text(short, stored_as_text=True, is_date=False)
    try:
        expected = short(text).isoformat()
    except ValueError:
        with pytest.raises(ValueError):
            direct(text)
        return
    assert direct(text) == expected


@pytest.mark.parametrize("text", ["2031-02-28", "2031-12-01", "2031-02-30", "2031-2-28x"])
def test_a_member_page_writes_stored_dates_as_isoformat_does(text):
    from sqlalchemy import Date

    from core.member_page_rows import _iso_text

    usual = Date().dialect_impl(DIALECT).result_processor(DIALECT, None)
    direct = _iso_text(usual, stored_as_text=True, is_date=True)
    try:
        expected = usual(text).isoformat()
    except ValueError:
        with pytest.raises(ValueError):
            direct(text)
        return
    assert direct(text) == expected
