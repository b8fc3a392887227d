"""Reminder kind ``voucher_expiry`` (issue 14), the room vouchers' share: active vouchers
whose last day is within ``days``; a range on ``ix_hotel_room_vouchers_expiry`` (h0002)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.reminders import Reminder, ReminderKind
from core.reminders.cards import CARD_MEMBER_COLUMNS, card_facts, voucher_settings, with_member

from .models import RoomVoucher

KIND = "voucher_expiry"


def scan_room_vouchers(session, config, merchant_id, on, settings, store_id=None):
    until = on + timedelta(days=settings["days"])
    query = with_member(
        select(*CARD_MEMBER_COLUMNS, RoomVoucher.id.label("voucher_id"), RoomVoucher.code,
               RoomVoucher.room_type, RoomVoucher.face_value_fen, RoomVoucher.expires_on).select_from(RoomVoucher)
        .where(RoomVoucher.merchant_id == merchant_id, RoomVoucher.status == "active",
               RoomVoucher.expires_on >= on, RoomVoucher.expires_on <= until),
        RoomVoucher.card_id, store_id).order_by(CARD_MEMBER_COLUMNS[0], RoomVoucher.id)
    for row in session.execute(query):
        voucher = row  # plain columns: no ORM object per row
        yield Reminder(member_id=row.member_id, kind=KIND, card_id=row.card_id,
                       store_id=row.registered_store_id,
                       occasion=f"{KIND}:room_voucher:{voucher.voucher_id}:{voucher.expires_on.isoformat()}",
                       facts={**card_facts(row), "voucher": "room_voucher", "code": voucher.code,
                              "room_type": voucher.room_type, "value_fen": voucher.face_value_fen or None,
                              "expires_on": voucher.expires_on.isoformat(),
                              "days_left": (voucher.expires_on - on).days})


def voucher_expiry_kind() -> ReminderKind:
    return ReminderKind(
        id=KIND, title={"zh-CN": "券即将过期", "en": "Vouchers expiring"},
        description={"zh-CN": "房券、电子券或优惠券快过期时，提醒会员尽快使用。",
                     "en": "Room vouchers, e-vouchers or coupons expire soon: remind the member to use them."},
        settings_schema=voucher_settings(), scan=scan_room_vouchers)
