"""P6 projection: what a member reaches by spending more, from the card's own history.

The core states the tier part (C4: the next tier's spend-based upgrade conditions) and the
member's spend pace; plugins add their own lines through the ``member_projection`` hook (the
points plugin: the next mall gift, points by year end). Integer fen throughout.

The pace is the net spend (card_spend_days: due minus refunds) of all the member's cards over
the last ``PACE_DAYS`` merchant days, today included, or since the first purchase if that is
shorter, but never fewer than ``MIN_PACE_DAYS`` days (one purchase yesterday is not seven a
week). No spend in the window, or refunds outweighing it: no pace.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from .clock import local_date
from .models import Card, CardSpendDay, CardStatus
from .tiers import period_start, spend_since

if TYPE_CHECKING:
    from .merchant_config import MerchantConfig

PACE_DAYS = 90
MIN_PACE_DAYS = 7
SPEND_CONDITIONS = ("cumulative_spend", "single_purchase")  # reachable by spending (C4)


@dataclass(frozen=True)
class SpendPace:
    """Net spend ``spent_fen`` over ``days`` days ending ``today`` (included)."""

    today: date
    days: int
    spent_fen: int

    @property
    def weekly_fen(self) -> int:
        """Average spend per week, rounded down to the fen."""
        return self.spent_fen * 7 // self.days

    def spend_until(self, end: date) -> int:
        """Spend at this pace on the days after today up to ``end`` (included), rounded down."""
        return self.spent_fen * max((end - self.today).days, 0) // self.days

    def json(self) -> dict:
        return {"weekly_fen": self.weekly_fen, "days": self.days, "spent_fen": self.spent_fen}


def year_end(today: date) -> date:
    return date(today.year, 12, 31)


def _member_cards(card: Card):
    if card.member_id is None:
        return select(Card.id).where(Card.id == card.id)
    return select(Card.id).where(Card.member_id == card.member_id)


def spend_pace(session: Session, card: Card, now: datetime) -> SpendPace | None:
    """The member's average spend pace (module docstring), or None without recent spend."""
    today = local_date(now)
    start = today - timedelta(days=PACE_DAYS - 1)
    days = CardSpendDay.__table__.c
    first, spent = session.execute(
        select(func.min(days.day),
               func.coalesce(func.sum(case((days.day >= start, days.net_fen), else_=0)), 0))
        .where(days.card_id.in_(_member_cards(card).scalar_subquery()), days.day <= today)).one()
    spent = int(spent or 0)
    if first is None or spent <= 0:
        return None
    window = PACE_DAYS if first <= start else (today - first).days + 1
    return SpendPace(today=today, days=max(window, MIN_PACE_DAYS), spent_fen=spent)


def tier_lines(session: Session, card: Card, config: MerchantConfig, now: datetime) -> list[dict]:
    """The next tier the card reaches by spending, one line per spend-based condition (C4).

    ``spend_fen``: what is left to spend (0: met, the upgrade comes with the next purchase);
    a single purchase counts on its own, so its ``spend_fen`` is the whole threshold. Tiers
    reached only by a recharge or a channel are skipped; a card at the top gets no line.
    """
    rank = card.tier.rank if card.tier else -1
    for tier in config.tiers:  # lowest rank first
        conditions = [c for c in tier.get("upgrade", []) if c["kind"] in SPEND_CONDITIONS]
        if tier["rank"] <= rank or not conditions:
            continue
        lines = []
        for condition in conditions:
            line = {"kind": "tier", "tier": tier["key"], "condition": condition["kind"],
                    "threshold_fen": condition["amount_fen"]}
            if condition["kind"] == "cumulative_spend":
                days = condition.get("period_days", 365)
                spent = spend_since(session, card, period_start(now, days))
                line.update(period_days=days, spent_fen=spent,
                            spend_fen=max(condition["amount_fen"] - spent, 0))
            else:
                line["spend_fen"] = condition["amount_fen"]
            lines.append(line)
        return lines
    return []


def card_projection(session: Session, card: Card, config: MerchantConfig, now: datetime) -> dict:
    """Everything the card's member reaches by spending more, as of ``now`` (P6).

    A card that cannot be used (lost, frozen, replaced …) has no lines: it buys nothing.
    """
    today = local_date(now)
    answer = {"card_number": card.number, "tier": card.tier.key if card.tier else None,
              "as_of": today.isoformat(), "year_end": year_end(today).isoformat(),
              "pace": None, "lines": []}
    usable = card.status == CardStatus.ACTIVE.value and (card.expires_on is None
                                                         or card.expires_on >= today)
    if not usable:
        return answer
    pace = spend_pace(session, card, now)
    answer["pace"] = pace.json() if pace else None
    answer["lines"] = tier_lines(session, card, config, now)
    for lines in config.hook("member_projection")(session=session, card=card, config=config,
                                                  now=now, pace=pace):
        answer["lines"].extend(lines or [])
    return answer
