"""Tier upgrades (C4): a checkout that meets a higher tier's condition moves the card up.

The new tier applies from the next transaction: the checkout that qualifies was already
priced at the old tier. Cards never move down here.

Cumulative spend is kept as a running total per card and merchant day (card_spend_days):
qualifying sums at most one period's days of the member's cards, however long their history.
The period counts whole days: ``period_days`` 365 means from the same date a year ago.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .clock import local_date
from .direct_sql import DirectStatement
from .models import Card, CardSpendDay, Tier

if TYPE_CHECKING:
    from .merchant_config import MerchantConfig

_days, _cards = CardSpendDay.__table__, Card.__table__


def _add_statement(dialect):
    statement = dialect.insert(_days)
    return DirectStatement(statement.on_conflict_do_update(
        index_elements=[_days.c.card_id, _days.c.day],
        set_={"net_fen": _days.c.net_fen + statement.excluded.net_fen}))


_ADD = {"sqlite": _add_statement(sqlite), "postgresql": _add_statement(postgresql)}
_TIER_BY_KEY = select(Tier).where(Tier.merchant_id == bindparam("merchant"),
                                  Tier.key == bindparam("key"))


def spend_periods(config: MerchantConfig) -> tuple[int, ...]:
    """The distinct ``period_days`` of the configuration's cumulative-spend conditions."""
    return tuple(sorted({condition.get("period_days", 365) for tier in config.tiers
                         for condition in tier.get("upgrade", [])
                         if condition["kind"] == "cumulative_spend"}))


def period_start(now: datetime, period_days: int) -> date:
    """The first merchant day counted in a period of ``period_days`` ending on ``now``'s day."""
    return local_date(now) - timedelta(days=period_days)


def spent_columns(count: int) -> list:
    """``count`` scalar subqueries ``spent_<i>``: the net spend of the card (or all its
    member's cards) from bound date ``since_<i>``, to read in a statement on ``cards``."""
    member_cards = _cards.alias("member_cards")
    cards_counted = select(member_cards.c.id).where(
        (member_cards.c.member_id == _cards.c.member_id) | (member_cards.c.id == _cards.c.id)
    ).correlate(_cards)  # two levels down: the card read, not every card
    return [select(func.coalesce(func.sum(_days.c.net_fen), 0))
            .where(_days.c.card_id.in_(cards_counted.scalar_subquery()),
                   _days.c.day >= bindparam(f"since_{index}"))
            .scalar_subquery().label(f"spent_{index}") for index in range(count)]


_SPENT = select(*spent_columns(1)).where(_cards.c.id == bindparam("card"))


def record_spend(session: Session, card_id: int, day: date, net_fen: int) -> None:
    """Add ``net_fen`` (negative for a refund) to the card's spend on ``day``."""
    if net_fen:
        connection = session.connection()
        _ADD[connection.dialect.name].scalar(connection,
                                             {"card_id": card_id, "day": day, "net_fen": net_fen})


def spend_since(session: Session, card: Card, since: date) -> int:
    """Net spend (due minus refunds) on the card, or all of its member's cards, from ``since``."""
    return int(session.connection().execute(_SPENT, {"card": card.id, "since_0": since}).scalar())


def qualifies(session: Session, card: Card, condition: dict, *, single_purchase_fen: int | None,
              stored_amount_fen: int | None, channel: str | None, now: datetime,
              spent: dict | None = None) -> bool:
    """Whether ``condition`` holds; ``spent`` caches cumulative spend per start day."""
    kind = condition["kind"]
    if kind == "single_purchase":
        return single_purchase_fen is not None and single_purchase_fen >= condition["amount_fen"]
    if kind == "cumulative_spend":
        since = period_start(now, condition.get("period_days", 365))
        spent = {} if spent is None else spent
        if since not in spent:
            spent[since] = spend_since(session, card, since)
        return spent[since] >= condition["amount_fen"]
    if kind == "stored_amount":
        return stored_amount_fen is not None and stored_amount_fen >= condition["amount_fen"]
    if kind == "channel":
        return channel is not None and channel == condition["channel"]
    return False


def upgrade_card_tier(session: Session, card: Card, config: MerchantConfig, *,
                      single_purchase_fen: int | None = None, stored_amount_fen: int | None = None,
                      channel: str | None = None, now: datetime,
                      spent: dict | None = None) -> Tier | None:
    """Move ``card`` to the highest-ranked tier with a met condition; return it if it moved.

    ``spent``: cumulative spend per period start already known (read with the card).
    """
    current_rank = card.tier.rank if card.tier else -1
    spent = dict(spent or {})
    for definition in reversed(config.tiers):  # highest rank first
        if definition["rank"] <= current_rank:
            break
        if any(qualifies(session, card, condition, single_purchase_fen=single_purchase_fen,
                         stored_amount_fen=stored_amount_fen, channel=channel, now=now,
                         spent=spent)
               for condition in definition.get("upgrade", [])):
            tier = session.execute(_TIER_BY_KEY, {"merchant": card.merchant_id,
                                                  "key": definition["key"]}).scalar_one()
            card.tier = tier
            session.flush()
            return tier
    return None
