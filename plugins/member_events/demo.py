"""The demo's events (``huika demo``): an upcoming 沙龙 with a few members signed up, and a
新品发布会 for gold and diamond members, so the till, the member portal and the attendance
report show something on the first run."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import MERCHANT_TZ, local_date
from core.models import Card

from . import signups
from .models import MemberEvent

SIGNED_UP = 4  # the first members with a card sign up for the salon


def _local(day, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=MERCHANT_TZ)


def load(session: Session, config, merchant_id: int, store_id: int, staff_id: int, now: datetime) -> int:
    """Create the events and the salon's sign-ups; returns how many members signed up."""
    saturday = local_date(now) + timedelta(days=(5 - local_date(now).weekday()) % 7 or 7)
    tiers = {tier["key"] for tier in config.tiers}
    salon = MemberEvent(
        merchant_id=merchant_id, store_id=store_id, title="护肤沙龙",
        description="美容顾问讲解当季补水与防护，现场试用新品，到场会员赠小样一份。",
        place="本店二楼会客室", starts_at=_local(saturday, 14), ends_at=_local(saturday, 16),
        capacity=20, taken=0, waitlist=True, tiers=[], status="open", created_by_staff_id=staff_id,
        created_at=now, cancel_reason="")
    launch = MemberEvent(
        merchant_id=merchant_id, store_id=None, title="新品发布会",
        description="新品抢先体验，会员专享首发价。", place="总店大厅",
        starts_at=_local(saturday + timedelta(days=14), 19), ends_at=_local(saturday + timedelta(days=14), 21),
        capacity=50, taken=0, waitlist=False, tiers=sorted(tiers & {"gold", "diamond"}),
        status="open", created_by_staff_id=staff_id, created_at=now, cancel_reason="")
    session.add_all([salon, launch])
    session.flush()
    cards = session.execute(select(Card.member_id, Card.id).where(
        Card.merchant_id == merchant_id, Card.member_id.is_not(None), Card.status == "active")
        .order_by(Card.id).limit(SIGNED_UP)).all()
    for member_id, card_id in cards:
        signups.sign_up(session, merchant_id, salon.id, member_id, channel="till", now=now,
                        card_id=card_id, staff_id=staff_id, store_id=store_id)
    return len(cards)
