"""core.direct_sql for the reads every API request makes (issue 11, F4: the bearer-token check,
member lookups): ``first`` and ``raw_rows`` answer exactly what SQLAlchemy's execution
answers, on SQLite and PostgreSQL, typed columns converted (``first``) or with their
processors (``raw_rows``); an ORM session, or parameters rendered per call (an expanding IN,
literal_execute), take SQLAlchemy's path; driver errors are SQLAlchemy's and leave the read
connection usable. And the bearer-token check built on it still refuses a token the moment it
is revoked or its staff user deactivated, also when another connection (another worker) made
the change."""
from __future__ import annotations

import pytest
from sqlalchemy import bindparam, event, select, text, update
from sqlalchemy.exc import DBAPIError

from core import tenancy
from core.clock import now_utc
from core.db import Database
from core.direct_sql import DirectStatement, convert
from core.models import ApiToken, Merchant, Staff

staff = Staff.__table__


@pytest.fixture
def token(db):
    with db.write() as session:
        merchant = tenancy.create_merchant(session, "预编译店")
        person = tenancy.create_staff(session, merchant.id, username="cashier1",
                                      password="cashier-password", role="cashier",
                                      store_id=merchant.stores[0].id)
        return tenancy.issue_token(session, person, label="test")


def _took_the_drivers_path(direct: DirectStatement) -> bool:
    return bool(direct._compiled) and all(value is not None for value in direct._compiled.values())


def test_first_gives_sqlalchemys_row(db, token):
    statement = (select(staff.c.id, staff.c.username, staff.c.role, staff.c.store_id)
                 .where(staff.c.username == bindparam("username"), staff.c.role != "nobody"))
    direct = DirectStatement(statement)
    with db.engine.connect() as connection:
        expected = connection.execute(statement, {"username": "cashier1"}).first()
        assert direct.first(connection, {"username": "cashier1"}) == tuple(expected)
        assert direct.first(connection, {"username": "nobody"}) is None
        # within an open transaction it reads that transaction's own writes
        connection.execute(update(Staff).values(username="renamed"))
        assert direct.first(connection, {"username": "renamed"}) == tuple(expected)[:1] + (
            "renamed",) + tuple(expected)[2:]
        connection.rollback()
    assert _took_the_drivers_path(direct)


def test_first_converts_typed_columns_as_sqlalchemy_does(db, token):
    statement = select(ApiToken.__table__.c.created_at, ApiToken.__table__.c.revoked_at,
                       staff.c.active).join_from(ApiToken.__table__, staff)
    direct = DirectStatement(statement)
    with db.engine.connect() as connection:
        found = direct.first(connection, {})
        assert found == tuple(connection.execute(statement).first())
    moment, revoked, active = found
    assert moment.tzinfo is not None and revoked is None and active is True
    assert _took_the_drivers_path(direct)


def test_an_orm_session_takes_sqlalchemys_path_and_sees_its_own_changes(db, token):
    """On a session the statement runs through it: the session flushes what it holds first
    (the driver's cursor would not see an unflushed change) and it runs in its transaction."""
    with db.read() as session:
        found = tenancy.caller_for_token(session, token)
        assert found.username == "cashier1" and found.role == "cashier"
    by_name = DirectStatement(select(staff.c.username).where(staff.c.id == bindparam("id")))
    with db.write() as session:
        person = session.scalar(select(Staff))
        person.username = "changed"  # not flushed yet
        assert by_name.first(session, {"id": person.id}) == ("changed",)
        assert by_name.scalar(session, {"id": person.id}) == "changed"
        assert by_name.raw_rows(session, {"id": person.id}) == ([("changed",)], (None,))
        session.rollback()
    assert by_name._compiled == {}  # never compiled for the driver


def test_driver_errors_are_sqlalchemys_and_the_connection_stays_usable(db, token):
    broken = DirectStatement(select(text("no_such_column")).select_from(Merchant.__table__))
    names = DirectStatement(select(Merchant.__table__.c.name))
    with db.read_engine.connect() as connection:
        with pytest.raises(DBAPIError):
            broken.first(connection, {})
        assert not connection.invalidated
        # the failed statement's transaction was rolled back (PostgreSQL would refuse every
        # further statement in it)
        assert names.first(connection, {}) == ("预编译店",)


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
    assert _took_the_drivers_path(tenancy._TOKEN_CALLER)


def test_raw_rows_are_the_drivers_with_the_columns_processors(db, token):
    """``raw_rows``: every row as the driver gives it plus each column's processor (as
    ``result_processors`` gives them); converted, they are SQLAlchemy's rows."""
    statement = (select(staff.c.id, staff.c.username, staff.c.active, staff.c.created_at)
                 .where(staff.c.username != bindparam("nobody")).order_by(staff.c.id))
    direct = DirectStatement(statement)
    with db.engine.connect() as connection:
        expected = [tuple(row) for row in connection.execute(statement, {"nobody": "x"})]
        rows, processors = direct.raw_rows(connection, {"nobody": "x"})
        assert processors is direct.result_processors(connection.dialect)
        assert direct.rows(connection, {"nobody": "x"}) == expected
    assert [convert(row, processors) for row in rows] == expected
    assert [row[1] for row in expected] == ["cashier1"]
    assert processors[3] is not None  # an aware datetime needs converting on either database
    assert _took_the_drivers_path(direct)


@pytest.mark.parametrize("rendered", ["expanding", "literal_execute"])
def test_parameters_rendered_per_call_take_sqlalchemys_path(db, token, rendered):
    if rendered == "expanding":
        statement = select(staff.c.username).where(
            staff.c.username.in_(bindparam("names", expanding=True)))
        parameters, other = {"names": ["cashier1", "x"]}, {"names": ["x"]}
    else:
        statement = select(staff.c.username).where(
            staff.c.username == bindparam("names", literal_execute=True))
        parameters, other = {"names": "cashier1"}, {"names": "x"}
    direct = DirectStatement(statement)
    with db.engine.connect() as connection:
        assert direct.first(connection, parameters) == ("cashier1",)
        assert direct.first(connection, other) is None
        assert direct.raw_rows(connection, parameters) == ([("cashier1",)], (None,))
    assert list(direct._compiled.values()) == [None]  # compiled as "the usual path"


def test_cursor_listeners_see_the_reads_of_a_read_connection(db, token):
    """Listeners on the engine (the bench's statement counter) and on the connection itself
    see the token check as SQLAlchemy's statements; an ``after_cursor_execute`` listener
    sends it SQLAlchemy's way, with its execution context."""
    seen, after = [], []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(("engine", statement.split()[0]))

    def on_connection(conn, cursor, statement, parameters, context, executemany):
        seen.append(("connection", statement.split()[0]))

    def after_listener(conn, cursor, statement, parameters, context, executemany):
        after.append(context is not None)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        with db.read_engine.connect() as connection:
            assert tenancy.caller_for_token(connection, token).username == "cashier1"
            assert seen == [("engine", "SELECT")]
            event.listen(connection, "before_cursor_execute", on_connection)
            assert tenancy.caller_for_token(connection, token).username == "cashier1"
            assert sorted(seen[1:]) == [("connection", "SELECT"), ("engine", "SELECT")]
        event.listen(db.engine, "after_cursor_execute", after_listener)
        try:
            with db.read_engine.connect() as connection:
                assert tenancy.caller_for_token(connection, token).username == "cashier1"
        finally:
            event.remove(db.engine, "after_cursor_execute", after_listener)
        assert after and all(after)  # SQLAlchemy's path (and SQLite's BEGIN): with a context
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
