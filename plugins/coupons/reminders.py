"""Reminder kind ``voucher_expiry`` (issue 14), the coupons' share: a member's issued coupons
whose last day is within ``days`` (bearer coupons have nobody to remind); a range on
``ix_coupons_expiry`` (c0002)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.models import Member
from core.reminders import Reminder, ReminderKind, voucher_settings
from core.reminders.members import MEMBER_COLUMNS, in_store, member_facts

from .models import Coupon, CouponTemplate

KIND = "voucher_expiry"


def scan_coupons(session, config, merchant_id, on, settings, store_id=None):
    until = on + timedelta(days=settings["days"])
    query = in_store(
        select(*MEMBER_COLUMNS, Coupon.id.label("coupon_id"), Coupon.code, Coupon.card_id,
               Coupon.valid_until, CouponTemplate.name.label("coupon"), CouponTemplate.kind.label("coupon_kind"),
               CouponTemplate.value_fen)
        .select_from(Coupon).join(Member, Member.id == Coupon.member_id)
        .join(CouponTemplate, CouponTemplate.id == Coupon.template_id)
        .where(Coupon.merchant_id == merchant_id, Coupon.status == "issued",
               Coupon.valid_until >= on, Coupon.valid_until <= until, Coupon.valid_from <= until),
        store_id).order_by(Member.id, Coupon.id)
    for row in session.execute(query):
        yield Reminder(member_id=row.id, kind=KIND, card_id=row.card_id, store_id=row.registered_store_id,
                       occasion=f"{KIND}:coupon:{row.coupon_id}:{row.valid_until.isoformat()}",
                       facts={**member_facts(row), "voucher": "coupon", "code": row.code, "coupon": row.coupon,
                              "value_fen": row.value_fen or None, "expires_on": row.valid_until.isoformat(),
                              "days_left": (row.valid_until - on).days})


def voucher_expiry_kind() -> ReminderKind:
    return ReminderKind(
        id=KIND, title={"zh-CN": "券即将过期", "en": "Vouchers expiring"},  # the name hotel_rooms uses too
        description={"zh-CN": "会员的优惠券快过期时，提醒会员尽快使用。",
                     "en": "A member's coupons expire soon: remind them to use them."},
        settings_schema=voucher_settings(), scan=scan_coupons)
