"""The points plugin's API operations (served under /api/v1 by the web layer, tag ``points``).

Declared as data (core.operations.ApiOperation): the web layer authenticates, checks the role
and that the caller's merchant enabled the plugin, enforces Idempotency-Key on money-moving
operations and runs each handler in one write transaction. Handlers check their body against
the same JSON Schema the OpenAPI document publishes (core.schemas.validate_against), so every
bad input is an ``Invalid`` with JSON pointers and changes nothing.
"""
from __future__ import annotations

from core import audit
from core.clock import local_date
from core.ledger import card_balances
from core.errors import Invalid, problem
from core.operations import ApiOperation, AuditSpec, OperationContext
from core.schemas import check_body
from core.text import VISIBLE_PATTERN

from . import adjust, mall, wheel
from .common import PLUGIN_ID
from .expiry import expire_points, expiring_soon

MANAGERS = frozenset({"owner", "manager"})
OWNER = frozenset({"owner"})
TAG = "points"

POINTS_BALANCE = {"type": "integer", "minimum": 0, "description": "the card's points after this"}

# Something another plugin gives (core.benefits): a wheel prize or a mall item.
BENEFIT = {"type": "object", "required": ["kind"],
           "properties": {"kind": {"type": "string", "description": "a kind an enabled plugin gives"}},
           "description": 'e.g. {"kind": "room_voucher", "room_type": "suite"} (H4); the other '
                          "fields follow the kind's schema (core.benefits)"}

# -- mall ----------------------------------------------------------------------------------
MALL_ITEM = {
    "type": "object",
    "required": ["id", "name", "description", "points_cost", "stock", "active"],
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                   "description": {"type": "string"}, "points_cost": {"type": "integer"},
                   "stock": {"type": "integer"}, "active": {"type": "boolean"},
                   "benefit": {"type": ["object", "null"]}},
}
MALL_ITEM_LIST = {"type": "object", "required": ["items"],
                  "properties": {"items": {"type": "array", "items": MALL_ITEM}}}
_MALL_FIELDS = {
    "name": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": VISIBLE_PATTERN},
    "description": {"type": "string", "maxLength": 500},
    "points_cost": {"type": "integer", "minimum": 1, "maximum": 10_000_000,
                    "description": "points per unit"},
    "active": {"type": "boolean", "description": "offered to members (default true)"},
}
MALL_ITEM_INPUT = {
    "type": "object", "required": ["name", "points_cost", "stock"], "additionalProperties": False,
    "properties": {**_MALL_FIELDS,
                   "stock": {"type": "integer", "minimum": 0, "maximum": 1_000_000},
                   "benefit": {**BENEFIT, "description": "given per unit bought, e.g. a coupon "
                                                         '{"kind": "coupon", "template_id": 3}; '
                                                         "omit for a gift handed over"}},
}
MALL_ITEM_PATCH = {
    "type": "object", "minProperties": 1, "additionalProperties": False,
    "properties": {**_MALL_FIELDS,
                   "restock": {"type": "integer", "minimum": 1, "maximum": 1_000_000,
                               "description": "units added to the stock"}},
}
REDEEM_INPUT = {
    "type": "object", "required": ["item_id"], "additionalProperties": False,
    "properties": {"item_id": {"type": "integer", "minimum": 1},
                   "quantity": {"type": "integer", "minimum": 1, "maximum": 100, "default": 1}},
}
REDEMPTION = {
    "type": "object",
    "required": ["redemption_id", "card_number", "item", "quantity", "points_spent", "points"],
    "properties": {"redemption_id": {"type": "integer", "description": "the ledger transaction"},
                   "card_number": {"type": "string"}, "item": MALL_ITEM,
                   "quantity": {"type": "integer"}, "points_spent": {"type": "integer"},
                   "points": POINTS_BALANCE,
                   "benefits_given": {"type": "array", "description": "what the giving plugin "
                                                                      "issued (benefit items)"}},
}

# -- wheel ---------------------------------------------------------------------------------
PRIZE = {
    "type": "object",
    "required": ["id", "name", "kind", "points", "weight", "stock", "active"],
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                   "kind": {"enum": ["points", "gift", "none", "benefit"]}, "points": {"type": "integer"},
                   "benefit": {**BENEFIT, "description": "benefit prizes only: " + BENEFIT["description"]},
                   "weight": {"type": "integer"}, "stock": {"type": ["integer", "null"]},
                   "active": {"type": "boolean"}},
}
PRIZE_LIST = {"type": "object", "required": ["items"],
              "properties": {"items": {"type": "array", "items": PRIZE}}}
