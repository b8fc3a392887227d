"""The coupon plugin's API operations (served under /api/v1, tag ``coupons``).

Templates are the owner's and the manager's; any staff member may issue a template's coupons
to a card (the per-member and total limits guard the campaign) and read a card's coupons;
voiding is for owners and managers. Issuing creates codes, so it takes an Idempotency-Key:
a retried request returns the same coupons instead of issuing twice.
"""
from __future__ import annotations

from sqlalchemy import select

from core.cards import get_card
from core.checkout import usable_card
from core.clock import local_date
from core.errors import Invalid, problem
from core.models import Card, Member
from core.operations import ApiOperation, OperationContext
from core.schemas import check_body

from . import issuing
from .common import MAX_ISSUE_QUANTITY
from .models import Coupon, CouponTemplate
from .templates import MAX_FEN, create_template, list_templates, template_json, update_template

TAG = "coupons"
MANAGERS = frozenset({"owner", "manager"})
FEN = {"type": "integer", "minimum": 1, "maximum": MAX_FEN, "x-unit": "fen"}
LIMIT = {"type": ["integer", "null"], "minimum": 1, "maximum": 1_000_000}
DATE = {"type": "string", "format": "date"}
EDITABLE_PROPERTIES = {
    "name": {"type": "string", "minLength": 1, "maxLength": 60},
    "note": {"type": "string", "maxLength": 200},
    "active": {"type": "boolean", "description": "off: issues no more coupons (those out stay usable)"},
    "per_member_limit": {**LIMIT, "description": "coupons of this template one member may hold in all"},
    "total_limit": {**LIMIT, "description": "coupons of this template issued in all"},
    "issue_on_member_created": {"type": "boolean", "description": "a new member gets one"},
    "issue_on_checkout_fen": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_FEN,
                              "description": "a member checkout whose due amount reaches this gets one"},
}
TEMPLATE_INPUT = {
    "type": "object", "additionalProperties": False, "required": ["name", "kind"],
    "properties": {
        **EDITABLE_PROPERTIES,
        "kind": {"enum": ["cash", "discount", "threshold"],
                 "description": "cash 代金券: value_fen off; discount 折扣券: discount_permille of "
                                "the lines; threshold 满减: value_fen off once min_spend_fen is spent"},
        "value_fen": FEN,
        "discount_permille": {"type": "integer", "minimum": 1, "maximum": 999,
                              "description": "折扣券: the share paid, 850 = 8.5折"},
        "max_discount_fen": {**FEN, "description": "折扣券: at most this much off"},
        "min_spend_fen": {"type": "integer", "minimum": 0, "maximum": MAX_FEN,
                          "description": "the eligible lines must cost at least this (满 X)"},
        "categories": {"type": "array", "maxItems": 50, "items": {"type": "string", "maxLength": 60},
                       "description": "only lines of these categories; empty: the whole basket"},
        "special_price_lines": {"type": "boolean", "default": False,
                                "description": "also special-price (特价) lines"},
        "valid_from": {**DATE, "description": "fixed validity: first local day"},
        "valid_until": {**DATE, "description": "fixed validity: last local day"},
        "valid_days": {"type": "integer", "minimum": 1, "maximum": 3660,
                       "description": "or: usable N days from issue, the day of issue first"},
    },
}
TEMPLATE_UPDATE = {"type": "object", "additionalProperties": False, "minProperties": 1,
                   "properties": EDITABLE_PROPERTIES}
TEMPLATE = {"type": "object", "required": ["id", "name", "kind", "terms", "active"],
            "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                           "kind": {"type": "string"}, "terms": {"type": "string",
                                                                 "description": "满200减30, 8.5折 …"},
                           "active": {"type": "boolean"}}}
TEMPLATES = {"type": "object", "required": ["templates"],
             "properties": {"templates": {"type": "array", "items": TEMPLATE}}}
COUPON = {"type": "object",
          "required": ["code", "template_id", "name", "kind", "terms", "status", "valid_from",
                       "valid_until"],
          "properties": {"code": {"type": "string"}, "template_id": {"type": "integer"},
                         "name": {"type": "string"}, "kind": {"type": "string"},
                         "terms": {"type": "string"}, "status": {"enum": ["issued", "redeemed",
                                                                          "voided", "expired"]},
                         "card_number": {"type": ["string", "null"]},
                         "member_id": {"type": ["integer", "null"]},
                         "valid_from": DATE, "valid_until": DATE}}
