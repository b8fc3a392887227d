"""core.direct_sql and core.checkout_card (issue 11, item 2): the checkout's statements sent
straight to the driver write and read exactly what SQLAlchemy's path does, on SQLite and
PostgreSQL; whatever they cannot do as SQLAlchemy would (a Python-side default, an
``after_cursor_execute`` listener) takes SQLAlchemy's path; driver errors are SQLAlchemy's;
and the checkout's card made from a row is the same as the ORM's, or the ORM's own object when
the session already holds it."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import event, insert, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import cards, checkout_card, config_versions, ledger, members
from core.accounts import card_balances_known
from core.checkout_card import _load_with_orm, card_for_checkout
from core.direct_sql import DirectStatement
from core.ledger import Posting
from core.models import Card, Checkout, LedgerTransaction, Member, Tier
from tests.support.factories import basic_document, make_merchant

NOW = datetime(2026, 6, 1, 4, 0, tzinfo=timezone.utc)
transactions = LedgerTransaction.__table__


def _merchant(session: Session) -> int:
    from core import tenancy
    return tenancy.create_merchant(session, "直达店").id


def test_an_insert_writes_what_sqlalchemy_writes(db):
    direct = DirectStatement(insert(transactions).returning(transactions.c.id))
    with db.write() as session:
        merchant = _merchant(session)
        values = {"merchant_id": merchant, "type": "checkout", "store_id": None, "staff_id": None,
                  "idempotency_key": "k1", "request_digest": None, "reverses_id": None,
                  "memo": {"card_number": "卡1", "n": [1, 2]}, "created_at": NOW}
        first = direct.scalar(session.connection(), values)
        second = session.connection().execute(
            insert(transactions).returning(transactions.c.id), {**values, "idempotency_key": "k2"}
        ).scalar()
        assert isinstance(first, int) and second == first + 1
    with db.read() as session:
        rows = session.scalars(select(LedgerTransaction).where(
            LedgerTransaction.id.in_([first, second])).order_by(LedgerTransaction.id)).all()
        assert [(row.memo, row.created_at, row.type) for row in rows] == [
            ({"card_number": "卡1", "n": [1, 2]}, NOW, "checkout")] * 2


def test_execute_many_and_an_update_returning(db):
    with db.write() as session:
        merchant = _merchant(session)
        issued = ledger.merchant_account(session, merchant, "issued", "points")
        sales = ledger.merchant_account(session, merchant, "sales", "points")
        accounts = [issued.id, sales.id]
    moves = DirectStatement(ledger.MOVE_BALANCE)
    with db.write() as session:
        moves.execute_many(session.connection(), [{"account_id": accounts[0], "amount": 5},
                                                  {"account_id": accounts[1], "amount": -5}])
        moves.execute_many(session.connection(), [{"account_id": accounts[0], "amount": 1}])
        moves.execute_many(session.connection(), [])
        guarded = ledger._GUARDED_MOVE
        assert guarded.scalar(session.connection(), {"account_id": accounts[0], "amount": -6}) == 0
        # the guard: a move below zero updates nothing and returns no row
        assert guarded.scalar(session.connection(), {"account_id": accounts[0], "amount": -1}) is None
    with db.read() as session:
        balances = [session.get(ledger.Account, account).balance for account in accounts]
        assert balances == [0, -5]


@pytest.mark.parametrize("most_rows", [1000, 2])
def test_many_rows_in_one_insert(db, monkeypatch, most_rows):
    """PostgreSQL (the engine asks for "insertmanyvalues"): one INSERT with a VALUES row per
    parameter set, or the driver's executemany past the row limit; SQLite: executemany."""
    import core.direct_sql
    monkeypatch.setattr(core.direct_sql, "_MANY_VALUES_ROWS", most_rows)
    entries = ledger.Entry.__table__
    with db.write() as session:
        merchant = _merchant(session)
        accounts = [ledger.merchant_account(session, merchant, purpose, "points").id
                    for purpose in ("issued", "sales")]
        posted = ledger.post(session, merchant, "test", [
            Posting(ledger.merchant_account(session, merchant, "issued", "points"), 1),
            Posting(ledger.merchant_account(session, merchant, "sales", "points"), -1)], now=NOW)
    seen = []
    listener = lambda conn, cursor, statement, parameters, context, many: seen.append(  # noqa: E731
        (statement, many, parameters))
    event.listen(db.engine, "before_cursor_execute", listener)
    rows = [{"transaction_id": posted.id, "account_id": accounts[index % 2], "asset": "积分",
             "amount": amount} for index, amount in enumerate([5, -5, 7])]
    try:
        with db.write() as session:
            DirectStatement(insert(entries)).execute_many(session.connection(), rows)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    inserts = [(many, parameters) for statement, many, parameters in seen
               if statement.startswith("INSERT INTO entries")]
    multi_row = db.dialect == "postgresql" and most_rows >= len(rows)
    assert len(inserts) == 1 and inserts[0][0] is (not multi_row)
    with db.read() as session:
        written = session.execute(select(entries.c.account_id, entries.c.asset, entries.c.amount)
                                  .where(entries.c.transaction_id == posted.id,
                                         entries.c.asset == "积分").order_by(entries.c.id)).all()
    assert [tuple(row) for row in written] == [(row["account_id"], "积分", row["amount"])
                                               for row in rows]


