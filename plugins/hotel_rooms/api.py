"""The hotel plugin's API operations (served under /api/v1 by the web layer, tag ``hotel``).

Declared as data (core.operations.ApiOperation): the web layer authenticates, checks the role
and that the merchant enabled the plugin, enforces Idempotency-Key on everything that moves
vouchers, and runs each handler in one write transaction. Bodies are checked against the
same JSON Schema the OpenAPI document publishes, so a bad input is a 422 with JSON pointers
and changes nothing.
"""
from __future__ import annotations

from datetime import date, timedelta

from core.cards import get_card
from core.checkout import usable_card
from core.clock import local_date, parse_date
from core.errors import Conflict, Invalid, problem
from core.models import Card, Member
from core.operations import ApiOperation, OperationContext
from core.schemas import check_body

from . import vouchers
from .common import PLUGIN_ID, ROOM_TYPES, card_vouchers

MANAGERS = frozenset({"owner", "manager"})
TAG = "hotel"
MAX_QUANTITY = 30
MAX_FACE_VALUE_FEN = 10_000_000
VOUCHER_CODE = {"type": "string", "minLength": 6, "maxLength": 64, "pattern": "^[A-Za-z0-9_-]+$",
                "description": "the code in the voucher's QR code"}

VOUCHER = {
    "type": "object",
    "required": ["code", "card_number", "kind", "room_type", "face_value_fen", "status", "reason",
                 "note", "issued_on", "expires_on", "stay_date", "room_no", "used_at"],
    "properties": {
        "code": {"type": "string"}, "card_number": {"type": "string"},
        "kind": {"enum": ["room", "e_voucher"]},
        "room_type": {"enum": [*ROOM_TYPES, None]},
        "face_value_fen": {"type": "integer", "minimum": 0, "description": "e-vouchers only"},
        "status": {"enum": ["active", "redeemed", "expired"]},
        "reason": {"enum": ["card_issued", "card_upgrade", "birthday", "campaign", "manual", "benefit"]},
        "note": {"type": "string"},
        "issued_on": {"type": "string", "format": "date"},
        "expires_on": {"type": "string", "format": "date", "description": "last local day of use"},
        "stay_date": {"type": ["string", "null"], "format": "date"},
        "room_no": {"type": "string"}, "used_at": {"type": ["string", "null"]},
    },
}
VOUCHER_LIST = {"type": "object", "required": ["items"],
                "properties": {"items": {"type": "array", "items": VOUCHER}}}
VOUCHER_WITH_QR = {**VOUCHER, "required": [*VOUCHER["required"], "qr_svg"],
                   "properties": {**VOUCHER["properties"],
                                  "qr_svg": {"type": "string", "description": "the QR code as SVG"}}}
SLIP_FILTER = {"type": "object", "additionalProperties": False,
               "properties": {"kind": {"enum": ["room", "e_voucher"]}}}
SLIPS = {"type": "object", "required": ["items"],
         "properties": {"items": {"type": "array", "items": VOUCHER_WITH_QR}}}
ISSUE_INPUT = {
    "type": "object", "required": ["reason"], "additionalProperties": False,
    "properties": {
        "room_type": {"enum": list(ROOM_TYPES), "description": "a room voucher of this type"},
        "face_value_fen": {"type": "integer", "minimum": 1, "maximum": MAX_FACE_VALUE_FEN,
                           "x-unit": "fen", "description": "or an e-voucher of this value"},
        "quantity": {"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY, "default": 1},
        "validity_days": {"type": "integer", "minimum": 1, "maximum": 3660,
                          "description": "default: the voucher_validity_days setting"},
        "reason": {"enum": ["campaign", "manual"]},
        "note": {"type": "string", "maxLength": 200},
    },
}
ISSUED = {"type": "object", "required": ["items", "room_vouchers"],
          "properties": {"items": {"type": "array", "items": VOUCHER},
                         "room_vouchers": {"type": "integer", "description": "vouchers on the card now"}}}
REDEEM_INPUT = {
    "type": "object", "required": ["voucher_code"], "additionalProperties": False,
    "properties": {
        "voucher_code": VOUCHER_CODE,
        "stay_date": {"type": "string", "format": "date", "description": "default: today"},
        "room_no": {"type": "string", "maxLength": 10},
        "guest_name": {"type": "string", "maxLength": 40},
        "id_document_last4": {"type": "string", "pattern": "^[0-9]{3}[0-9Xx]$"},
    },
}
REDEMPTION = {"type": "object", "required": ["redemption_id", "voucher", "room_vouchers"],
              "properties": {"redemption_id": {"type": "integer", "description": "the ledger transaction"},
                             "voucher": VOUCHER, "room_vouchers": {"type": "integer"}}}
EXPIRY = {"type": "object", "required": ["as_of", "cards", "vouchers", "items"],
          "properties": {"as_of": {"type": "string", "format": "date"}, "cards": {"type": "integer"},
                         "vouchers": {"type": "integer"}, "items": {"type": "array", "items": {
                             "type": "object", "required": ["card_number", "vouchers", "transaction_id"],
                             "properties": {"card_number": {"type": "string"},
                                            "vouchers": {"type": "integer"},
                                            "transaction_id": {"type": "integer"}}}}}}
EXPIRING = {"type": "object", "required": ["as_of", "days", "items"],
            "properties": {"as_of": {"type": "string", "format": "date"}, "days": {"type": "integer"},
                           "items": {"type": "array", "items": {
                               **VOUCHER, "required": [*VOUCHER["required"], "member_id"],
                               "properties": {**VOUCHER["properties"],
                                              "member_id": {"type": ["integer", "null"]}}}}}}
LIABILITY = {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": {
    "type": "object", "required": ["kind", "room_type", "face_value_fen", "expires_on", "vouchers"],
    "properties": {"kind": {"type": "string"}, "room_type": {"type": ["string", "null"]},
                   "face_value_fen": {"type": "integer"}, "expires_on": {"type": "string", "format": "date"},
                   "vouchers": {"type": "integer"}}}}}}
