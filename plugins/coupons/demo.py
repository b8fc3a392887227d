"""The demo's coupons (``huika demo``): two campaigns and a coupon on each of the first cards,
so the till's member strip shows coupons to tap on the first run, and one that runs out within
days on the first card, so 券即将过期 (``voucher_expiry``, default 7 days) shows at once."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Card

from . import issuing
from .templates import create_template

CAMPAIGNS = (
    {"name": "满200减30", "kind": "threshold", "value_fen": 3000, "min_spend_fen": 20000,
     "valid_days": 60, "per_member_limit": 1},
    {"name": "会员日9折券", "kind": "discount", "discount_permille": 900, "max_discount_fen": 5000,
     "valid_days": 30, "per_member_limit": 1},
)
HOLDERS = 5  # the first cards each get one coupon of every campaign
EXPIRING_SOON = {"name": "限时饮品券", "kind": "cash", "value_fen": 1000, "valid_days": 3,
                 "per_member_limit": 1}  # the first card only


def load(session: Session, merchant_id: int, staff_id: int, store_id: int, now: datetime) -> int:
    """Create the campaigns and issue them; returns how many coupons were issued."""
    cards = list(session.scalars(select(Card).where(
        Card.merchant_id == merchant_id, Card.member_id.is_not(None)).order_by(Card.id).limit(HOLDERS)))
    issued = 0
    for body in CAMPAIGNS:
        template = create_template(session, merchant_id, body)
        for card in cards:
            issued += len(issuing.issue(session, template.id, merchant_id, member_id=card.member_id,
                                        card=card, quantity=1, reason="staff", now=now,
                                        staff_id=staff_id, store_id=store_id))
    template = create_template(session, merchant_id, EXPIRING_SOON)
    for card in cards[:1]:
        issued += len(issuing.issue(session, template.id, merchant_id, member_id=card.member_id, card=card,
                                    quantity=1, reason="staff", now=now, staff_id=staff_id, store_id=store_id))
    return issued
