"""Finding members (M1, issue 11 F4): by exact phone, the phone's last four digits (the
counter's "手机尾号?"), card number or the start of the name, one page at a time.

Every criterion has an index (migration 0010): ``uq_members_merchant_id_phone``,
``ix_members_merchant_phone_last4``, ``uq_cards_merchant_id_number`` and
``ix_members_merchant_name`` (names compare in code-point order on both databases, so a
prefix is an index range: ``name >= prefix AND name < prefix-with-its-last-character-plus-1``).
Pages come in a fixed order: by name then id when a name prefix is given (the index order),
else by id. ``total`` is counted only when the page is full: a page with room left already
says how many there are, so a selective lookup runs no COUNT at all.

These are SQLAlchemy Core statements (a lookup is on every till's hot path); the ORM
variant ``search_members`` serves the cashier screen, which walks ``member.cards``.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import orjson
from sqlalchemy import BigInteger, bindparam, func, literal_column, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from .clock import now_utc
from .direct_sql import DirectStatement
from .errors import Invalid, problem
from .member_page_rows import CARD_COLUMNS, CARD_EXTRAS, MEMBER_COLUMNS, page_members, readers
from .models import Account, AccountOwner, Card, Member, Tier
from .text import INT64_MAX

MAX_PAGE_SIZE = 100
MAX_PAGE = INT64_MAX // MAX_PAGE_SIZE  # the row offset of any page fits a 64-bit integer
_LAST4 = re.compile(r"[0-9]{4}")  # ASCII digits only: str.isdigit() would take "１２３４" or "٣"

members = Member.__table__
cards = Card.__table__
tiers = Tier.__table__
accounts = Account.__table__


# 'card' written into the SQL, not bound: accounts has a partial index (WHERE owner =
# 'merchant'), and SQLite decides whether it applies by looking at the bound value, so a bound
# owner made it re-prepare the statement on every execution (80 % of this query's time).
assert AccountOwner.CARD.value.isidentifier()
_CARD_OWNER = literal_column(f"'{AccountOwner.CARD.value}'")


@dataclass(frozen=True)
class Criteria:
    phone: str | None = None
    phone_last4: str | None = None
    card_number: str | None = None
    name_prefix: str | None = None

    @classmethod
    def of(cls, *, phone=None, phone_last4=None, card_number=None, name_prefix=None) -> "Criteria":
        """Blank values mean "not given"; a ``phone_last4`` that is not four ASCII digits is
        ``Invalid`` (422), pointing at it."""
        def given(value):
            return value.strip() or None if isinstance(value, str) else None

        last4 = given(phone_last4)
        if phone_last4 is not None and (last4 is None or not _LAST4.fullmatch(last4)):
            raise Invalid("phone_last4 is the last four digits of the phone, e.g. 8000",
                          details=[problem("/phone_last4", "four digits 0-9")])
        return cls(phone=given(phone), phone_last4=last4, card_number=given(card_number),
                   name_prefix=given(name_prefix))


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int


def check_page(page: int, per_page: int) -> None:
    if not 1 <= page <= MAX_PAGE or not 1 <= per_page <= MAX_PAGE_SIZE:
        raise Invalid(f"page is 1 to {MAX_PAGE} and per_page is 1 to {MAX_PAGE_SIZE}",
                      details=[problem("/page", f"1..{MAX_PAGE}"),
                               problem("/per_page", f"1..{MAX_PAGE_SIZE}")])


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest text after every text starting with ``prefix`` in code-point order (None:
    nothing is; only for a prefix of U+10FFFF alone). Surrogates are skipped: they are no
    characters and cannot be sent to the database."""
    while prefix:
        code = ord(prefix[-1]) + 1
        if code == 0xD800:
            code = 0xE000
        if code <= 0x10FFFF:
            return prefix[:-1] + chr(code)
        prefix = prefix[:-1]
    return None


def _conditions(shape: tuple[bool, ...]) -> list:
    """The WHERE terms of a search with the given criteria (all must hold), on bound
    parameters named after them."""
    phone, last4, card_number, name_prefix, upper = shape
    terms = [members.c.merchant_id == bindparam("merchant_id")]
    if phone:
        terms.append(members.c.phone == bindparam("phone"))
    if last4:
        terms.append(members.c.phone_last4 == bindparam("phone_last4"))
    if card_number:
        terms.append(members.c.id.in_(select(cards.c.member_id).where(
            cards.c.merchant_id == bindparam("merchant_id"),
            cards.c.number == bindparam("card_number")).correlate(None)))
    if name_prefix:
        terms.append(members.c.name >= bindparam("name_prefix"))
    if upper:
        terms.append(members.c.name < bindparam("name_upper"))
    return terms


@lru_cache(maxsize=None)
def _statements(shape: tuple[bool, ...]):
    """(page, page with cards, count) statements for one combination of criteria, built once:
    building a statement costs several times what running it costs here."""
    where = _conditions(shape)
    order = [members.c.name, members.c.id] if shape[3] else [members.c.id]
    page = (select(*MEMBER_COLUMNS).where(*where).order_by(*order)
            .limit(bindparam("limit", type_=BigInteger))
            .offset(bindparam("offset", type_=BigInteger)))  # pages reach 2^63 rows
    # The page's members with their cards, each card's tier key and balances: one row per
    # (member, card, asset), members without cards once (outer joins). The page is chosen as
    # ids (read from the criterion's index alone), then the members read by id: on SQLite an
    # id-ordered page then needs no sort, and no wide rows pass through a subquery (F4).
    chosen = (select(members.c.id).where(*where).order_by(*order)
              .limit(bindparam("limit", type_=BigInteger))
              .offset(bindparam("offset", type_=BigInteger))).correlate(None)
    def page_rows(*columns):
        return (select(*columns)
                .select_from(members.outerjoin(cards, cards.c.member_id == members.c.id)
                             .outerjoin(tiers, tiers.c.id == cards.c.tier_id)
                             .outerjoin(accounts, (accounts.c.card_id == cards.c.id)
                                        & (accounts.c.owner == _CARD_OWNER)))
                .where(members.c.id.in_(chosen))
                .order_by(*order, cards.c.id))

    with_cards = page_rows(*MEMBER_COLUMNS, *CARD_COLUMNS, *CARD_EXTRAS)
    # The same rows on SQLite, each as one JSON array of its values (``_packed_rows``).
    packed = page_rows(func.json_array(*MEMBER_COLUMNS, *CARD_COLUMNS, *CARD_EXTRAS))
    count = DirectStatement(select(func.count()).select_from(members).where(*where))
    return page, DirectStatement(with_cards), count, DirectStatement(packed)