REDEMPTIONS = {"type": "object", "required": ["from", "to", "items"],
               "properties": {"from": {"type": "string", "format": "date"},
                              "to": {"type": "string", "format": "date"},
                              "items": {"type": "array", "items": {
                                  **VOUCHER, "required": [*VOUCHER["required"], "staff_id"],
                                  "properties": {**VOUCHER["properties"],
                                                 "staff_id": {"type": ["integer", "null"]}}}}}}
NO_BODY = {"type": "object", "additionalProperties": False, "properties": {}}


# -- handlers ------------------------------------------------------------------------------

def list_card_vouchers(context: OperationContext) -> dict:
    card = get_card(context.session, context.merchant_id, context.params["card_number"])
    status = context.query.get("status") or None
    if status not in (None, "active", "redeemed", "expired"):
        raise Invalid("status is active, redeemed or expired",
                      details=[problem("/status", "active, redeemed or expired")])
    return {"items": vouchers.list_for_card(context.session, context.merchant_id, card, status)}


def voucher_slips(context: OperationContext) -> dict:
    """H2: the card's usable vouchers with their QR codes, to print or show the guest."""
    card = get_card(context.session, context.merchant_id, context.params["card_number"])
    body = check_body(context.body, SLIP_FILTER, "the filter is not valid")
    items = [item for item in vouchers.list_for_card(context.session, context.merchant_id, card, "active")
             if body.get("kind") in (None, item["kind"])]
    return {"items": [{**item, "qr_svg": vouchers.qr_svg(item["code"])} for item in items]}


def get_voucher(context: OperationContext) -> dict:
    voucher = vouchers.find(context.session, context.merchant_id, context.params["voucher_code"])
    card = context.session.get(Card, voucher.card_id)
    return {**vouchers.voucher_json(voucher, card.number), "qr_svg": vouchers.qr_svg(voucher.code)}


def issue_vouchers(context: OperationContext) -> dict:
    """H2: vouchers by campaign or by hand (owner and manager), a room type or an e-voucher."""
    card = usable_card(context.session, context.merchant_id, context.params["card_number"], context.now)
    body = check_body(context.body, ISSUE_INPUT, "the vouchers are not valid; nothing was issued")
    if ("room_type" in body) == ("face_value_fen" in body):
        raise Invalid("give either a room_type (a room voucher) or a face_value_fen (an e-voucher)",
                      details=[problem("/room_type", "either this or face_value_fen"),
                               problem("/face_value_fen", "either this or room_type")])
    issued = vouchers.issue(context.session, context.config, card, reason=body["reason"],
                            now=context.now, room_type=body.get("room_type"),
                            face_value_fen=body.get("face_value_fen", 0),
                            quantity=body.get("quantity", 1), validity_days=body.get("validity_days"),
                            note=body.get("note", "").strip(), store_id=context.store_id,
                            staff_id=context.staff_id)
    return {"items": [vouchers.voucher_json(v, card.number) for v in issued],
            "room_vouchers": card_vouchers(context.session, context.merchant_id, card.id).balance}


def redeem_voucher(context: OperationContext) -> dict:
    """H2: the desk scans the voucher's QR code on the member's card page."""
    card = usable_card(context.session, context.merchant_id, context.params["card_number"], context.now)
    body = check_body(context.body, REDEEM_INPUT, "the redemption is not valid; nothing was used")
    given = body.get("id_document_last4")
    if given and card.member_id is not None:
        member = context.session.get(Member, card.member_id)
        recorded = (member.extra or {}).get("id_document_last4")
        if recorded and recorded.upper() != given.upper():
            raise Conflict("the ID number does not match the member's", code="id_mismatch",
                           details=[problem("/id_document_last4", "the member's ID number, last 4")])
    return vouchers.redeem(context.session, context.config, card, body, now=context.now,
                           store_id=context.store_id, staff_id=context.staff_id)


def run_expiry(context: OperationContext) -> dict:
    check_body(context.body, NO_BODY, "expiring vouchers takes no body")
    return vouchers.expire(context.session, context.merchant_id, context.now)


