"""core.prebuilt (issue 11, F4): a SELECT sent to the driver as compiled SQL answers exactly
what SQLAlchemy's execution answers, on SQLite and PostgreSQL; a statement whose columns need
type processing, or an ORM session, takes SQLAlchemy's path; driver errors are SQLAlchemy's.
And the bearer-token check built on it still refuses a token the moment it is revoked or its
staff user deactivated, also when another connection (another worker) made the change."""
from __future__ import annotations

import pytest
from sqlalchemy import bindparam, select, text, update
from sqlalchemy.exc import DBAPIError

from core import tenancy
from core.clock import now_utc
from core.db import Database
from core.models import ApiToken, Merchant, Staff
from core.prebuilt import Prebuilt

staff = Staff.__table__


@pytest.fixture
def token(db):
    with db.write() as session:
        merchant = tenancy.create_merchant(session, "预编译店")
        person = tenancy.create_staff(session, merchant.id, username="cashier1",
                                      password="cashier-password", role="cashier",
                                      store_id=merchant.stores[0].id)
        return tenancy.issue_token(session, person, label="test")


def test_same_rows_as_sqlalchemy(db, token):
    statement = (select(staff.c.id, staff.c.username, staff.c.role, staff.c.store_id)
                 .where(staff.c.username == bindparam("username"), staff.c.role != "nobody"))
    prebuilt = Prebuilt(statement)
    with db.engine.connect() as connection:
        expected = connection.execute(statement, {"username": "cashier1"}).first()
        assert prebuilt.first(connection, {"username": "cashier1"}) == tuple(expected)
        assert prebuilt.first(connection, {"username": "nobody"}) is None
        # within an open transaction it reads that transaction's own writes
        connection.execute(update(Staff).values(username="renamed"))
        assert prebuilt.first(connection, {"username": "renamed"}) == tuple(expected)[:1] + (
            "renamed",) + tuple(expected)[2:]
        connection.rollback()
    assert prebuilt._compiled and all(value is not None for value in prebuilt._compiled.values())


def test_typed_columns_and_sessions_take_sqlalchemys_path(db, token):
    created = Prebuilt(select(ApiToken.__table__.c.created_at))  # a UtcDateTime: processed
    with db.engine.connect() as connection:
        moment = created.first(connection, {})[0]
    assert moment.tzinfo is not None  # aware, as SQLAlchemy's processing makes it
    assert list(created._compiled.values()) == [None]
    with db.read() as session:
        found = tenancy.caller_for_token(session, token)
    assert found.username == "cashier1" and found.role == "cashier"


def test_driver_errors_are_sqlalchemys(db):
    broken = Prebuilt(select(text("no_such_column")).select_from(Merchant.__table__))
    with db.engine.connect() as connection, pytest.raises(DBAPIError):
        broken.first(connection, {})


def test_revoked_token_and_deactivated_staff_are_refused_at_once(db, token):
    other = Database.from_url(str(db.engine.url.render_as_string(hide_password=False)))
    try:
        with db.engine.connect() as connection:
            found = tenancy.caller_for_token(connection, token)
        assert (found.username, found.role) == ("cashier1", "cashier")
        with other.write() as session:  # another process's connection
            session.execute(update(Staff).values(active=False))
        with db.engine.connect() as connection:
            assert tenancy.caller_for_token(connection, token) is None
        with other.write() as session:
            session.execute(update(Staff).values(active=True))
            session.execute(update(ApiToken).values(revoked_at=now_utc()))
        with db.engine.connect() as connection:
            assert tenancy.caller_for_token(connection, token) is None
            assert tenancy.caller_for_token(connection, token + "x") is None
    finally:
        other.dispose()


def test_rows_are_the_drivers_with_the_columns_processors(db, token):
    """``rows``: every row as the driver gives it plus each column's processor; applied, they
    are SQLAlchemy's rows. None on an ORM session (the caller executes the statement)."""
    statement = (select(staff.c.id, staff.c.username, staff.c.active, staff.c.created_at)
                 .where(staff.c.username != bindparam("nobody")).order_by(staff.c.id))
    prebuilt = Prebuilt(statement)
    with db.engine.connect() as connection:
        expected = [tuple(row) for row in connection.execute(statement, {"nobody": "x"})]
        rows, processors = prebuilt.rows(connection, {"nobody": "x"})
    converted = [tuple(process(value) if process and value is not None else value
                       for process, value in zip(processors, row)) for row in rows]
    assert converted == expected and [row[1] for row in expected] == ["cashier1"]
    assert processors[3] is not None  # an aware datetime needs converting on either database
    with db.read() as session:
        assert prebuilt.rows(session, {"nobody": "x"}) is None
