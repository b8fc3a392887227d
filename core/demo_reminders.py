"""The demo's members to remind (issue 14, item 1): birthdays on both calendars — 腊月三十, a
leap-month birth, 02-29, a solar and a lunar birthday today — a join anniversary today and a
member who turns dormant today, so ``make run`` shows reminders on its first day.

Added after the sales history, so the dormant member's one visit stays their last.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from lunar_python import Solar
from sqlalchemy import update
from sqlalchemy.orm import Session

from . import cards, checkout, members
from .clock import MERCHANT_TZ, local_date
from .models import Card, Member

DORMANT_DAYS = 90  # the dormant kind's default
MEMBERS = 8  # added on top of the demo's ``member_count``
FIXED_BIRTHDAYS = (
    ("陈腊月", {"birthday": "1990-12-30", "birthday_calendar": "lunar"}),  # 腊月三十
    ("林闰月", {"birthday": "2004-02-15", "birthday_calendar": "lunar", "birthday_leap_month": True}),
    ("赵二月", {"birthday": "1995-02-15", "birthday_calendar": "lunar"}),
    ("孙闰日", {"birthday": "1996-02-29"}),
)


def todays_birthdays(today) -> tuple:
    """A solar and a lunar birthday that fall on ``today``."""
    lunar = Solar.fromYmd(today.year, today.month, today.day).getLunar()
    return (("吴寿星", {"birthday": f"1992-{today.month:02d}-{today.day:02d}"}),
            ("郑农历", {"birthday": f"1985-{abs(lunar.getMonth()):02d}-{lunar.getDay():02d}",
                     "birthday_calendar": "lunar", "birthday_leap_month": lunar.getMonth() < 0}))


def add_reminder_members(session: Session, config, merchant_id: int, store_ids: list[int],
                         staff_id: int, now: datetime) -> dict[str, int]:
    """Create the demo's members to remind; their ids by name."""
    today = local_date(now)
    joined_long_ago = now - timedelta(days=400)
    people = [*FIXED_BIRTHDAYS, *todays_birthdays(today), ("钱沉睡", {}), ("冯周年", {})]
    assert len(people) == MEMBERS
    ids = {}
    for index, (name, born) in enumerate(people):
        member = members.create_member(session, config, merchant_id, {
            "name": name, "phone": f"1880000{index:04d}", "gender": "female" if index % 2 else "male",
            "extra": {"favourite_category": ("food", "beauty", "home")[index % 3]}, **born,
        }, store_id=store_ids[index % len(store_ids)])
        cards.issue_card(session, config, merchant_id, {
            "kind": "standard", "member_id": member.id, "tier": config.tiers[0]["key"]},
            store_id=member.registered_store_id)
        ids[name] = member.id
    session.flush()
    for name, member_id in ids.items():
        joined = joined_long_ago
        if name == "冯周年":  # a year ago today, in the afternoon (local)
            joined = datetime(today.year - 1, today.month, min(today.day, 28) if (today.month, today.day) == (2, 29)
                              else today.day, 15, 0, tzinfo=MERCHANT_TZ)
        session.execute(update(Member).where(Member.id == member_id).values(created_at=joined))
        session.execute(update(Card).where(Card.member_id == member_id)
                        .values(issued_at=joined, activated_at=joined))
    _last_visit(session, config, merchant_id, ids["钱沉睡"], store_ids[0], staff_id,
                now - timedelta(days=DORMANT_DAYS))
    return ids


def _last_visit(session, config, merchant_id, member_id, store_id, staff_id, at) -> None:
    number = session.get(Member, member_id).cards[0].number
    state = checkout.build(session, config, merchant_id, {"card_number": number, "lines": [
        {"sku": "TEA-01", "name": "龙井茶 250g", "unit_price_fen": 12800}]},
        store_id=store_id, staff_id=staff_id, now=at)
    checkout.commit(state, [{"method": "cash", "amount_fen": state.due_fen}])