COUPONS = {"type": "object", "required": ["coupons"],
           "properties": {"coupons": {"type": "array", "items": COUPON}}}
ISSUE_INPUT = {
    "type": "object", "additionalProperties": False, "required": ["template_id"],
    "properties": {
        "template_id": {"type": "integer", "minimum": 1},
        "card_number": {"type": "string", "minLength": 1, "maxLength": 40,
                        "description": "to this card (and its holder); omit with bearer"},
        "bearer": {"type": "boolean", "description": "printed coupons anyone may use (no card)"},
        "quantity": {"type": "integer", "minimum": 1, "maximum": MAX_ISSUE_QUANTITY, "default": 1},
        "note": {"type": "string", "maxLength": 200},
    },
}
CARD_ISSUE_INPUT = {"type": "object", "additionalProperties": False, "required": ["template_id"],
                    "properties": {key: ISSUE_INPUT["properties"][key]
                                   for key in ("template_id", "quantity", "note")}}
VOID_INPUT = {"type": "object", "additionalProperties": False,
              "properties": {"note": {"type": "string", "maxLength": 200}}}
NOT_FOUND = {404: "No such coupon, template or card for this merchant, or coupons are not enabled"}


def list_all_templates(context: OperationContext) -> dict:
    return {"templates": list_templates(context.session, context.merchant_id)}


def new_template(context: OperationContext) -> dict:
    body = check_body(context.body, TEMPLATE_INPUT, "the coupon template is not valid; nothing was saved")
    return template_json(create_template(context.session, context.merchant_id, body))


def change_template(context: OperationContext) -> dict:
    body = check_body(context.body, TEMPLATE_UPDATE, "the change is not valid; nothing was saved")
    return template_json(update_template(context.session, context.merchant_id,
                                         context.params["template_id"], body))


def issue_coupons(context: OperationContext) -> dict:
    body = check_body(context.body, ISSUE_INPUT, "the coupons are not valid; nothing was issued")
    if ("card_number" in body) == bool(body.get("bearer")):
        raise Invalid("issue to a card_number, or bearer coupons (printed), not both",
                      details=[problem("/card_number", "a card, or bearer: true")])
    card = None
    if "card_number" in body:
        card = usable_card(context.session, context.merchant_id, body["card_number"].strip(), context.now)
    coupons = issuing.issue(context.session, body["template_id"], context.merchant_id,
                            member_id=card.member_id if card else None, card=card,
                            quantity=body.get("quantity", 1), reason="staff", now=context.now,
                            staff_id=context.staff_id, store_id=context.store_id,
                            note=body.get("note", "").strip())
    template = context.session.get(CouponTemplate, body["template_id"])
    today = local_date(context.now)
    return {"coupons": [issuing.coupon_json(c, template, today, card.number if card else None)
                        for c in coupons]}


def issue_card_coupons(context: OperationContext) -> dict:
    """The cashier's screen: coupons of a template to the card on screen."""
    body = check_body(context.body, CARD_ISSUE_INPUT, "the coupons are not valid; nothing was issued")
    context.body = {**body, "card_number": context.params["card_number"]}
    return issue_coupons(context)


def card_coupons(context: OperationContext) -> dict:
    """The coupons the card's holder can use today, soonest to expire first."""
    card = get_card(context.session, context.merchant_id, context.params["card_number"])
    return {"coupons": issuing.usable_for_card(context.session, context.merchant_id, card,
                                               local_date(context.now))}


def get_coupon(context: OperationContext) -> dict:
    coupon, template = issuing.find(context.session, context.merchant_id, context.params["code"])
    return issuing.coupon_json(coupon, template, local_date(context.now),
                               _card_number(context.session, coupon))


def void_coupon(context: OperationContext) -> dict:
    body = check_body(context.body, VOID_INPUT, "the void is not valid; nothing was changed")
    coupon, template = issuing.void(context.session, context.merchant_id, context.params["code"],
                                    context.now, body.get("note", "").strip())
    return issuing.coupon_json(coupon, template, local_date(context.now),
                               _card_number(context.session, coupon))


