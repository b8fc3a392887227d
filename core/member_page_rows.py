"""A page of found members (core.member_search) read from its rows, shaped as the API shows a
member (docs/api.md, ``Member`` without ``summary``): the member's columns, its ``cards`` each
with its tier key and ``balances``, dates and times as their ISO 8601 text.

The lookup's statement gives one row per (member, card, asset), in ``PAGE_COLUMNS`` order.
Every row is unpacked once and every member and card dict built once, in the API's key order,
so the API encodes the page as it comes (issue 11, F4: at 20 members a page, building an
intermediate dict per member and per card and then the API's copy of each cost more than the
SQL). The till's lookup reads the same dicts.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache

import orjson
from sqlalchemy import JSON, Date, DateTime

from .models import Account, Card, Member, Tier
from .models.base import UtcDateTime

members = Member.__table__
cards = Card.__table__

# The member columns the API shows, in one statement (no ORM identity map on the hot path).
MEMBER_COLUMNS = [members.c[name] for name in (
    "id", "name", "phone", "gender", "birthday", "birthday_calendar", "birthday_leap_month",
    "address", "occupation", "income_band", "channel", "extra", "created_at", "updated_at")]
# A card as the API shows it: whether it has a PIN and whether the PIN is blocked, not the hash
# and the time it was blocked (no PIN hash is read for a lookup, and two booleans are cheaper
# to convert). ``pin_locked_until`` shows only while the lock lasts (core.pins.pin_status).
CARD_COLUMNS = [cards.c.id, cards.c.number, cards.c.kind, cards.c.status, cards.c.expires_on,
                cards.c.issued_at, cards.c.activated_at,
                cards.c.pin_hash.is_not(None).label("has_pin"),
                cards.c.pin_blocked_at.is_not(None).label("pin_blocked"),
                cards.c.pin_locked_until]
# Each card's tier key, and one (asset, balance) of its accounts per row.
CARD_EXTRAS = [Tier.__table__.c.key, Account.__table__.c.asset, Account.__table__.c.balance]
PAGE_COLUMNS = MEMBER_COLUMNS + CARD_COLUMNS  # then CARD_EXTRAS

_TEMPORAL = (Date, DateTime, UtcDateTime)
_KEPT_AS_DATETIME = frozenset({"pin_locked_until"})  # compared with the time of the request
_STORED_DATETIME_LENGTH = len("2026-01-01 00:00:00.000000")  # SQLAlchemy's SQLite DATETIME text
# 19 digits in a row: perhaps an integer past 64 bits, which orjson would read as a float.
_LONG_DIGITS = re.compile(r"[0-9]{19}")


def _same(value):
    return value


@lru_cache(maxsize=64)
def readers(processors: tuple | None, stored_as_text: bool) -> tuple:
    """One converter per column of ``PAGE_COLUMNS``, called with a value that is not None: a
    date or time becomes its ISO 8601 text as ``isoformat()`` writes it (pin_locked_until stays
    a datetime); a JSON document's text is read by orjson (``_json_text``); any other value with
    a result processor gets it; the rest stay as they are.
    ``processors``: each column's result processor for the driver's rows
    (core.direct_sql.DirectStatement.raw_rows; None for a column whose driver value is its
    value, and for every column of SQLAlchemy's rows, converted already), or None for all;
    ``stored_as_text``: rows read on SQLite (its dates and times come as their stored text
    from the driver; SQLAlchemy's are objects, taken as any other form)."""
    given = (processors or (None,) * len(PAGE_COLUMNS))[:len(PAGE_COLUMNS)]
    found = []
    for column, process in zip(PAGE_COLUMNS, given):
        if isinstance(column.type, _TEMPORAL) and column.name not in _KEPT_AS_DATETIME:
            process = _iso_text(process, stored_as_text and processors is not None,
                                isinstance(column.type, Date))
        elif isinstance(column.type, JSON) and process is not None:
            process = _json_text(process)
        found.append(process or _same)
    return tuple(found)


def _json_text(process):
    """A stored JSON document's text -> its value, read by orjson (a member's ``extra``, on
    every member of a page: 0.39 instead of 0.98 us). What orjson reads differently or
    refuses goes through the column's processor (json.loads), so the value is the same:
    perhaps an integer past 64 bits (orjson makes it a float), NaN, a lone surrogate, a
    number SQLite stored as a number, text that is no JSON (the same error as before)."""
    search = _LONG_DIGITS.search
    loads = orjson.loads

    def parse(value):
        if value.__class__ is str and search(value) is None:
            try:
                return loads(value)
            except orjson.JSONDecodeError:
                pass
        return process(value)

    return parse


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


def page_members(rows, read: tuple, now: datetime) -> list[dict]:
    """The members of a page's rows (grouped: a member's rows follow each other, its cards in
    id order), each as the API shows it; ``read`` from ``readers``; a PIN lock shows while it
    lasts past ``now``."""
    (_, _, _, _, _, _, read_leap, _, _, _, _, read_extra, read_created, read_updated,
     _, _, _, _, read_expires, read_issued, read_activated, read_has_pin, read_blocked,
     read_locked) = read
    found: list[dict] = []
    member_id = card_id = None
    member_cards = balances = None
    for (id_, name, phone, gender, birthday, calendar, leap_month, address, occupation,
         income_band, channel, extra, created_at, updated_at,
         row_card_id, number, kind, status, expires_on, issued_at, activated_at, has_pin,
         pin_blocked, locked_until, tier, asset, balance) in rows:
        if id_ != member_id:
            member_id, card_id, member_cards = id_, None, []
            # A member never changed was updated when created, a card activated when issued:
            # the same stored text, converted once (the two columns' readers are alike).
            created = None if created_at is None else read_created(created_at)
            found.append({
                "id": id_, "name": name, "phone": phone, "gender": gender, "birthday": birthday,
                "birthday_calendar": calendar,
                "birthday_leap_month": None if leap_month is None else read_leap(leap_month),
                "address": address, "occupation": occupation, "income_band": income_band,
                "channel": channel,
                "extra": (None if extra is None else read_extra(extra)) or {},
                "cards": member_cards,
                "created_at": created,
                "updated_at": created if updated_at == created_at else (
                    None if updated_at is None else read_updated(updated_at))})
        if row_card_id is None:
            continue  # a member without cards
        if row_card_id != card_id:
            card_id, balances = row_card_id, {}
            if locked_until is not None:
                locked_until = read_locked(locked_until)
                locked_until = locked_until.isoformat() if locked_until > now else None
            issued = None if issued_at is None else read_issued(issued_at)
            member_cards.append({
                "number": number, "kind": kind, "status": status, "tier": tier,
                "member_id": id_,
                "expires_on": None if expires_on is None else read_expires(expires_on),
                "issued_at": issued,
                "activated_at": issued if activated_at == issued_at else (
                    None if activated_at is None else read_activated(activated_at)),
                "has_pin": None if has_pin is None else read_has_pin(has_pin),
                "pin_blocked": None if pin_blocked is None else read_blocked(pin_blocked),
                "pin_locked_until": locked_until,
                "balances": balances})
        if asset is not None:
            balances[asset] = balance
    return found
