"""Tier upgrades (C4): a checkout that meets a higher tier's condition moves the card up.

The new tier applies from the next transaction: the checkout that qualifies was already
priced at the old tier. Cards never move down here.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .merchant_config import MerchantConfig
from .models import Card, Checkout, CheckoutReturn, Tier


def spend_since(session: Session, card_ids: list[int], since: datetime) -> int:
    """Net spend (due minus refunds) on these cards since ``since``."""
    spent = session.scalar(select(func.coalesce(func.sum(Checkout.due_total_fen), 0)).where(
        Checkout.card_id.in_(card_ids), Checkout.created_at >= since)) or 0
    refunded = session.scalar(
        select(func.coalesce(func.sum(CheckoutReturn.refund_fen), 0))
        .join(Checkout, Checkout.id == CheckoutReturn.checkout_id)
        .where(Checkout.card_id.in_(card_ids), Checkout.created_at >= since)) or 0
    return int(spent) - int(refunded)


def qualifies(session: Session, card: Card, condition: dict, *, single_purchase_fen: int | None,
              stored_amount_fen: int | None, channel: str | None, now: datetime) -> bool:
    kind = condition["kind"]
    if kind == "single_purchase":
        return single_purchase_fen is not None and single_purchase_fen >= condition["amount_fen"]
    if kind == "cumulative_spend":
        since = now - timedelta(days=condition.get("period_days", 365))
        card_ids = [card.id] if card.member_id is None else list(session.scalars(
            select(Card.id).where(Card.member_id == card.member_id)))
        return spend_since(session, card_ids, since) >= condition["amount_fen"]
    if kind == "stored_amount":
        return stored_amount_fen is not None and stored_amount_fen >= condition["amount_fen"]
    if kind == "channel":
        return channel is not None and channel == condition["channel"]
    return False


def upgrade_card_tier(session: Session, card: Card, config: MerchantConfig, *,
                      single_purchase_fen: int | None = None, stored_amount_fen: int | None = None,
                      channel: str | None = None, now: datetime) -> Tier | None:
    """Move ``card`` to the highest-ranked tier with a met condition; return it if it moved."""
    current_rank = card.tier.rank if card.tier else -1
    for definition in reversed(config.tiers):  # highest rank first
        if definition["rank"] <= current_rank:
            break
        if any(qualifies(session, card, condition, single_purchase_fen=single_purchase_fen,
                         stored_amount_fen=stored_amount_fen, channel=channel, now=now)
               for condition in definition.get("upgrade", [])):
            tier = session.scalar(select(Tier).where(Tier.merchant_id == card.merchant_id,
                                                     Tier.key == definition["key"]))
            card.tier = tier
            session.flush()
            return tier
    return None
