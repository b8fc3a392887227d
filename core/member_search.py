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

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import BigInteger, Date, DateTime, bindparam, func, literal_column, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from .errors import Invalid, problem
from .models import Account, AccountOwner, Card, Member, Tier
from .models.base import UtcDateTime
from .prebuilt import Prebuilt
from .text import INT64_MAX

MAX_PAGE_SIZE = 100
MAX_PAGE = INT64_MAX // MAX_PAGE_SIZE  # the row offset of any page fits a 64-bit integer
_LAST4 = re.compile(r"[0-9]{4}")  # ASCII digits only: str.isdigit() would take "１２３４" or "٣"

members = Member.__table__
cards = Card.__table__
tiers = Tier.__table__
accounts = Account.__table__

# The columns a member's JSON shows, in one statement (no ORM identity map on the hot path).
MEMBER_COLUMNS = [members.c[name] for name in (
    "id", "name", "phone", "gender", "birthday", "birthday_calendar", "birthday_leap_month",
    "address", "occupation", "income_band", "channel", "extra", "created_at", "updated_at")]
CARD_COLUMNS = [cards.c[name] for name in (
    "id", "member_id", "number", "kind", "status", "expires_on", "issued_at", "activated_at",
    "pin_hash", "pin_blocked_at", "pin_locked_until")]


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
            cards.c.number == bindparam("card_number"))))
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
    # (member, card, asset), members without cards once (outer joins).
    chosen = page.subquery("page")
    with_cards = (
        select(*chosen.c, *CARD_COLUMNS, tiers.c.key, accounts.c.asset, accounts.c.balance)
        .select_from(chosen.outerjoin(cards, cards.c.member_id == chosen.c.id)
                     .outerjoin(tiers, tiers.c.id == cards.c.tier_id)
                     .outerjoin(accounts, (accounts.c.card_id == cards.c.id)
                                & (accounts.c.owner == _CARD_OWNER)))
        .order_by(*([chosen.c.name, chosen.c.id] if shape[3] else [chosen.c.id]), cards.c.id))
    count = Prebuilt(select(func.count()).select_from(members).where(*where))
    return page, Prebuilt(with_cards), count


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
    page_statement, cards_statement, count_statement = _statements(shape)
    offset = (page - 1) * per_page
    bound = {**parameters, "limit": per_page, "offset": offset}
    # With cards: the driver's rows and the columns' processors, converted by member_page
    # (no SQLAlchemy result set-up for a page of 20 members; on SQLite outside a transaction:
    # a single SELECT is its own consistent read). Else SQLAlchemy's rows, processors None.
    fast = cards_statement.rows(connection, bound) if with_cards else None
    if fast is not None:
        rows, processors = fast
    else:
        rows = connection.execute(cards_statement.statement if with_cards else page_statement,
                                  bound).all()
        processors = None
    return rows, processors, offset, lambda: count_statement.first(connection, parameters)[0]


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


_MEMBER_KEYS = [column.name for column in MEMBER_COLUMNS]
_MEMBER_WIDTH = len(MEMBER_COLUMNS)
_CARD_KEYS = [column.name for column in CARD_COLUMNS] + ["tier"]
_CARD_END = _MEMBER_WIDTH + len(_CARD_KEYS)


# Compared with the current time by the caller (a PIN lock shows only while it lasts).
_KEPT_AS_DATETIME = frozenset({"pin_locked_until"})
_TEMPORAL = (Date, DateTime, UtcDateTime)
_STORED_DATETIME_LENGTH = len("2026-01-01 00:00:00.000000")  # SQLAlchemy's SQLite DATETIME text


