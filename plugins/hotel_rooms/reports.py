"""The hotel reports of the catalogue (issue 12): ``voucher_liability`` and
``voucher_redemptions``. The rows are those of the plugin's JSON endpoints (vouchers.outstanding,
vouchers.redemptions), shaped as columns. The liability's vouchers add up to the cards'
``room_vouchers`` balances on the ledger (one unit per voucher, H2)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from core.clock import MERCHANT_TZ
from core.models import Staff
from core.reports import Report, count, date_column, money, text

from .common import ROOM_TYPE_LABELS
from .vouchers import outstanding, redemptions


def _room_type_name(room_type) -> str:
    return ROOM_TYPE_LABELS.get(room_type, {}).get("zh-CN", "") if room_type else ""


def _liability_rows(session, query):
    for item in outstanding(session, query.merchant_id):
        yield {**item, "room_type": item["room_type"] or "",
               "room_type_name": _room_type_name(item["room_type"]),
               "value_fen": item["face_value_fen"] * item["vouchers"]}


def _redemption_rows(session, query):
    items = redemptions(session, query.merchant_id, query.start, query.end)
    staff_ids = {item["staff_id"] for item in items if item["staff_id"] is not None}
    names = dict(session.execute(select(Staff.id, Staff.display_name).where(
        Staff.merchant_id == query.merchant_id, Staff.id.in_(staff_ids))).all()) if staff_ids else {}
    for item in items:
        used = datetime.fromisoformat(item["used_at"]).astimezone(MERCHANT_TZ)
        yield {**item, "used_at": used.strftime("%Y-%m-%d %H:%M:%S"),
               "room_type": item["room_type"] or "", "room_type_name": _room_type_name(item["room_type"]),
               "stay_date": item["stay_date"] or "",
               "staff_name": names.get(item["staff_id"], "")}


KIND = text("kind", "类型", "Kind")
ROOM = [text("room_type", "房型代码", "Room type key"), text("room_type_name", "房型", "Room type")]

LIABILITY = Report(
    "voucher_liability", {"zh-CN": "未用房券", "en": "Vouchers outstanding"},
    [KIND, *ROOM, money("face_value_fen", "电子券面值", "E-voucher face value", total=False),
     date_column("expires_on", "到期日", "Expires on"), count("vouchers", "张数", "Vouchers"),
     money("value_fen", "电子券金额", "E-voucher value")],
    _liability_rows, period=False, by_store=False)

REDEMPTIONS = Report(
    "voucher_redemptions", {"zh-CN": "房券核销明细", "en": "Voucher redemptions"},
    [text("used_at", "核销时间", "Used at"), text("code", "券码", "Code"), text("card_number", "卡号", "Card"),
     KIND, *ROOM, money("face_value_fen", "电子券面值", "E-voucher face value"),
     date_column("stay_date", "入住日期", "Stay date"), text("room_no", "房号", "Room"),
     text("guest_name", "住客", "Guest"), text("staff_name", "操作员", "Desk clerk"),
     text("reason", "发放原因", "Issued for"), date_column("expires_on", "到期日", "Expires on")],
    _redemption_rows, by_store=False)


def reports() -> list[Report]:
    return [LIABILITY, REDEMPTIONS]