def member_coupons(context: OperationContext) -> dict:
    """Every coupon of a member, any status, newest first (the member's page)."""
    member = context.session.get(Member, context.params["member_id"])
    if member is None or member.merchant_id != context.merchant_id:
        from core.errors import NotFound

        raise NotFound(f"member {context.params['member_id']} does not exist")
    rows = context.session.execute(
        select(Coupon, CouponTemplate).join(CouponTemplate, CouponTemplate.id == Coupon.template_id)
        .where(Coupon.merchant_id == context.merchant_id, Coupon.member_id == member.id)
        .order_by(Coupon.id.desc()).limit(500)).all()
    today = local_date(context.now)
    return {"coupons": [issuing.coupon_json(row.Coupon, row.CouponTemplate, today,
                                            _card_number(context.session, row.Coupon))
                        for row in rows]}


def _card_number(session, coupon: Coupon) -> str | None:
    return session.get(Card, coupon.card_id).number if coupon.card_id else None


def operations() -> list[ApiOperation]:
    return [
        ApiOperation("/coupon-templates", "GET", "listCouponTemplates", "List coupon templates",
                     list_all_templates, tag=TAG, response_schema=TEMPLATES, read_only=True),
        ApiOperation("/coupon-templates", "POST", "createCouponTemplate",
                     "Create a coupon template (a campaign)", new_template, tag=TAG, status=201,
                     roles=MANAGERS, request_schema=TEMPLATE_INPUT, response_schema=TEMPLATE,
                     errors={409: "A template of that name exists"},
                     audit="coupons.template_create"),
        ApiOperation("/coupon-templates/<int:template_id>", "PATCH", "updateCouponTemplate",
                     "Rename, switch off, or change the limits and issue rules of a template",
                     change_template, tag=TAG, roles=MANAGERS, request_schema=TEMPLATE_UPDATE,
                     response_schema=TEMPLATE, errors={**NOT_FOUND, 409: "A template of that name exists"},
                     audit="coupons.template_update"),
        ApiOperation("/coupons/issue", "POST", "issueCoupons",
                     "Issue coupons of a template to a card, or bearer coupons to print",
                     issue_coupons, tag=TAG, status=201, request_schema=ISSUE_INPUT,
                     response_schema=COUPONS, idempotent=True,
                     errors={**NOT_FOUND, 409: "The template is off or ended, a limit is reached, "
                                               "or the card cannot be used"},
                     audit="coupons.issue"),
        ApiOperation("/cards/<card_number>/coupons", "POST", "issueCardCoupons",
                     "Issue coupons of a template to a card (the cashier's screen)",
                     issue_card_coupons, tag=TAG, status=201, request_schema=CARD_ISSUE_INPUT,
                     response_schema=COUPONS, idempotent=True,
                     errors={**NOT_FOUND, 409: "The template is off or ended, a limit is reached, "
                                               "or the card cannot be used"},
                     audit="coupons.issue"),
        ApiOperation("/cards/<card_number>/coupons", "GET", "listCardCoupons",
                     "The coupons a card's holder can use today", card_coupons, tag=TAG,
                     response_schema=COUPONS, read_only=True, errors=NOT_FOUND),
        ApiOperation("/members/<int:member_id>/coupons", "GET", "listMemberCoupons",
                     "Every coupon of a member, any status", member_coupons, tag=TAG,
                     response_schema=COUPONS, read_only=True, errors=NOT_FOUND),
        ApiOperation("/coupons/<code>", "GET", "getCoupon", "Read a coupon by its code", get_coupon,
                     tag=TAG, response_schema=COUPON, read_only=True, errors=NOT_FOUND),
        ApiOperation("/coupons/<code>/void", "POST", "voidCoupon", "Void an unused coupon",
                     void_coupon, tag=TAG, roles=MANAGERS, request_schema=VOID_INPUT,
                     response_schema=COUPON, errors={**NOT_FOUND, 409: "The coupon is not unused"},
                     audit="coupons.void"),
    ]