_PRIZE_FIELDS = {
    "name": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": VISIBLE_PATTERN},
    "weight": {"type": "integer", "minimum": 1, "maximum": 1_000_000,
               "description": "odds: weight / sum of the weights of prizes still in stock"},
    "active": {"type": "boolean"},
}
PRIZE_INPUT = {
    "type": "object", "required": ["name", "kind"], "additionalProperties": False,
    "properties": {**_PRIZE_FIELDS,
                   "kind": {"enum": ["points", "gift", "none", "benefit"],
                            "description": "points: credits `points`; gift: a gift handed over; "
                                           "none: 谢谢参与; benefit: `benefit`, given by "
                                           "another plugin (a hotel room voucher, H4)"},
                   "benefit": BENEFIT,
                   "points": {"type": "integer", "minimum": 0, "maximum": 1_000_000,
                              "description": "for kind points only"},
                   "stock": {"type": ["integer", "null"], "minimum": 0, "maximum": 1_000_000,
                             "description": "omit or null for unlimited"}},
}
PRIZE_PATCH = {
    "type": "object", "minProperties": 1, "additionalProperties": False,
    "properties": {**_PRIZE_FIELDS,
                   "restock": {"type": "integer", "minimum": 1, "maximum": 1_000_000}},
}
SPIN = {
    "type": "object",
    "required": ["spin_id", "card_number", "spin_no", "free", "cost_points", "prize", "benefit_given",
                 "points",
                 "spins_left_today", "free_spins_left_today"],
    "properties": {"spin_id": {"type": "integer", "description": "the wheel_spin ledger transaction"},
                   "card_number": {"type": "string"},
                   "spin_no": {"type": "integer", "description": "n-th spin of the member's local day"},
                   "free": {"type": "boolean"}, "cost_points": {"type": "integer"},
                   "prize": PRIZE, "points": POINTS_BALANCE,
                   "benefit_given": {"type": ["object", "null"],
                                     "description": "what the giving plugin issued (benefit prizes)"},
                   "spins_left_today": {"type": "integer"},
                   "free_spins_left_today": {"type": "integer"}},
}

# -- adjustments and expiry ----------------------------------------------------------------
ADJUST_INPUT = {
    "type": "object", "required": ["points", "reason"], "additionalProperties": False,
    "properties": {"points": {"type": "integer", "not": {"const": 0},
                              "minimum": -adjust.MAX_POINTS, "maximum": adjust.MAX_POINTS,
                              "description": "positive adds a lot, negative takes oldest first"},
                   "reason": {"type": "string", "minLength": 1, "maxLength": 200}},
}
ADJUSTMENT = {
    "type": "object",
    "required": ["adjustment_id", "card_number", "points_changed", "reason", "expires_on", "points"],
    "properties": {"adjustment_id": {"type": "integer"}, "card_number": {"type": "string"},
                   "points_changed": {"type": "integer"}, "reason": {"type": "string"},
                   "expires_on": {"type": ["string", "null"]}, "points": POINTS_BALANCE},
}
EXPIRY = {
    "type": "object", "required": ["as_of", "cards", "points", "items"],
    "properties": {"as_of": {"type": "string", "format": "date"},
                   "cards": {"type": "integer"}, "points": {"type": "integer"},
                   "items": {"type": "array", "items": {
                       "type": "object", "required": ["card_number", "points", "transaction_id"],
                       "properties": {"card_number": {"type": "string"},
                                      "points": {"type": "integer"},
                                      "transaction_id": {"type": "integer"}}}}},
}
EXPIRING = {
    "type": "object", "required": ["as_of", "days", "items"],
    "properties": {"as_of": {"type": "string", "format": "date"}, "days": {"type": "integer"},
                   "items": {"type": "array", "items": {
                       "type": "object",
                       "required": ["card_number", "member_id", "points", "first_expires_on", "lots"],
                       "properties": {"card_number": {"type": "string"},
                                      "member_id": {"type": ["integer", "null"]},
                                      "points": {"type": "integer"},
                                      "first_expires_on": {"type": "string", "format": "date"},
                                      "lots": {"type": "array"}}}}},
}


# -- handlers ------------------------------------------------------------------------------

def _card_number(context: OperationContext) -> str:
    return context.params["card_number"]


