"""tier_distribution (X3): members, cards and spend per tier.

A healthy ladder is diamond-shaped: few members at the bottom and the top, most in the
middle. Cards are counted in the tier they hold now; spend is their net spend (sales less
refunds, counted on the sale's day: card_spend_days, C4) in the period.
"""
from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from ..models import Card, CardSpendDay, Tier
from .types import Report, ReportQuery, count, money, permille, text

LIVE_CARD_STATUSES = ("issued", "active", "frozen", "lost")  # not replaced or expired


def rows(session: Session, query: ReportQuery):
    spend = (select(CardSpendDay.card_id, func.sum(CardSpendDay.net_fen).label("net_fen"))
             .where(CardSpendDay.day >= query.start, CardSpendDay.day <= query.end)
             .group_by(CardSpendDay.card_id).subquery())
    per_tier = session.execute(
        select(Card.tier_id, func.count(Card.id), func.count(func.distinct(Card.member_id)),
               func.coalesce(func.sum(spend.c.net_fen), 0))
        .outerjoin(spend, spend.c.card_id == Card.id)
        .where(Card.merchant_id == query.merchant_id, Card.status.in_(LIVE_CARD_STATUSES))
        .group_by(Card.tier_id)).all()
    figures = {tier_id: (cards, members, int(net)) for tier_id, cards, members, net in per_tier}
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