def test_a_python_side_default_takes_sqlalchemys_path(db):
    # created_at and memo left out: their column defaults (utcnow, dict) must be filled in
    direct = DirectStatement(insert(transactions).returning(transactions.c.id))
    with db.write() as session:
        merchant = _merchant(session)
        made = direct.scalar(session.connection(), {"merchant_id": merchant, "type": "x"})
    assert list(direct._compiled.values()) == [None]  # compiled as "the usual path"
    with db.read() as session:
        row = session.get(LedgerTransaction, made)
        assert row.memo == {} and row.created_at.tzinfo is not None


def test_driver_errors_are_sqlalchemys_and_the_transaction_rolls_back(db):
    direct = DirectStatement(insert(transactions).returning(transactions.c.id))
    with db.write() as session:
        merchant = _merchant(session)
    values = {"merchant_id": merchant, "type": "t", "store_id": None, "staff_id": None,
              "idempotency_key": "same", "request_digest": None, "reverses_id": None, "memo": {},
              "created_at": NOW}
    with pytest.raises(IntegrityError):
        with db.write() as session:
            direct.scalar(session.connection(), values)
            direct.scalar(session.connection(), values)  # the unique key (merchant, key)
    with db.read() as session:
        assert session.scalar(select(LedgerTransaction.id).where(
            LedgerTransaction.merchant_id == merchant)) is None


def test_cursor_listeners_see_every_statement(db):
    direct = DirectStatement(ledger.MOVE_BALANCE)
    with db.write() as session:
        account = ledger.merchant_account(session, _merchant(session), "issued", "points").id
    seen, after = [], []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, executemany))

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        with db.write() as session:
            direct.execute_many(session.connection(), [{"account_id": account, "amount": 1}] * 2)
        assert [many for statement, many in seen if statement.startswith("UPDATE")] == [True]

        def after_listener(conn, cursor, statement, parameters, context, executemany):
            after.append(context is not None)

        event.listen(db.engine, "after_cursor_execute", after_listener)
        try:
            with db.write() as session:
                direct.execute_many(session.connection(), [{"account_id": account, "amount": 1}])
        finally:
            event.remove(db.engine, "after_cursor_execute", after_listener)
        assert after and all(after)  # SQLAlchemy's path: the listener gets its context
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    with db.read() as session:
        assert session.get(ledger.Account, account).balance == 3


# --- the checkout's card ---------------------------------------------------------------

def _document():
    return basic_document(tiers=[
        {"key": "silver", "name": {"zh-CN": "银卡", "en": "Silver"}, "rank": 1,
         "discount_permille": 950},
        {"key": "gold", "name": {"zh-CN": "金卡", "en": "Gold"}, "rank": 2,
         "discount_permille": 880,
         "upgrade": [{"kind": "cumulative_spend", "amount_fen": 100, "period_days": 30}]}])


@pytest.fixture
def shop(hk):
    made = make_merchant(hk, "读卡店", _document())
    with hk.db.write() as session:
        config = config_versions.published_config(session, made.id, hk.plugins)
        member = members.create_member(session, config, made.id,
                                       {"name": "王小明", "phone": "13800000001",
                                        "extra": {"wechat_id": "wx1"}})
        bound = cards.issue_card(session, config, made.id, {"number": "READ01", "tier": "silver",
                                                            "member_id": member.id,
                                                            "expires_on": "2030-01-31"})
        bound.status = "active"
        stock = cards.issue_card(session, config, made.id, {"number": "READ02"})
        stock.status = "active"
        points = ledger.card_account(session, made.id, bound.id, "points")
        ledger.post(session, made.id, "earn", [
            Posting(points, 70), Posting(ledger.merchant_account(session, made.id, "issued", "points"), -70)],
            now=NOW)
    return made