def list_mall_items(context: OperationContext) -> dict:
    active = context.query.get("active")
    if active not in (None, "", "true", "false"):
        raise Invalid("active is true or false", details=[problem("/active", "true or false")])
    return {"items": mall.list_items(context.session, context.merchant_id, active_only=active == "true")}


def create_mall_item(context: OperationContext) -> dict:
    body = check_body(context.body, MALL_ITEM_INPUT, "the mall item is not valid; nothing was saved")
    return mall.item_json(mall.create_item(context.session, context.merchant_id, body, context.config))


def update_mall_item(context: OperationContext) -> dict:
    item = mall.get_item(context.session, context.merchant_id, context.params["item_id"])
    body = check_body(context.body, MALL_ITEM_PATCH, "the change is not valid; nothing was saved")
    return mall.item_json(mall.update_item(context.session, context.merchant_id, item.id, body))


def redeem_mall_item(context: OperationContext) -> dict:
    body = check_body(context.body, REDEEM_INPUT, "the redemption is not valid; nothing was spent")
    return mall.redeem(context.session, context.merchant_id, _card_number(context), body,
                       now=context.now, store_id=context.store_id, staff_id=context.staff_id,
                       config=context.config)


def list_wheel_prizes(context: OperationContext) -> dict:
    return {"items": wheel.list_prizes(context.session, context.merchant_id)}


def create_wheel_prize(context: OperationContext) -> dict:
    body = check_body(context.body, PRIZE_INPUT, "the prize is not valid; nothing was saved")
    return wheel.prize_json(wheel.create_prize(context.session, context.config, context.merchant_id, body))


def update_wheel_prize(context: OperationContext) -> dict:
    prize = wheel.get_prize(context.session, context.merchant_id, context.params["prize_id"])
    body = check_body(context.body, PRIZE_PATCH, "the change is not valid; nothing was saved")
    return wheel.prize_json(wheel.update_prize(context.session, context.merchant_id, prize.id, body))


def spin_wheel(context: OperationContext) -> dict:
    check_body(context.body, {"type": "object", "additionalProperties": False, "properties": {}},
               "a spin takes no body")
    return wheel.spin(context.session, context.config, context.merchant_id, _card_number(context),
                      now=context.now, store_id=context.store_id, staff_id=context.staff_id)


def adjust_points(context: OperationContext) -> dict:
    body = check_body(context.body, ADJUST_INPUT, "the adjustment is not valid; nothing was changed")
    return adjust.adjust(context.session, context.config, context.merchant_id,
                         _card_number(context), body, now=context.now,
                         store_id=context.store_id, staff_id=context.staff_id)


def run_expiry(context: OperationContext) -> dict:
    check_body(context.body, {"type": "object", "additionalProperties": False, "properties": {}},
               "expiring points takes no body")
    return expire_points(context.session, context.merchant_id, context.now)


def list_expiring(context: OperationContext) -> dict:
    raw = context.query.get("days")
    days = context.config.settings_for(PLUGIN_ID)["expiry_notice_days"]
    if raw not in (None, ""):
        if not raw.isdigit() or int(raw) > 3660:
            raise Invalid("days is a whole number from 0 to 3660",
                          details=[problem("/days", "0 to 3660")])
        days = int(raw)
    return {"as_of": local_date(context.now).isoformat(), "days": days,
            "items": expiring_soon(context.session, context.merchant_id, context.now, days)}


# -- audit (core.audit): what a change by hand looked like before and after ------------------

def points_before(context: OperationContext) -> dict | None:
    card = audit.locked_card(context.session, context.merchant_id, context.params.get("card_number"),
                             lock=False)
    return None if card is None else {"points": card_balances(context.session, card.id).get("points", 0)}


def mall_item_before(context: OperationContext) -> dict:
    return mall.item_json(mall.get_item(context.session, context.merchant_id, context.params["item_id"]))


def prize_before(context: OperationContext) -> dict:
    return wheel.prize_json(wheel.get_prize(context.session, context.merchant_id, context.params["prize_id"]))


def expiry_summary(context: OperationContext, result: dict) -> dict:
    return {"as_of": result["as_of"], "cards": result["cards"], "points": result["points"]}


def created(kind: str):
    """The target of a create: the new row's id from the result."""
    return lambda context, result: f"{kind}:{result['id']}"


