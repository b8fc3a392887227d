"""The demo's count and period cards (次卡、期限卡), so the till's member strip shows some on the
first run: two plans in the demo configuration (``service_packages`` plugin) and a few sold to
the first members through the real checkout, a session used on some. Data only: the core
knows the plugin's sku convention, not the plugin."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import checkout
from .models import Card

PLANS = [
    {"key": "facial_10", "name": "10次面部护理", "service": "面部护理", "kind": "count",
     "sessions": 10, "validity_days": 365, "price_fen": 168000},
    {"key": "quarter_pass", "name": "季卡", "service": "面部护理", "kind": "period",
     "validity_days": 90, "price_fen": 298000, "max_per_day": 1},
]
PLUGIN = {"id": "service_packages", "settings": {"plans": PLANS}}
HOLDERS = 5  # the first members by card number hold a 10-facial card


def sell_demo_packages(session: Session, config, merchant_id: int, store_id: int, staff_id: int,
                       now: datetime) -> int:
    """Sell the 10-facial card to the first HOLDERS members a week ago (cash) and the quarter
    pass to the first one; returns how many were sold. Nothing without the plugin."""
    if not config.is_enabled(PLUGIN["id"]):
        return 0
    numbers = list(session.scalars(select(Card.number).where(
        Card.merchant_id == merchant_id, Card.member_id.is_not(None)).order_by(Card.id).limit(HOLDERS)))
    sold_at = now - timedelta(days=7)
    sales = [(number, PLANS[0]) for number in numbers] + [(number, PLANS[1]) for number in numbers[:1]]
    for number, plan in sales:
        state = checkout.build(session, config, merchant_id, {
            "card_number": number,
            "lines": [{"sku": f"service_package.{plan['key']}", "name": plan["name"], "quantity": 1,
                       "unit_price_fen": plan["price_fen"], "category": "service_package"}]},
            store_id=store_id, staff_id=staff_id, now=sold_at)
        checkout.commit(state, [{"method": "cash", "amount_fen": state.due_fen}])
    return len(sales)
