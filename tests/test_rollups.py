"""The rollups' fold (issue 12, item 4): exactly once under a crash, with two folders at
once, and with PostgreSQL committing ids out of order; a re-fold gives the same tables."""
from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import select

from core import ledger, rollups
from core.ledger import Posting
from core.models import LedgerDay, RollupState, SalesDay
from core.rollups import folding
from tests.support.factories import basic_document, make_merchant
from tests.support.money_world import build


def tables(hk) -> tuple:
    with hk.db.read() as session:
        sales = session.execute(select(SalesDay.__table__).order_by(*SalesDay.__table__.primary_key)).all()
        days = session.execute(select(LedgerDay.__table__).order_by(*LedgerDay.__table__.primary_key)).all()
        state = session.get(RollupState, "money")
        return [tuple(row) for row in sales], [tuple(row) for row in days], state and state.folded_through


@pytest.fixture
def world(client, hk, monkeypatch):
    return build(client, hk, monkeypatch)


def test_folding_again_changes_nothing_and_a_refold_gives_the_same_tables(hk, world):
    rollups.fold(hk.db, batch=3)
    folded = tables(hk)
    assert folded[0] and folded[1]
    again = rollups.fold(hk.db)
    assert again["batches"] == 0 and tables(hk) == folded
    rollups.rebuild(hk.db)
    assert tables(hk) == folded


def test_a_crash_between_the_rows_and_the_watermark_leaves_nothing(hk, world, monkeypatch):
    rollups.fold(hk.db, upto=world.transaction_ids[1])  # part of it folded already
    before = tables(hk)

    def power_cut(session):
        raise RuntimeError("power cut")

    monkeypatch.setattr(folding, "before_watermark", power_cut)
    with pytest.raises(RuntimeError):
        rollups.fold(hk.db)
    assert tables(hk) == before  # the batch's rows went with its watermark
    monkeypatch.setattr(folding, "before_watermark", lambda session: None)
    rollups.fold(hk.db)
    done = tables(hk)
    rollups.rebuild(hk.db)
    assert tables(hk) == done


def test_two_folders_at_once_fold_each_transaction_once(hk, world):
    errors = []

    def folder():
        try:
            rollups.fold(hk.db, batch=2)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=folder) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    both = tables(hk)
    rollups.rebuild(hk.db)
    assert tables(hk) == both


def test_an_id_that_commits_after_a_higher_one_is_not_skipped(hk, client, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: ids commit in order")
    early_shop = make_merchant(hk, f"早-{uuid.uuid4().hex[:6]}", basic_document())
    late_shop = make_merchant(hk, f"晚-{uuid.uuid4().hex[:6]}", basic_document())
    rollups.fold(hk.db)
    writes = hk.db.write()
    session = writes.__enter__()  # a sale that takes its id now and commits last
    try:
        early = ledger.post(session, early_shop.id, "checkout", [
            Posting(ledger.merchant_account(session, early_shop.id, "cash_drawer", "cny"), 700),
            Posting(ledger.merchant_account(session, early_shop.id, "sales", "cny"), -700)])
        sale = client.post("/api/v1/checkout", json={
            "lines": [{"sku": "A", "unit_price_fen": 900}], "payments": [{"method": "cash", "amount_fen": 900}]},
            headers={**late_shop.headers("cashier"), "Idempotency-Key": uuid.uuid4().hex})
        assert sale.status_code == 201, sale.json
        rollups.fold(hk.db)
        assert rollups.status(hk.db)["folded_through"] < early.id  # waits for the open one
    finally:
        writes.__exit__(None, None, None)  # commits
    rollups.fold(hk.db)
    assert rollups.status(hk.db)["folded_through"] > early.id
    with hk.db.read() as session:
        cash = sum(row.amount for row in session.scalars(select(LedgerDay).where(
            LedgerDay.merchant_id == early_shop.id, LedgerDay.type == "checkout")) if row.amount > 0)
    assert cash == 700
    folded = tables(hk)
    rollups.rebuild(hk.db)
    assert tables(hk) == folded
