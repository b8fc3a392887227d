"""The checkout's card: usable (C5, C7), with its member, tier, accounts and tier-period spend
(C4), read in one statement while the write transaction holds the card.

The statement runs on the DBAPI cursor (core.direct_sql) and the Card, Member and Tier objects
are made from its row as the ORM would load them (every column, the card's ``member`` and
``tier`` set, the objects persistent in the session): the ORM's query path cost about as much
CPU as the rest of the checkout's statements together, inside the write lock (issue 11,
item 2). When the session already holds one of the three objects (its identity map would
give that object back, not a fresh one), the ORM loads them instead.
"""
from __future__ import annotations

import functools
from datetime import datetime

from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import Session, contains_eager, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict, set_committed_value

from .accounts import apply_pending, remember_card_accounts
from .clock import local_date
from .db import WRITING
from .direct_sql import DirectStatement, convert
from .errors import Conflict, NotFound
from .merchant_config import MerchantConfig
from .models import Account, Card, CardStatus, Member, Tier
from .pins import refuse_unknown_card
from .tiers import period_start, spend_periods, spent_columns

_accounts = Account.__table__
_cards = Card.__table__
_ACCOUNT_COLUMNS = (_accounts.c.id.label("account_id"), _accounts.c.merchant_id,
                    _accounts.c.purpose, _accounts.c.asset, _accounts.c.balance)


def usable(card: Card | None, number: str, now: datetime, pin: str | None) -> Card:
    """``card`` if it is active and unexpired, or a clear error (C5, C7).

    ``pin``: the PIN the request carries, if any; an unknown card then gets the wrong-PIN
    answer instead of a 404, so a PIN route does not tell which numbers exist (C6).
    """
    if card is None:
        if pin is not None:
            refuse_unknown_card(pin)
        raise NotFound(f"card {number} does not exist")
    if card.status != CardStatus.ACTIVE.value:
        raise Conflict(f"card {number} is {card.status} and cannot be used", code="card_not_usable",
                       params={"number": number, "status": card.status})
    if card.expires_on is not None and card.expires_on < local_date(now):
        raise Conflict(f"card {number} expired on {card.expires_on}", code="card_expired",
                       params={"number": number, "expires_on": card.expires_on.isoformat()})
    return card


# A write transaction holds the card before reading it, as every writer of card accounts
# does first. SQLite's write lock is already the whole database's. PostgreSQL locks the row
# with a statement of its own: a SELECT that waited for the lock would re-check only the
# locked row, and still show the accounts and spend as they were before the wait.
_HOLD_CARD = DirectStatement(
    select(_cards.c.id).where(_cards.c.merchant_id == bindparam("merchant"),
                              _cards.c.number == bindparam("number")).with_for_update())


def card_for_checkout(session: Session, config: MerchantConfig, merchant_id: int, number: str,
                      now: datetime, pin: str | None) -> tuple[Card, bool, dict]:
    """The usable card with member, tier and accounts loaded; whether the card is held; its
    spend per tier period start."""
    holding = bool(session.info.get(WRITING))
    periods = spend_periods(config)
    params = {"merchant": merchant_id, "number": number}
    if holding and session.get_bind().dialect.name != "sqlite":
        _HOLD_CARD.rows(session.connection(), params)
    starts = [period_start(now, days) for days in periods]
    params.update({f"since_{index}": start for index, start in enumerate(starts)})
    loaded = _load_direct(session, len(periods), params)
    if loaded is None:
        loaded = _load_with_orm(session, len(periods), params)
    card, accounts, spent_row = loaded
    card = usable(card, number, now, pin)
    remember_card_accounts(session, card.id, accounts)
    spent = {start: int(spent_row[index]) for index, start in enumerate(starts)}
    return card, holding, spent


class _AccountRow(tuple):
    """(account_id, merchant_id, purpose, asset, balance), read by name."""

    __slots__ = ()
    account_id = property(lambda self: self[0])
    merchant_id = property(lambda self: self[1])
    purpose = property(lambda self: self[2])
    asset = property(lambda self: self[3])
    balance = property(lambda self: self[4])


