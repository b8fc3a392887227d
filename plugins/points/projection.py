"""P6 projection, the points part: the next mall gift, and points by year end at the pace.

Lines for the core's ``member_projection`` hook (core/projection.py states the tier part and
the pace). Points are earned at the card's tier rate (P1: per full unit, the remainder
dropped); a card kind that earns nothing (P3) gets no line. Integer fen and points only.

- ``gift``: the cheapest active, in-stock gift the card cannot afford yet: the points it lacks
  and the spend that earns them in one purchase (several smaller purchases each drop their
  remainder, so they may need up to one unit more each).
- ``year_end``: points on 31 December = spendable points now, minus lots that expire before
  that day, plus what the pace's spend until then earns; and the dearest gift they buy.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import local_date
from core.ledger import card_balances, open_lots
from core.merchant_config import MerchantConfig
from core.models import Card
from core.projection import SpendPace, year_end

from .common import ASSET, PLUGIN_ID
from .earning import points_for, rate_for
from .models import MallItem


def spend_for_points(points: int, earn_unit_fen: int, points_per_unit: int) -> int:
    """The least spend in one purchase that earns ``points`` (P1: full units only)."""
    units = -(-points // points_per_unit)  # ceiling, in integers
    return units * earn_unit_fen


def _points_on(session: Session, card: Card, day: date) -> int:
    """The card's points still valid on ``day``: lots that expire before it are left out."""
    gone = sum(lot["remaining"] for lot in open_lots(session, card.id)
               if lot["asset"] == ASSET and lot["expires_on"] and lot["expires_on"] < day.isoformat())
    return card_balances(session, card.id).get(ASSET, 0) - gone


def _gifts(session: Session, merchant_id: int) -> list[MallItem]:
    return list(session.scalars(
        select(MallItem).where(MallItem.merchant_id == merchant_id, MallItem.active.is_(True),
                               MallItem.stock > 0)
        .order_by(MallItem.points_cost, MallItem.id)))


def _gift(item: MallItem | None) -> dict:
    if item is None:
        return {"item_id": None, "item_name": None, "points_cost": None}
    return {"item_id": item.id, "item_name": item.name, "points_cost": item.points_cost}


def projection_lines(session: Session, card: Card, config: MerchantConfig, now: datetime,
                     pace: SpendPace | None) -> list[dict]:
    kind = config.card_kind(card.kind)
    if kind is not None and not kind.get("earns_points", True):
        return []  # P3: spending earns this card nothing
    unit, per_unit = rate_for(config.settings_for(PLUGIN_ID), card.tier.key if card.tier else None)
    today = local_date(now)
    points = _points_on(session, card, today)
    gifts = _gifts(session, card.merchant_id)
    lines = []
    next_gift = next((item for item in gifts if item.points_cost > points), None)
    if next_gift is not None:
        needed = next_gift.points_cost - points
        lines.append({"kind": "gift", "plugin": PLUGIN_ID, **_gift(next_gift), "points": points,
                      "points_needed": needed, "spend_fen": spend_for_points(needed, unit, per_unit)})
    end = year_end(today)
    if pace is not None and end > today:
        spend = pace.spend_until(end)
        at_end = _points_on(session, card, end) + points_for(spend, unit, per_unit)
        best = next((item for item in reversed(gifts) if item.points_cost <= at_end), None)
        lines.append({"kind": "year_end", "plugin": PLUGIN_ID, "until": end.isoformat(),
                      "weekly_fen": pace.weekly_fen, "spend_fen": spend, "points": points,
                      "points_at_year_end": at_end, **_gift(best)})
    return lines