@lru_cache(maxsize=64)
def _converters(processors: tuple | None, stored_as_text: bool) -> tuple[tuple, tuple]:
    """((index, converter) of the member columns, of the card columns) that need converting
    (the tier key, asset and balance after them need none: text and integers). A date or time
    becomes its ISO 8601 text as ``isoformat()`` writes it (pin_locked_until stays a
    datetime); any other value with a processor gets it. ``processors`` None: the rows are
    SQLAlchemy's, their values converted already; ``stored_as_text``: SQLite's driver rows."""
    columns = MEMBER_COLUMNS + CARD_COLUMNS
    converters = []
    for column, process in zip(columns, processors or (None,) * len(columns)):
        if isinstance(column.type, _TEMPORAL) and column.name not in _KEPT_AS_DATETIME:
            process = _iso_text(process, stored_as_text and processors is not None,
                                isinstance(column.type, Date))
        converters.append(process)
    member = tuple((index, c) for index, c in enumerate(converters[:_MEMBER_WIDTH]) if c)
    card = tuple((index, c) for index, c in enumerate(converters[_MEMBER_WIDTH:_CARD_END]) if c)
    return member, card


def _iso_text(process, stored_as_text: bool, is_date: bool):
    """A date or time value -> its ``isoformat()`` text. SQLite's stored text is turned into
    that text directly (checked by a parse in one C call): a page of 20 members shows 100
    of them, and an aware datetime's ``isoformat()`` costs five times its parse (issue 11, F4).
    Any other form takes the processor and ``isoformat()``."""
    def usual(value):
        return (process(value) if process else value).isoformat()

    if not stored_as_text:
        return usual
    if is_date:
        parse_date = date.fromisoformat

        def from_text(value):
            if value.__class__ is str and len(value) == 10:  # "YYYY-MM-DD" is its own ISO text
                try:
                    parse_date(value)
                    return value
                except ValueError:
                    pass
            return usual(value)

        return from_text
    parse_time = datetime.fromisoformat

    def from_stored(value):
        # "YYYY-MM-DD HH:MM:SS.ffffff" in UTC (core.models.base.UtcDateTime) is written
        # "YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00" by isoformat (no fraction when it is zero).
        if value.__class__ is str and len(value) == _STORED_DATETIME_LENGTH and value[10] == " ":
            try:
                parse_time(value)
            except ValueError:
                return usual(value)
            clock = value[11:19] if value.endswith("000000") else value[11:]
            return f"{value[:10]}T{clock}+00:00"
        return usual(value)

    return from_stored


def _converted(keys: list, values, processors: tuple) -> dict:
    """``keys`` -> ``values``, each value with a processor converted (unless None)."""
    if processors:
        values = list(values)
        for index, process in processors:
            value = values[index]
            if value is not None:
                values[index] = process(value)
    return dict(zip(keys, values))


def member_page(connection: Connection | Session, merchant_id: int, criteria: Criteria, *,
                page: int = 1, per_page: int = 20) -> Page:
    """One page of matching members with their cards, in one statement, as the API shows them:
    items are (member dict of ``MEMBER_COLUMNS``, [card dict of ``CARD_COLUMNS`` + ``tier``
    (its key) + ``balances`` ({asset: balance})] in card id order), dates and times as their
    ISO 8601 text (``isoformat()``) except ``pin_locked_until`` (a datetime)."""
    rows, processors, offset, count = _run(connection, merchant_id, criteria, page, per_page,
                                           True)
    member_processors, card_processors = _converters(
        processors, connection.dialect.name == "sqlite" if processors is not None else False)
    items: list = []
    card = None
    member_id = None
    for row in rows:
        if row[0] != member_id:
            member_id = row[0]
            items.append((_converted(_MEMBER_KEYS, row[:_MEMBER_WIDTH], member_processors), []))
            card = None
        card_fields = row[_MEMBER_WIDTH:_CARD_END]
        if card_fields[0] is None:
            continue  # a member without cards
        if card is None or card["id"] != card_fields[0]:
            card = _converted(_CARD_KEYS, card_fields, card_processors)
            card["balances"] = {}
            items[-1][1].append(card)
        asset, balance = row[-2], row[-1]
        if asset is not None:
            card["balances"][asset] = balance
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
