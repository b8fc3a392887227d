"""Read transactions (core.db.Database.read, end_read): nothing they change is kept, and on
PostgreSQL they are READ ONLY and end with COMMIT, so psycopg keeps the connection's prepared
statements (a ROLLBACK makes it deallocate them all: every checkout was parsed and planned
anew, issue 11)."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from core.db import Database, end_read
from core.models import Merchant
from core.direct_sql import DirectStatement


@pytest.fixture
def db(database_url):
    # One connection: every session below runs on the same one, as a busy pool's would.
    database = Database.from_url(database_url, pool_size=1, max_overflow=0)
    with database.write() as session:
        session.add(Merchant(name="读店"))
    yield database
    database.dispose()


def test_changes_made_in_a_read_session_are_not_kept(db):
    with db.read() as session:
        merchant = session.scalar(select(Merchant))
        merchant.name = "改名"
    with db.read() as session:
        assert session.scalar(select(Merchant.name)) == "读店"


def test_a_read_session_that_fails_changes_nothing(db):
    with pytest.raises(ZeroDivisionError):
        with db.read() as session:
            session.scalar(select(Merchant.id))
            1 / 0
    with db.read() as session:
        assert session.scalar(select(Merchant.name)) == "读店"


def test_read_sessions_cannot_write_on_postgresql(db):
    if db.dialect != "postgresql":
        pytest.skip("SQLite's read sessions are rolled back instead")
    with pytest.raises(DBAPIError, match="read-only transaction"):
        with db.read() as session:
            session.execute(update(Merchant).values(name="写"))
    with db.read() as session:
        assert session.scalar(select(Merchant.name)) == "读店"


def _prepared_statements(db) -> int:
    with db.read() as session:
        return session.scalar(text("SELECT count(*) FROM pg_prepared_statements"))


def test_prepared_statements_outlive_read_sessions_and_connections(db):
    if db.dialect != "postgresql":
        pytest.skip("psycopg's prepared statements")
    for _ in range(8):  # psycopg prepares a statement after 5 runs on a connection
        with db.read() as session:
            session.scalar(select(Merchant.name).where(Merchant.id > 0))
    assert _prepared_statements(db) >= 1
    lookup = DirectStatement(select(Merchant.name, Merchant.id).where(Merchant.id > 0))
    for _ in range(8):  # on the driver's cursor, as the token check and lookups run
        connection = db.read_engine.connect()
        assert lookup.first(connection, {})[0] == "读店"
        end_read(connection)
        assert connection.connection.dbapi_connection.info.transaction_status == 0  # idle
        connection.close()
    assert _prepared_statements(db) >= 2
    with db.write() as session:  # writes commit: still prepared afterwards
        session.execute(update(Merchant).values(name="读店"))
    assert _prepared_statements(db) >= 2


def test_reads_on_the_drivers_cursor_end_with_end_read_and_cannot_write(db):
    """A read connection's statements on the driver's cursor (core.direct_sql: the token check,
    lookups, outside any transaction SQLAlchemy knows of): on PostgreSQL they run in the
    driver's READ ONLY transaction, which end_read ends with COMMIT; on SQLite each runs on
    its own."""
    names = DirectStatement(select(Merchant.name))
    rename = DirectStatement(update(Merchant.__table__).values(name="写"))
    connection = db.read_engine.connect()
    try:
        driver = connection.connection.dbapi_connection
        assert names.first(connection, {}) == ("读店",)
        if db.dialect == "postgresql":
            assert driver.info.transaction_status == 2  # INTRANS: the driver's own
            end_read(connection)
            assert driver.info.transaction_status == 0  # idle: committed
            with pytest.raises(DBAPIError, match="read-only transaction"):
                rename.execute_many(connection, [{}])
            assert names.first(connection, {}) == ("读店",)  # the failed one was rolled back
        else:
            assert not driver.in_transaction
        end_read(connection)
    finally:
        connection.close()
    with db.read() as session:
        assert session.scalar(select(Merchant.name)) == "读店"