def _days(context: OperationContext, default: int) -> int:
    raw = context.query.get("days")
    if raw in (None, ""):
        return default
    if not raw.isdigit() or int(raw) > 3660:
        raise Invalid("days is a whole number from 0 to 3660", details=[problem("/days", "0 to 3660")])
    return int(raw)


def list_expiring(context: OperationContext) -> dict:
    days = _days(context, context.config.settings_for(PLUGIN_ID)["voucher_expiry_notice_days"])
    return {"as_of": local_date(context.now).isoformat(), "days": days,
            "items": vouchers.expiring_soon(context.session, context.merchant_id, context.now, days)}


def report_liability(context: OperationContext) -> dict:
    return {"items": vouchers.outstanding(context.session, context.merchant_id)}


def _date(context: OperationContext, name: str, default: date) -> date:
    raw = context.query.get(name)
    if raw in (None, ""):
        return default
    try:
        return parse_date(raw)
    except ValueError:
        raise Invalid(f"{name} is a date", details=[problem(f"/{name}", "YYYY-MM-DD")]) from None


def report_redemptions(context: OperationContext) -> dict:
    today = local_date(context.now)
    until = _date(context, "to", today)
    since = _date(context, "from", until - timedelta(days=30))
    if since > until:
        raise Invalid("from is after to", details=[problem("/from", "on or before to")])
    return {"from": since.isoformat(), "to": until.isoformat(),
            "items": vouchers.redemptions(context.session, context.merchant_id, since, until)}


CARD_404 = {404: "No such card (or voucher) for this merchant, or the plugin is not enabled"}
DATE_QUERY = {"type": "string", "format": "date"}


def operations() -> list[ApiOperation]:
    return [
        ApiOperation("/cards/<card_number>/room-vouchers", "GET", "listRoomVouchers",
                     "List a card's room vouchers and e-vouchers", list_card_vouchers, tag=TAG,
                     response_schema=VOUCHER_LIST, read_only=True, errors=CARD_404,
                     query=[("status", {"enum": ["active", "redeemed", "expired"]}, "only these")]),
        ApiOperation("/cards/<card_number>/room-vouchers", "POST", "issueRoomVouchers",
                     "Issue room vouchers or e-vouchers to a card (campaign or by hand)",
                     issue_vouchers, tag=TAG, status=201, roles=MANAGERS, request_schema=ISSUE_INPUT,
                     response_schema=ISSUED, idempotent=True,
                     errors={**CARD_404, 409: "The card cannot be used"},
                     audit="room_vouchers.issue"),
        ApiOperation("/cards/<card_number>/room-vouchers/slips", "POST", "printRoomVoucherSlips",
                     "The card's usable vouchers with their QR codes, to print for the guest "
                     "(the cashier screen's action; changes nothing)", voucher_slips, tag=TAG,
                     request_schema=SLIP_FILTER, response_schema=SLIPS, read_only=True,
                     errors=CARD_404),
        ApiOperation("/cards/<card_number>/room-vouchers/redeem", "POST", "redeemRoomVoucher",
                     "Redeem a room voucher by its scanned code (H2)", redeem_voucher, tag=TAG,
                     status=201, request_schema=REDEEM_INPUT, response_schema=REDEMPTION,
                     idempotent=True,
                     errors={**CARD_404, 409: "Already used, expired, a blackout date, another "
                                              "card's voucher, or the ID does not match"}),
        ApiOperation("/room-vouchers/<voucher_code>", "GET", "getRoomVoucher",
                     "Read a voucher with its QR code (SVG)", get_voucher, tag=TAG,
                     response_schema=VOUCHER_WITH_QR, read_only=True, errors=CARD_404),
        ApiOperation("/room-vouchers/expire", "POST", "expireRoomVouchers",
                     "Expire every voucher past its date now (H2)", run_expiry, tag=TAG,
                     roles=MANAGERS, response_schema=EXPIRY, idempotent=True,
                     audit="room_vouchers.expire"),
        ApiOperation("/room-vouchers/expiring", "GET", "listExpiringRoomVouchers",
                     "Vouchers expiring soon (H2, R2)", list_expiring, tag=TAG, roles=MANAGERS,
                     response_schema=EXPIRING, read_only=True,
                     query=[("days", {"type": "integer", "minimum": 0, "maximum": 3660},
                             "window in days (default: voucher_expiry_notice_days)")],
                     audit="export"),
        ApiOperation("/room-vouchers/reports/liability", "GET", "reportRoomVoucherLiability",
                     "Report: vouchers outstanding. Deprecated: GET /reports/voucher_liability",
                     report_liability, tag=TAG, roles=MANAGERS,
                     response_schema=LIABILITY, read_only=True,
                     audit="export"),
        ApiOperation("/room-vouchers/reports/redemptions", "GET", "reportRoomVoucherRedemptions",
                     "Report: voucher redemptions. Deprecated: GET /reports/voucher_redemptions",
                     report_redemptions, tag=TAG, roles=MANAGERS,
                     response_schema=REDEMPTIONS, read_only=True,
                     query=[("from", DATE_QUERY, "first local date (default: 30 days before to)"),
                            ("to", DATE_QUERY, "last local date (default: today)")],
                     audit="export"),
    ]
