"""Tiers as last published (C1). They are edited through the configuration draft."""
from __future__ import annotations

from sqlalchemy import select

from core.errors import NotFound
from core.models import Tier

from . import schemas
from ..extension import huika
from .operations import caller, operation
from .serialize import tier_json


@operation("/tiers", "GET", operation_id="listTiers", tag="tiers", summary="List tiers",
           responses={200: ("Tiers by rank, inactive (unpublished) ones last", schemas.TIER_LIST)})
def list_tiers():
    with huika().db.read() as session:
        tiers = session.scalars(select(Tier).where(Tier.merchant_id == caller().merchant_id)
                                .order_by(Tier.active.desc(), Tier.rank, Tier.id))
        return {"items": [tier_json(tier) for tier in tiers]}


@operation("/tiers/<tier_key>", "GET", operation_id="getTier", tag="tiers", summary="Read a tier",
           responses={200: ("The tier", schemas.TIER), 404: ("No such tier", schemas.ERROR)})
def get_tier(tier_key: str):
    with huika().db.read() as session:
        tier = session.scalar(select(Tier).where(Tier.merchant_id == caller().merchant_id,
                                                 Tier.key == tier_key))
        if tier is None:
            raise NotFound(f"tier {tier_key} does not exist")
        return tier_json(tier)
