"""tier_distribution (X3): members, cards and spend per tier.

A healthy ladder is diamond-shaped: few members at the bottom and the top, most in the
middle. Cards are counted in the tier they hold now; spend is their net spend (sales less
refunds, counted on the sale's day: card_spend_days, C4) in the period, a replaced card's
counted with the card that replaced it.
"""
from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from ..models import Card, CardSpendDay, Tier
from .types import Report, ReportQuery, count, money, permille, text

LIVE_CARD_STATUSES = ("issued", "active", "frozen", "lost")  # not replaced or expired


def rows(session: Session, query: ReportQuery):
    # The merchant's cards only: without the join the period's spend of every merchant's
    # cards would be summed, then mostly thrown away by the outer join.
    spend = (select(CardSpendDay.card_id, func.sum(CardSpendDay.net_fen).label("net_fen"))
             .join(Card, Card.id == CardSpendDay.card_id)
             .where(Card.merchant_id == query.merchant_id,
                    CardSpendDay.day >= query.start, CardSpendDay.day <= query.end)
             .group_by(CardSpendDay.card_id).subquery())
    per_tier = session.execute(
        select(Card.tier_id, func.count(Card.id), func.count(func.distinct(Card.member_id)),
               func.coalesce(func.sum(spend.c.net_fen), 0))
        .outerjoin(spend, spend.c.card_id == Card.id)
        .where(Card.merchant_id == query.merchant_id, Card.status.in_(LIVE_CARD_STATUSES))
        .group_by(Card.tier_id)).all()
    figures = {tier_id: (cards, members, int(net)) for tier_id, cards, members, net in per_tier}
    for tier_id, net in _replaced_cards_spend(session, query).items():
        cards, members, spent = figures.get(tier_id, (0, 0, 0))
        figures[tier_id] = (cards, members, spent + net)
    tiers = session.execute(select(Tier.id, Tier.key, Tier.name_zh, Tier.name_en, Tier.discount_permille)
                            .where(Tier.merchant_id == query.merchant_id, Tier.active)
                            .order_by(Tier.rank, Tier.id)).all()
    all_members = sum(members for _, members, _ in figures.values()) or 0
    listed = [(tier.id, tier.key, tier.name_zh, tier.name_en, tier.discount_permille) for tier in tiers]
    if None in figures:
        listed.append((None, "", "无等级", "No tier", 1000))
    for tier_id, key, name_zh, name_en, discount in listed:
        cards, members, net = figures.get(tier_id, (0, 0, 0))
        yield {"tier": key, "tier_name": {"zh-CN": name_zh, "en": name_en},
               "discount_permille": discount, "cards": cards, "members": members,
               "members_share_permille": members * 1000 // all_members if all_members else 0,
               "spend_fen": net, "spend_per_member_fen": net // members if members else 0}


def tier_mix(session: Session, merchant_id: int, start, end) -> list[dict]:
    """The report's rows for a period (local days, both included), for the dashboard's tier
    mix: tier, tier_name ({zh-CN, en}), members, cards, members_share_permille, spend_fen …"""
    from datetime import datetime, timezone

    query = ReportQuery(merchant_id=merchant_id, config=None, now=datetime.now(timezone.utc),
                        start=start, end=end)
    return list(rows(session, query))


def _replaced_cards_spend(session: Session, query: ReportQuery) -> dict:
    """Spend in the period on replaced cards, per tier of the card that replaced them now
    (补卡 moves the member's history to the new card: their spend must stay in the figures)."""
    replaced_cards = select(Card.id).where(Card.merchant_id == query.merchant_id,
                                           Card.status == "replaced")
    replaced = dict(session.execute(select(Card.id, Card.replaced_by_id)
                                    .where(Card.id.in_(replaced_cards))).all())
    if not replaced:
        return {}
    spent = session.execute(
        select(CardSpendDay.card_id, func.sum(CardSpendDay.net_fen))
        .where(CardSpendDay.card_id.in_(replaced_cards), CardSpendDay.day >= query.start,
               CardSpendDay.day <= query.end)
        .group_by(CardSpendDay.card_id)).all()
    holders = {}
    for card_id, _net in spent:
        holder, seen = replaced[card_id], {card_id}
        while holder in replaced and holder not in seen:  # replaced again: follow the chain
            seen.add(holder)
            holder = replaced[holder]
        holders[card_id] = holder
    # Subqueries, not lists of ids: a merchant may have replaced more cards than a statement
    # may carry parameters.
    successors = select(Card.replaced_by_id).where(Card.id.in_(replaced_cards))
    tiers = dict(session.execute(select(Card.id, Card.tier_id).where(
        Card.merchant_id == query.merchant_id, Card.status.in_(LIVE_CARD_STATUSES),
        Card.id.in_(successors))).all())
    per_tier: dict = {}
    for card_id, net in spent:
        holder = holders[card_id]
        if holder in tiers:
            per_tier[tiers[holder]] = per_tier.get(tiers[holder], 0) + int(net)
    return per_tier


REPORT = Report(
    id="tier_distribution",
    title={"zh-CN": "等级分布", "en": "Tier distribution"},
    description={"zh-CN": "各等级的会员数、卡数与期间消费；健康的等级结构呈菱形（X3）。",
                 "en": "Members, cards and spend in the period per tier; a healthy ladder is "
                       "diamond-shaped (X3)."},
    columns=[text("tier", "等级代码", "Tier key"), text("tier_name", "等级", "Tier"),
             permille("discount_permille", "折扣", "Discount", total=False),
             count("members", "会员数", "Members"), count("cards", "卡数", "Cards"),
             permille("members_share_permille", "会员占比", "Share of members", total=False),
             money("spend_fen", "期间消费", "Spend in period"),
             money("spend_per_member_fen", "人均消费", "Spend per member", total=False)],
    rows=rows,
    by_store=False,
    default_days=365,
)
