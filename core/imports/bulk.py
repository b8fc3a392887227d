"""Reading and writing many rows at once, in chunks, with SQLAlchemy Core (executemany): an
import of 100,000 rows runs a few hundred statements, not a few hundred thousand."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

import json

from sqlalchemy import JSON, insert, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..accounts import CARD, MOVE_BALANCE, pending_moves, remember_card_accounts
from ..models import Account, Card, ImportKey

CHUNK = 1000  # values in one IN (…) or rows in one executemany batch

_accounts, _cards, _keys = Account.__table__, Card.__table__, ImportKey.__table__


def chunks(items: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


@dataclass(frozen=True)
class CardInfo:
    id: int
    number: str
    status: str
    member_id: int | None
    kind: str


def cards_by_number(session: Session, merchant_id: int, numbers: Iterable[str]) -> dict[str, CardInfo]:
    """The merchant's cards among ``numbers``, by number."""
    found: dict[str, CardInfo] = {}
    connection = session.connection()
    for part in chunks(sorted(set(numbers))):
        rows = connection.execute(select(_cards.c.id, _cards.c.number, _cards.c.status,
                                         _cards.c.member_id, _cards.c.kind)
                                  .where(_cards.c.merchant_id == merchant_id, _cards.c.number.in_(part)))
        found.update({row.number: CardInfo(*row) for row in rows})
    return found


def existing(session: Session, column, merchant_column, merchant_id: int, values: Iterable) -> set:
    """Which of ``values`` ``column`` already holds for the merchant."""
    found = set()
    connection = session.connection()
    for part in chunks(sorted(set(values))):
        found.update(connection.execute(select(column).where(merchant_column == merchant_id,
                                                             column.in_(part))).scalars())
    return found


def imported_keys(session: Session, merchant_id: int, kind: str, keys: Iterable[str]) -> dict[str, int]:
    """Natural keys of ``kind`` an earlier batch imported: key -> batch id."""
    found: dict[str, int] = {}
    connection = session.connection()
    for part in chunks(sorted(set(keys))):
        found.update(connection.execute(select(_keys.c.key, _keys.c.batch_id).where(
            _keys.c.merchant_id == merchant_id, _keys.c.kind == kind, _keys.c.key.in_(part))).all())
    return found


def insert_many(session: Session, table, rows: list[dict]) -> None:
    """Insert ``rows`` (dicts with the same keys): COPY on PostgreSQL (psycopg's executemany
    sends one message per row), executemany in chunks elsewhere."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        _copy(connection, table, rows)
        return
    for part in chunks(rows):
        connection.execute(insert(table), list(part))


def _copy(connection, table, rows: list[dict]) -> None:
    columns = list(rows[0])
    json_columns = {name for name in columns if isinstance(table.c[name].type, (JSON, JSONB))
                    or isinstance(getattr(table.c[name].type, "impl", None), (JSON, JSONB))}
    names = ", ".join(f'"{name}"' for name in columns)
    statement = f'COPY "{table.name}" ({names}) FROM STDIN'
    cursor = connection.connection.driver_connection.cursor()
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([json.dumps(row[name]) if name in json_columns and row[name] is not None
                                else row[name] for name in columns])
    except connection.dialect.dbapi.IntegrityError as error:  # as SQLAlchemy would raise it
        raise IntegrityError(statement, None, error) from error


def insert_returning_ids(session: Session, table, rows: list[dict]) -> list[int]:
    """Insert ``rows`` and return their new ids in the same order. On PostgreSQL the ids come
    from the table's sequence first and the rows go in by COPY: a RETURNING executemany of
    100,000 rows spends most of its time building and parsing giant statements."""
    connection = session.connection()
    if rows and connection.dialect.name == "postgresql":
        ids = list(connection.execute(
            text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
            {"table": table.name, "n": len(rows)}).scalars())
        insert_many(session, table, [{"id": id_, **row} for id_, row in zip(ids, rows)])
        return ids
    ids: list[int] = []
    for part in chunks(rows):
        result = connection.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                    list(part))
        ids += result.scalars().all()
    return ids


def lock_cards(session: Session, card_ids: Iterable[int]) -> None:
    """Hold the cards (PostgreSQL row locks, in id order, as every writer of card accounts does
    first); SQLite's write transaction already serialises."""
    if session.get_bind().dialect.name != "postgresql":
        return
    connection = session.connection()
    for part in chunks(sorted(set(card_ids))):
        connection.execute(select(_cards.c.id).where(_cards.c.id.in_(part))
                           .order_by(_cards.c.id).with_for_update())


def ready_card_accounts(session: Session, merchant_id: int, pairs: Iterable[tuple[int, str]]) -> None:
    """Make sure every (card id, asset) account exists (created with balance 0 in bulk) and let
    this session's account refs know all accounts of those cards with their balances, so
    ``core.ledger.post`` looks none of them up and adds to them with one executemany."""
    wanted = set(pairs)
    card_ids = sorted({card_id for card_id, _asset in wanted})
    connection = session.connection()
    columns = (_accounts.c.id.label("account_id"), _accounts.c.merchant_id, _accounts.c.purpose,
               _accounts.c.asset, _accounts.c.balance, _accounts.c.card_id)

    def read(part):
        return connection.execute(select(*columns).where(
            _accounts.c.owner == CARD, _accounts.c.card_id.in_(part))).all()

    assets_of: dict[int, set[str]] = {}
    for card_id, asset in wanted:
        assets_of.setdefault(card_id, set()).add(asset)
    for part in chunks(card_ids):
        rows = read(part)
        have = {(row.card_id, row.asset) for row in rows}
        missing = [{"merchant_id": merchant_id, "owner": CARD, "card_id": card_id, "purpose": "",
                    "asset": asset, "balance": 0}
                   for card_id in part for asset in sorted(assets_of[card_id])
                   if (card_id, asset) not in have]
        if missing:
            insert_many(session, _accounts, missing)
            rows = read(part)
        by_card: dict[int, list] = {}
        for row in rows:
            by_card.setdefault(row.card_id, []).append(row)
        for card_id, card_rows in by_card.items():
            remember_card_accounts(session, card_id, card_rows)


_ADD_TO_BALANCES = text(
    "UPDATE accounts SET balance = accounts.balance + moves.amount "
    "FROM unnest(CAST(:ids AS BIGINT[]), CAST(:amounts AS BIGINT[])) AS moves(id, amount) "
    "WHERE accounts.id = moves.id")


def apply_moves_in_bulk(session: Session, card_account_ids: set[int]) -> None:
    """Run the balance updates a ``core.ledger.post(..., shared_rows_last=True)`` left for
    later: the card accounts' (held by this import: their cards are locked) in one UPDATE per
    chunk of 10,000 on PostgreSQL, where psycopg's executemany sends one statement per row;
    the merchant accounts' as the ledger does, in id order, last."""
    moves = pending_moves(session)
    todo = sorted(moves, key=lambda move: move["account_id"])
    moves.clear()
    cards = [move for move in todo if move["account_id"] in card_account_ids]
    merchant = [move for move in todo if move["account_id"] not in card_account_ids]
    connection = session.connection()
    for part in chunks(cards, 10_000):
        connection.execute(_ADD_TO_BALANCES, {"ids": [m["account_id"] for m in part],
                                              "amounts": [m["amount"] for m in part]})
    if merchant:
        connection.execute(MOVE_BALANCE, merchant)
