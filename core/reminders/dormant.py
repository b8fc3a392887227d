"""Built-in kind ``dormant``: members whose last visit (a checkout) was ``days`` days ago,
to call back (沉睡会员).

A member turns dormant on one day — their last visit plus ``days`` — and is reminded then,
once per dormancy: the occasion names the last visit day, so the next dormancy (after a new
visit) is a new occasion. A member who joined and never bought counts from the day they
joined. Who visited on that day comes from ``ix_checkouts_merchant_day`` and "nothing since"
is one probe of ``ix_checkouts_member_activity`` per visitor (migration 0015a).
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, exists, select, union

from ..clock import local_day_bounds
from ..models import Checkout, Member
from .members import MEMBER_COLUMNS, in_store, member_facts
from .types import Reminder, ReminderKind, days_setting, settings_object

KIND = "dormant"


def scan_dormant(session, config, merchant_id, on, settings, store_id=None):
    last_visit = on - timedelta(days=settings["days"])
    start, end = local_day_bounds(last_visit)
    later = Checkout.__table__.alias("later")
    visitors = (select(Checkout.member_id.label("member_id"))
                .where(Checkout.merchant_id == merchant_id, Checkout.created_at >= start,
                       Checkout.created_at < end, Checkout.member_id.is_not(None))
                .where(~exists().where(later.c.merchant_id == merchant_id,
                                       later.c.member_id == Checkout.member_id,
                                       later.c.created_at >= end)))
    ever = Checkout.__table__.alias("ever")
    never_bought = (select(Member.id.label("member_id"))
                    .where(Member.merchant_id == merchant_id, Member.created_at >= start,
                           Member.created_at < end)
                    .where(~exists().where(ever.c.merchant_id == merchant_id,
                                           ever.c.member_id == Member.id)))
    dormant = union(visitors, never_bought).subquery()
    query = in_store(select(*MEMBER_COLUMNS).join(dormant, and_(dormant.c.member_id == Member.id))
                     .where(Member.merchant_id == merchant_id).order_by(Member.id), store_id)
    for row in session.execute(query):
        yield Reminder(member_id=row.id, kind=KIND, occasion=f"{KIND}:{last_visit.isoformat()}",
                       store_id=row.registered_store_id,
                       facts={**member_facts(row), "last_visit_on": last_visit.isoformat(),
                              "days_since": settings["days"]})


def dormant_kind() -> ReminderKind:
    return ReminderKind(
        id=KIND, title={"zh-CN": "沉睡会员", "en": "Dormant member"},
        description={"zh-CN": "会员连续多少天没有到店消费，就提醒店员回访一次。",
                     "en": "A member who has not bought for this many days: call them back, once."},
        settings_schema=settings_object({
            "days": days_setting(90, "多少天没到店算沉睡", "Days without a visit", minimum=1, maximum=1000),
        }),
        scan=scan_dormant)