def _columns(instance) -> dict:
    return {prop.key: getattr(instance, prop.key) for prop in inspect(type(instance)).column_attrs}


@pytest.mark.parametrize("number", ["READ01", "READ02"])
def test_the_card_made_from_a_row_is_the_orms(hk, shop, number):
    with hk.db.write() as session:
        config = config_versions.published_config(session, shop.id, hk.plugins)
        card, held, spent = card_for_checkout(session, config, shop.id, number, NOW, None)
        balances = card_balances_known(session, card.id)
        state = inspect(card)
        assert state.persistent and not state.expired_attributes and not session.dirty
        direct = (_columns(card), card.member and _columns(card.member),
                  card.tier and _columns(card.tier), balances, spent)
        assert inspect(card).dict.get("member", "unloaded") is card.member  # no lazy load
    with hk.db.write() as session:
        periods = (30,)
        params = {"merchant": shop.id, "number": number, "since_0": date(2026, 5, 2)}
        orm_card, accounts, spent_row = _load_with_orm(session, len(periods), params)
        orm = (_columns(orm_card), orm_card.member and _columns(orm_card.member),
               orm_card.tier and _columns(orm_card.tier),
               {row.asset: row.balance for row in accounts}, {date(2026, 5, 2): spent_row[0]})
    assert direct == orm
    if number == "READ01":
        assert direct[1]["extra"] == {"wechat_id": "wx1"} and direct[2]["key"] == "silver"
        assert direct[3] == {"points": 70} and held
    else:
        assert direct[1] is None and direct[3] == {}  # a stock card: no member, no accounts


def test_a_card_the_session_already_holds_is_given_back_as_is(hk, shop):
    with hk.db.write() as session:
        config = config_versions.published_config(session, shop.id, hk.plugins)
        earlier = session.scalar(select(Card).where(Card.number == "READ01"))
        card, _held, _spent = card_for_checkout(session, config, shop.id, "READ01", NOW, None)
        assert card is earlier
        assert card_balances_known(session, card.id) == {"points": 70}


def test_changes_to_the_card_made_from_a_row_are_saved(hk, shop):
    with hk.db.write() as session:
        config = config_versions.published_config(session, shop.id, hk.plugins)
        card, _held, _spent = card_for_checkout(session, config, shop.id, "READ01", NOW, None)
        gold = session.scalar(select(Tier).where(Tier.merchant_id == shop.id, Tier.key == "gold"))
        card.tier = gold
        card.member.name = "王大明"
        session.flush()
        # a second look in the same session gives the same objects (the identity map)
        assert session.get(Card, card.id) is card and session.get(Member, card.member_id) is card.member
    with hk.db.read() as session:
        again = session.scalar(select(Card).where(Card.number == "READ01"))
        assert again.tier.key == "gold" and again.member.name == "王大明"


def test_an_unknown_or_unusable_card_is_refused(hk, shop):
    from core.errors import Conflict, NotFound
    with hk.db.write() as session:
        config = config_versions.published_config(session, shop.id, hk.plugins)
        with pytest.raises(NotFound):
            card_for_checkout(session, config, shop.id, "NOPE99", NOW, None)
        session.scalar(select(Card).where(Card.number == "READ02")).status = "frozen"
    with hk.db.write() as session:
        config = config_versions.published_config(session, shop.id, hk.plugins)
        with pytest.raises(Conflict):
            checkout_card.card_for_checkout(session, config, shop.id, "READ02", NOW, None)


def test_a_checkout_posts_through_the_direct_statements(hk, shop, client):
    """The whole sale through the API: the rows the direct statements wrote read back right."""
    answer = client.post("/api/v1/checkout", json={
        "card_number": "READ01", "lines": [{"sku": "TEA", "unit_price_fen": 1000, "quantity": 2}],
        "payments": [{"method": "cash", "amount_fen": 1900}]},
        headers={**shop.headers("cashier"), "Idempotency-Key": "direct-1"})
    assert answer.status_code == 201, answer.json
    with hk.db.read() as session:
        made = session.get(Checkout, answer.json["checkout_id"])
        assert made.due_total_fen == 1900 and made.receipt["tier"] == "silver"
        assert [line.paid_fen for line in made.lines] == [1900]
        assert [payment.amount_fen for payment in made.payments] == [1900]
        assert made.created_at.tzinfo is not None
        assert ledger.verify(session, shop.id) == []