def _shape_and_parameters(merchant_id: int, criteria: Criteria) -> tuple[tuple, dict]:
    upper = prefix_upper_bound(criteria.name_prefix) if criteria.name_prefix else None
    parameters = {"merchant_id": merchant_id, "phone": criteria.phone,
                  "phone_last4": criteria.phone_last4, "card_number": criteria.card_number,
                  "name_prefix": criteria.name_prefix, "name_upper": upper}
    shape = (bool(criteria.phone), bool(criteria.phone_last4), bool(criteria.card_number),
             bool(criteria.name_prefix), upper is not None)
    return shape, {key: value for key, value in parameters.items() if value is not None}


def _run(connection, merchant_id: int, criteria: Criteria, page: int, per_page: int,
         with_cards: bool):
    check_page(page, per_page)
    shape, parameters = _shape_and_parameters(merchant_id, criteria)
    page_statement, cards_statement, count_statement, packed_statement = _statements(shape)
    offset = (page - 1) * per_page
    bound = {**parameters, "limit": per_page, "offset": offset}

    def count() -> int:
        return count_statement.scalar(connection, parameters)

    if not with_cards:
        return connection.execute(page_statement, bound).all(), None, offset, count
    # The driver's rows and the columns' processors, converted by member_page (no SQLAlchemy
    # result set-up for a page of 20 members; on SQLite outside a transaction: a single
    # SELECT is its own consistent read). On an ORM session, SQLAlchemy's rows.
    if isinstance(connection, Connection) and connection.dialect.name == "sqlite":
        rows, processors = _packed_rows(connection, cards_statement, packed_statement, bound)
    else:
        rows, processors = cards_statement.raw_rows(connection, bound)
    return rows, processors, offset, count


def _packed_rows(connection: Connection, cards_statement: DirectStatement,
                 packed_statement: DirectStatement, bound: dict) -> tuple[list, tuple]:
    """The page's rows read on SQLite as one JSON array each, with the processors of the
    columns inside. Python's sqlite3 (3.11) lets go of the interpreter lock and takes it back
    for every column of every row it reads, and SQLite takes its connection mutex for each
    value: a page of 20 members is about 540 values, an eighth of a name-prefix lookup's
    instructions (issue 11, F4). One column a row costs that once; SQLite writes each value as
    the driver would give it (integers, text, NULL; text quoted, never read as JSON), orjson
    reads the arrays back."""
    found, _text = packed_statement.raw_rows(connection, bound)
    return ([_unpacked(text) for (text,) in found],
            cards_statement.result_processors(connection.dialect))


def _unpacked(text: str) -> list:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # what orjson refuses (a lone surrogate escaped): as before
        return json.loads(text)


def _total(found: int, offset: int, per_page: int, page: int, count) -> int:
    """A page with room left (or a first page) tells the total; only a full one needs COUNT."""
    if found < per_page and (found or page == 1):
        return offset + found
    return count()


def member_rows(connection: Connection | Session, merchant_id: int, criteria: Criteria, *,
                page: int = 1, per_page: int = 20) -> Page:
    """One page of matching members as rows of ``MEMBER_COLUMNS``."""
    rows, _processors, offset, count = _run(connection, merchant_id, criteria, page, per_page,
                                            False)
    return Page(items=rows, total=_total(len(rows), offset, per_page, page, count), page=page,
                per_page=per_page)


def member_page(connection: Connection | Session, merchant_id: int, criteria: Criteria, *,
                page: int = 1, per_page: int = 20, now: datetime | None = None) -> Page:
    """One page of matching members with their cards, in one statement, as the API shows them
    (core.member_page_rows.page_members: dicts with ``cards``, dates and times as ISO 8601
    text, a PIN lock while it lasts past ``now``, by default the time of the call)."""
    rows, processors, offset, count = _run(connection, merchant_id, criteria, page, per_page,
                                           True)
    read = readers(processors,
                   isinstance(connection, Connection) and connection.dialect.name == "sqlite")
    items = page_members(rows, read, now_utc() if now is None else now)
    return Page(items=items, total=_total(len(items), offset, per_page, page, count), page=page,
                per_page=per_page)


def search_members(session: Session, merchant_id: int, *, phone: str | None = None,
                   card_number: str | None = None, name_prefix: str | None = None,
                   phone_last4: str | None = None, page: int = 1, per_page: int = 20) -> Page:
    """The same search with ``Member`` objects (the cashier screen reads their cards)."""
    criteria = Criteria.of(phone=phone, phone_last4=phone_last4, card_number=card_number,
                           name_prefix=name_prefix)
    found = member_rows(session, merchant_id, criteria, page=page, per_page=per_page)
    ids = [row.id for row in found.items]
    loaded = {m.id: m for m in session.scalars(select(Member).where(Member.id.in_(ids)))} if ids else {}
    found.items = [loaded[member_id] for member_id in ids]
    return found
