"""The demo's birthdays (``huika demo``): the first member's solar birthday and the second
member's lunar birthday fall today, so the till's member strip shows "本月享 9 折" on the first
run (the rule itself is in the demo configuration, core/demo.py)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import members
from core.birthdays import LUNAR, birthday_keys_on
from core.clock import local_date
from core.models import Member

# The rule the demo configuration carries (core/demo.py names it).
DEMO_SETTINGS = {"rules": [{"window": "month", "discount_permille": 900, "max_discount_fen": 5000,
                            "gift_name": "生日长寿面"}]}


def load(session: Session, config, merchant_id: int, staff_id: int, now: datetime) -> None:
    first_two = list(session.scalars(select(Member).where(Member.merchant_id == merchant_id)
                                     .order_by(Member.id).limit(2)))
    today = local_date(now)
    lunar = next(key for key in birthday_keys_on(today) if key.calendar == LUNAR)
    birthdays = [{"birthday": f"1988-{today.month:02d}-{today.day:02d}", "birthday_calendar": "solar",
                  "birthday_leap_month": False},
                 {"birthday": f"1975-{lunar.month:02d}-{lunar.day:02d}", "birthday_calendar": "lunar",
                  "birthday_leap_month": bool(lunar.leap_month)}]
    for member, birthday in zip(first_two, birthdays):
        members.update_member(session, config, member, birthday, staff_id=staff_id, now=now)
