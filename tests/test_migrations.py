"""The Alembic migrations build exactly the models' schema, reversibly, with the ledger's guards."""
from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from core import migrate
from core.db import make_engine
from core.models import Account, Base, Card, Entry, LedgerTransaction, Merchant
from core.plugins import build_registry


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def schema_differences(engine) -> list:
    """What autogenerate would put into a new migration; nothing is ignored."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_migrated_schema_matches_the_models(engine):
    assert schema_differences(engine) == []


@pytest.fixture
def fresh_engine(database_url, tmp_path):
    """A database that only the migrations have touched: a new SQLite file, or the per-test
    PostgreSQL database (a copy of the freshly migrated template)."""
    if not database_url.startswith("sqlite"):
        engine = make_engine(database_url)
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
        migrate.upgrade(engine, registry=build_registry())
    yield engine
    engine.dispose()


def applied_heads(engine) -> set[str]:
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def test_downgrade_to_base_and_upgrade_to_head(fresh_engine):
    # The core's history plus every installed plugin's branch, as `huika init` runs them.
    registry = build_registry()
    locations = migrate.plugin_version_locations(registry)
    heads = set(ScriptDirectory.from_config(migrate.alembic_config(None, locations)).get_heads())
    assert heads and applied_heads(fresh_engine) == heads

    with fresh_engine.begin() as connection:
        command.downgrade(migrate.alembic_config(connection, locations), "base")
    assert applied_heads(fresh_engine) == set()
    assert set(inspect(fresh_engine).get_table_names()) <= {"alembic_version"}

    migrate.upgrade(fresh_engine, registry=registry)
    assert applied_heads(fresh_engine) == heads
    assert set(Base.metadata.tables) <= set(inspect(fresh_engine).get_table_names())
    assert schema_differences(fresh_engine) == []
    _, entry_id = add_entry(fresh_engine)  # the triggers are back too
    with pytest.raises(DBAPIError, match="ledger entries are immutable"):
        with fresh_engine.begin() as connection:
            connection.execute(text("DELETE FROM entries WHERE id = :id"), {"id": entry_id})


def add_entry(engine) -> tuple[int, int]:
    """A merchant account with one posted entry of 500: (merchant id, entry id)."""
    with Session(engine) as session, session.begin():
        merchant = Merchant(name="账本测试")
        session.add(merchant)
        session.flush()
        account = Account(merchant_id=merchant.id, owner="merchant", purpose="cash",
                          asset="cny_fen", balance=500)
        transaction = LedgerTransaction(merchant_id=merchant.id, type="test")
        session.add_all([account, transaction])
        session.flush()
        entry = Entry(transaction_id=transaction.id, account_id=account.id, asset="cny_fen",
                      amount=500)
        session.add(entry)
        session.flush()
        return merchant.id, entry.id


@pytest.mark.parametrize("statement", ["UPDATE entries SET amount = 1 WHERE id = :id",
                                       "DELETE FROM entries WHERE id = :id"])
def test_ledger_entries_cannot_be_updated_or_deleted(engine, statement):
    _, entry_id = add_entry(engine)
    with pytest.raises(DBAPIError, match="ledger entries are immutable"):
        with engine.begin() as connection:
            connection.execute(text(statement), {"id": entry_id})
    with engine.connect() as connection:
        row = connection.execute(text("SELECT amount FROM entries WHERE id = :id"),
                                 {"id": entry_id}).one()
    assert row.amount == 500


def test_only_merchant_accounts_may_go_negative(engine):
    merchant_id, _ = add_entry(engine)
    with Session(engine) as session, session.begin():
        card = Card(merchant_id=merchant_id, number="8000000000000001", kind="standard")
        session.add(card)
        session.flush()
        card_id = card.id

    insert = text("INSERT INTO accounts (merchant_id, owner, card_id, purpose, asset, balance) "
                  "VALUES (:merchant, :owner, :card, :purpose, 'points', :balance)")
    with pytest.raises(IntegrityError, match="card_balance_not_negative"):
        with engine.begin() as connection:
            connection.execute(insert, {"merchant": merchant_id, "owner": "card", "card": card_id,
                                        "purpose": "", "balance": -1})
    with engine.begin() as connection:
        connection.execute(insert, {"merchant": merchant_id, "owner": "card", "card": card_id,
                                    "purpose": "", "balance": 0})
        connection.execute(insert, {"merchant": merchant_id, "owner": "merchant", "card": None,
                                    "purpose": "issued", "balance": -1})
        balances = dict(connection.execute(text(
            "SELECT owner, balance FROM accounts WHERE asset = 'points'")).all())
    assert balances == {"card": 0, "merchant": -1}

    with pytest.raises(IntegrityError, match="card_balance_not_negative"):
        with engine.begin() as connection:
            connection.execute(text("UPDATE accounts SET balance = -5 WHERE owner = 'card'"))