@functools.cache
def _orm_statement(periods: int):
    return (
        select(Card, *_ACCOUNT_COLUMNS, *spent_columns(periods))
        .outerjoin(Card.member).outerjoin(Card.tier)
        .options(contains_eager(Card.member), contains_eager(Card.tier))
        .outerjoin(_accounts, _accounts.c.card_id == Card.id)
        .where(Card.merchant_id == bindparam("merchant"), Card.number == bindparam("number")))


def _load_with_orm(session: Session, periods: int, params: dict):
    rows = session.execute(_orm_statement(periods), params).all()
    if not rows:
        return None, [], ()
    accounts = [_AccountRow(row[1:6]) for row in rows if row[1] is not None]
    return rows[0][0], accounts, rows[0][6:]


class _Shape:
    """A mapped class's column attributes as the ORM loads them: (attribute key, column)."""

    def __init__(self, cls) -> None:
        mapper = inspect(cls)
        self.mapper = mapper
        self.attributes = [(prop.key, prop.columns[0]) for prop in mapper.column_attrs
                           if not prop.deferred]
        # Plain columns of the class's own table only: anything else (an expression, a
        # column of another table) is left to the ORM.
        self.plain = all(len(prop.columns) == 1 and getattr(prop.columns[0], "table", None)
                         is mapper.local_table for prop in mapper.column_attrs)
        self.keys = [key for key, _column in self.attributes]
        self.columns = [column for _key, column in self.attributes]
        self.primary_key = [self.keys.index(mapper.get_property_by_column(column).key)
                            for column in mapper.primary_key]

    def identity(self, values) -> tuple:
        return self.mapper.identity_key_from_primary_key([values[i] for i in self.primary_key])

    def make(self, values):
        """A detached object holding ``values`` as its loaded state."""
        instance = self.mapper.class_manager.new_instance()
        instance_dict(instance).update(zip(self.keys, values))
        make_transient_to_detached(instance)
        return instance


@functools.cache
def _shapes() -> tuple[_Shape, _Shape, _Shape] | None:
    shapes = (_Shape(Card), _Shape(Member), _Shape(Tier))
    return shapes if all(shape.plain for shape in shapes) else None


@functools.cache
def _direct_statement(periods: int) -> DirectStatement:
    card, member, tier = _shapes()
    members, tiers = member.mapper.local_table, tier.mapper.local_table
    return DirectStatement(
        select(*card.columns, *member.columns, *tier.columns, *_ACCOUNT_COLUMNS,
               *spent_columns(periods))
        .select_from(_cards.outerjoin(members, members.c.id == _cards.c.member_id)
                     .outerjoin(tiers, tiers.c.id == _cards.c.tier_id)
                     .outerjoin(_accounts, _accounts.c.card_id == _cards.c.id))
        .where(_cards.c.merchant_id == bindparam("merchant"),
               _cards.c.number == bindparam("number")))


def _load_direct(session: Session, periods: int, params: dict):
    """(card, its account rows, its spend per period), or None: let the ORM load them."""
    shapes = _shapes()
    if shapes is None:
        return None
    # What an ORM query does first: balance updates left for later, then the autoflush.
    apply_pending(session)
    if session.autoflush and (session.new or session.dirty or session.deleted):
        session.flush()
    rows, processors = _direct_statement(periods).raw_rows(session.connection(), params)
    if not rows:
        return None, [], ()
    card_shape, member_shape, tier_shape = shapes
    row = convert(rows[0], processors)
    first_member = len(card_shape.keys)
    first_tier = first_member + len(member_shape.keys)
    first_account = first_tier + len(tier_shape.keys)
    parts = [(card_shape, row[:first_member]), (member_shape, row[first_member:first_tier]),
             (tier_shape, row[first_tier:first_account])]
    present = [(shape, values) for shape, values in parts
               if values[shape.primary_key[0]] is not None]
    identities = [shape.identity(values) for shape, values in present]
    if any(identity in session.identity_map for identity in identities):
        return None  # the session's own object must be the one given back
    made = {shape: shape.make(values) for shape, values in present}
    card = made[card_shape]
    set_committed_value(card, "member", made.get(member_shape))
    set_committed_value(card, "tier", made.get(tier_shape))
    session.add(card)  # cascades to its member and tier: all three persistent, unchanged
    # account ids, merchant ids, names and balances: what the driver gives is the value
    accounts = [_AccountRow(row[first_account:first_account + 5])
                for row in rows if row[first_account] is not None]
    return card, accounts, row[first_account + 5:]
