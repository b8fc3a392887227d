"""Reminder kind ``points_expiry`` (issue 14, R2): cards whose points expire within ``days``.

One reminder per card and first expiry date (the occasion), with the points expiring in the
window; from the open lots expiring in the window (the core's partial index
``ix_lots_open_expiry``, migration 0015a), never a pass over every card.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from core.models import Account, AccountOwner, Lot
from core.reminders import Reminder, ReminderKind, days_setting, settings_object
from core.reminders.cards import CARD_MEMBER_COLUMNS, card_facts, with_member

from .common import ASSET

KIND = "points_expiry"


def scan_points_expiry(session, config, merchant_id, on, settings, store_id=None):
    until = on + timedelta(days=settings["days"])
    # Per card on the lots and accounts alone, then only those cards joined to their members.
    expiring = (select(Account.card_id.label("card_id"), func.min(Lot.expires_on).label("first"),
                       func.sum(Lot.remaining).label("points"))
                .select_from(Lot).join(Account, Account.id == Lot.account_id)
                .where(Lot.remaining > 0, Lot.expires_on >= on, Lot.expires_on <= until,
                       Account.merchant_id == merchant_id, Account.owner == AccountOwner.CARD.value,
                       Account.asset == ASSET)
                .group_by(Account.card_id).having(func.sum(Lot.remaining) >= settings["min_points"]).subquery())
    query = with_member(select(*CARD_MEMBER_COLUMNS, expiring.c.first, expiring.c.points).select_from(expiring),
                        expiring.c.card_id, store_id).order_by(CARD_MEMBER_COLUMNS[0])
    for row in session.execute(query):
        first = row.first if isinstance(row.first, date) else date.fromisoformat(row.first)
        yield Reminder(member_id=row.member_id, kind=KIND, card_id=row.card_id,
                       store_id=row.registered_store_id,
                       occasion=f"{KIND}:card:{row.card_id}:{first.isoformat()}",
                       facts={**card_facts(row), "points": int(row.points),
                              "expires_on": first.isoformat(), "days_left": (first - on).days})


def points_expiry_kind() -> ReminderKind:
    return ReminderKind(
        id=KIND, title={"zh-CN": "积分即将过期", "en": "Points expiring"},
        description={"zh-CN": "会员卡上的积分在几天内到期时提醒，请会员尽快使用。",
                     "en": "A card's points expire within these days: remind the member to use them."},
        settings_schema=settings_object({
            "days": days_setting(30, "提前几天提醒", "Days ahead", maximum=366),
            "min_points": {"type": "integer", "minimum": 1, "maximum": 100000000, "default": 1,
                           "x-unit": "point",
                           "x-label": {"zh-CN": "过期积分至少多少才提醒", "en": "At least this many points"}},
        }),
        scan=scan_points_expiry)
