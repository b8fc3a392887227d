"""Every member lookup (issue 11, F4) is answered from an index on SQLite and PostgreSQL: no
full scan of members, and pages of several members come in index order (no sort).

The merchant has 5,000 members with cards (and ANALYZE ran), so the planners know how
selective each index is. SQLite: EXPLAIN QUERY PLAN. PostgreSQL: EXPLAIN with sequential
scans priced out (``enable_seqscan = off``): it shows which index answers; a query no index
fits would still show its Seq Scan.
"""
from __future__ import annotations

import pytest
from sqlalchemy import insert, text

from core import member_search, tenancy
from core.db import Database
from core.models import Card, Member

MEMBERS = 5_000
# criterion -> the index that must answer it (SQLite names a UNIQUE constraint's index itself)
EXPECTED_INDEX = {
    "phone": ("uq_members_merchant_id_phone", "sqlite_autoindex_members_1"),
    "phone_last4": ("ix_members_merchant_phone_last4",),
    "card_number": ("uq_cards_merchant_id_number", "sqlite_autoindex_cards_1"),
    "name_prefix": ("ix_members_merchant_name",),
}
VALUES = {"phone": "13800138000", "phone_last4": "8000", "card_number": "80000001",
          "name_prefix": "王芳"}


@pytest.fixture
def engine(database_url):
    db = Database.from_url(database_url)
    with db.write() as session:
        merchant_id = tenancy.create_merchant(session, "计划店").id
        surnames, given = "王李张刘陈杨黄赵吴周", "伟芳娜敏静丽强磊军洋"
        session.execute(insert(Member.__table__), [
            {"id": n + 1, "merchant_id": merchant_id, "phone": f"138{n:08d}",
             "name": surnames[n % 10] + given[n // 10 % 10] + given[n // 100 % 10],
             "gender": "unspecified", "birthday_calendar": "solar", "birthday_leap_month": False,
             "address": "", "occupation": "", "income_band": "", "extra": {}, "channel": "counter"}
            for n in range(MEMBERS)])
        session.execute(insert(Card.__table__), [
            {"merchant_id": merchant_id, "number": f"{80000000 + n}", "kind": "standard",
             "member_id": n + 1, "status": "active", "batch": ""} for n in range(MEMBERS)])
    with db.engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()
    assert merchant_id == 1
    yield db.engine
    db.dispose()


def plan(connection, statement, parameters) -> str:
    sql = str(statement.params(parameters).compile(
        dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql).all()
        return "\n".join(row[-1] for row in rows)
    connection.execute(text("SET LOCAL enable_seqscan = off"))
    return "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + sql).all())


@pytest.mark.parametrize("kind", list(EXPECTED_INDEX))
def test_each_lookup_uses_its_index(engine, kind):
    criteria = member_search.Criteria.of(**{kind: VALUES[kind]})
    shape, parameters = member_search._shape_and_parameters(1, criteria)
    page, with_cards, count, packed = member_search._statements(shape)
    parameters = {**parameters, "limit": 20, "offset": 0}
    with engine.connect() as connection:
        # with_cards, count and packed (SQLite's page): core.direct_sql.DirectStatement
        sqlite = connection.dialect.name == "sqlite"
        for statement in (page, with_cards.statement, count.statement,
                          *([packed.statement] if sqlite else [])):
            shown = plan(connection, statement, parameters)
            assert any(index in shown for index in EXPECTED_INDEX[kind]), shown
            assert "SCAN members" not in shown and "Seq Scan on members" not in shown, shown
        if kind in ("phone_last4", "name_prefix"):  # many members: the index gives the order
            shown = plan(connection, page, parameters)
            assert "TEMP B-TREE" not in shown and "Sort" not in shown, shown
        if kind == "phone_last4":  # SQLite reads the page's members and cards in id order too
            for statement in (with_cards.statement, *([packed.statement] if sqlite else [])):
                shown = plan(connection, statement, parameters)
                assert "TEMP B-TREE" not in shown, shown