CARD_404 = {404: "No such card (or mall item) for this merchant, or the plugin is not enabled"}
CARD_409 = {409: "The card cannot be used, has too few unexpired points, or the item is out of "
                 "stock / no longer offered"}


def operations() -> list[ApiOperation]:
    return [
        ApiOperation("/points/mall/items", "GET", "listMallItems", "List the points mall's items",
                     list_mall_items, tag=TAG, response_schema=MALL_ITEM_LIST, read_only=True,
                     query=[("active", {"enum": ["true", "false"]}, "true: only items on offer")]),
        ApiOperation("/points/mall/items", "POST", "createMallItem", "Add an item to the points mall",
                     create_mall_item, tag=TAG, status=201, roles=MANAGERS,
                     request_schema=MALL_ITEM_INPUT, response_schema=MALL_ITEM,
                     errors={409: "An item with this name exists"},
                     audit=AuditSpec("points.mall_item.create", target=created("mall_item"))),
        ApiOperation("/points/mall/items/<int:item_id>", "PATCH", "updateMallItem",
                     "Restock, rename, reprice or deactivate a mall item", update_mall_item,
                     tag=TAG, roles=MANAGERS, request_schema=MALL_ITEM_PATCH,
                     response_schema=MALL_ITEM,
                     errors={404: "No such mall item for this merchant",
                             409: "An item with this name exists"},
                     audit=AuditSpec("points.mall_item.update", before=mall_item_before)),
        ApiOperation("/cards/<card_number>/redeem", "POST", "redeemMallItem",
                     "Redeem points for a mall item", redeem_mall_item, tag=TAG, status=201,
                     request_schema=REDEEM_INPUT, response_schema=REDEMPTION, idempotent=True,
                     errors={**CARD_404, **CARD_409}),
        ApiOperation("/points/wheel/prizes", "GET", "listWheelPrizes", "List the lucky wheel's prizes",
                     list_wheel_prizes, tag=TAG, response_schema=PRIZE_LIST, read_only=True),
        ApiOperation("/points/wheel/prizes", "POST", "createWheelPrize", "Add a lucky wheel prize",
                     create_wheel_prize, tag=TAG, status=201, roles=MANAGERS,
                     request_schema=PRIZE_INPUT, response_schema=PRIZE,
                     errors={422: "Invalid prize, or a benefit no enabled plugin gives"},
                     audit=AuditSpec("points.wheel_prize.create", target=created("wheel_prize"))),
        ApiOperation("/points/wheel/prizes/<int:prize_id>", "PATCH", "updateWheelPrize",
                     "Restock, reweight or deactivate a lucky wheel prize", update_wheel_prize,
                     tag=TAG, roles=MANAGERS, request_schema=PRIZE_PATCH, response_schema=PRIZE,
                     errors={404: "No such prize for this merchant"},
                     audit=AuditSpec("points.wheel_prize.update", before=prize_before)),
        ApiOperation("/cards/<card_number>/wheel/spin", "POST", "spinWheel",
                     "Spin the lucky wheel for a card", spin_wheel, tag=TAG, status=201,
                     response_schema=SPIN, idempotent=True,
                     errors={**CARD_404,
                             409: "Wheel off, no spins left today, too few points, no prize "
                                  "in stock, the card cannot be used, or the benefit won is no "
                                  "longer given (benefit_unavailable)"}),
        ApiOperation("/cards/<card_number>/points/adjust", "POST", "adjustPoints",
                     "Adjust a card's points by hand, with a reason", adjust_points, tag=TAG,
                     status=201, roles=OWNER, request_schema=ADJUST_INPUT,
                     response_schema=ADJUSTMENT, idempotent=True, errors={**CARD_404, **CARD_409},
                     audit=AuditSpec("points.adjust", before=points_before)),
        ApiOperation("/points/expire", "POST", "expirePoints",
                     "Expire every lot past its date now (P7)", run_expiry, tag=TAG,
                     roles=MANAGERS, response_schema=EXPIRY, idempotent=True,
                     audit=AuditSpec("points.expire", after=expiry_summary)),
        ApiOperation("/points/expiring", "GET", "listExpiringPoints",
                     "Cards with points expiring soon (P7, R2)", list_expiring, tag=TAG,
                     roles=MANAGERS, response_schema=EXPIRING, read_only=True,
                     query=[("days", {"type": "integer", "minimum": 0, "maximum": 3660},
                             "window in days (default: the expiry notice setting)")],
                     audit="export"),
    ]
