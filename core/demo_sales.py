"""The demo's past (``huika demo``): two months of sales, so reports and the dashboard have
something to show on the first run. Real checkouts through core.checkout, each dated in the
past: the ledger, points, tiers and running spend are exactly what those sales would leave.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from . import checkout
from .clock import MERCHANT_TZ
from .models import Card, Member

HISTORY_DAYS = 60
GOODS = (("TEA-01", "龙井茶 250g", 12800), ("RICE-05", "五常大米 5kg", 8990),
         ("OIL-02", "花生油 1.8L", 4590), ("SOAP-03", "洗衣液 2kg", 3990),
         ("MILK-12", "纯牛奶 12盒", 6500), ("NUT-07", "每日坚果 30袋", 15900),
         ("TOWEL-2", "纯棉毛巾 2条", 2990), ("CREAM-1", "护手霜", 4500))
PAYMENTS = ({"method": "cash"}, {"method": "external", "channel": "wechat"},
            {"method": "external", "channel": "alipay"}, {"method": "external", "channel": "wechat"})


def backdate_members(session: Session, merchant_id: int, now: datetime, rng: random.Random) -> None:
    """Spread the members' sign-up days over the last four months (their cards with them)."""
    for member_id, in session.execute(select(Member.id).where(Member.merchant_id == merchant_id)).all():
        joined = now - timedelta(days=rng.randint(HISTORY_DAYS // 2, HISTORY_DAYS * 2),
                                 minutes=rng.randint(0, 600))
        session.execute(update(Member).where(Member.id == member_id).values(created_at=joined))
        session.execute(update(Card).where(Card.member_id == member_id)
                        .values(issued_at=joined, activated_at=joined))


def sales_history(session: Session, config, merchant_id: int, store_ids: list[int],
                  staff_id: int, now: datetime, rng: random.Random) -> int:
    """Checkouts on each of the last HISTORY_DAYS days, more at weekends; two in three by
    members. Returns how many were made."""
    numbers = list(session.scalars(select(Card.number).where(Card.merchant_id == merchant_id,
                                                             Card.member_id.is_not(None))))
    made = 0
    local_now = now.astimezone(MERCHANT_TZ)
    for days_ago in range(HISTORY_DAYS, 0, -1):
        day = (local_now - timedelta(days=days_ago)).date()
        visits = rng.randint(3, 7) + (3 if day.weekday() >= 5 else 0)
        for _ in range(visits):
            moment = datetime(day.year, day.month, day.day, rng.randint(9, 20), rng.randint(0, 59),
                              tzinfo=MERCHANT_TZ)
            lines = [{"sku": sku, "name": name, "unit_price_fen": price,
                      "quantity": rng.choice((1, 1, 1, 2))}
                     for sku, name, price in rng.sample(GOODS, rng.randint(1, 3))]
            body = {"lines": lines}
            if numbers and rng.random() < 0.67:
                body["card_number"] = rng.choice(numbers)
            state = checkout.build(session, config, merchant_id, body, store_id=rng.choice(store_ids),
                                   staff_id=staff_id, now=moment)
            checkout.commit(state, [{**rng.choice(PAYMENTS), "amount_fen": state.due_fen}])
            made += 1
    return made
