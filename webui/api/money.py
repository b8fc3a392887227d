"""The core's money path over the API: quote, checkout, returns, card balances and history.

Declared as ApiOperations (core.operations) and served by webui/api/handlers.py, the same
way plugins declare theirs; money-moving ones require an Idempotency-Key.
"""
from __future__ import annotations

from sqlalchemy import func, select

from core import audit
from core import checkout as checkout_service
from core import ledger
from core.errors import NotFound
from core.members import MAX_PAGE, MAX_PAGE_SIZE
from core.models import Account, Checkout, Entry, LedgerTransaction
from core.operations import ApiOperation, AuditSpec, OperationContext
from core.pricing import paid_share_permille

from ..screens import format_zhe
from . import schemas
from .operations import int_query
from .projection import PROJECTION, projection

LINE = {
    "type": "object",
    "description": "A typed line (sku and unit_price_fen, as before) or, with the goods plugin, a "
                   "catalogue line: product_id or barcode, quantity and promotion_permille only; "
                   "the server fills name, price, category and the member price (docs/goods.md)",
    "additionalProperties": False,
    "properties": {
        "product_id": {"type": "integer", "minimum": 1, "description": "a catalogue line (goods)"},
        "barcode": {"type": "string", "minLength": 1, "maxLength": 32,
                    "description": "a catalogue line by barcode, SKU as fallback (goods)"},
        "sku": {"type": "string", "pattern": r"^[0-9A-Za-z_.\-]{1,60}$"},
        "name": {"type": "string", "maxLength": 120},
        "category": {"type": "string", "maxLength": 60},
        "quantity": {"type": "integer", "minimum": 1, "default": 1},
        "unit_price_fen": {"type": "integer", "minimum": 0},
        "special_price": {"type": "boolean", "default": False,
                          "description": "特价: no member discount or promotion, still earns (C2, P2)"},
        "promotion_permille": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 1000,
                               "description": "store promotion, 800 = 8折 (C2)"},
    },
}
PAYMENT = {
    "type": "object",
    "required": ["method"],
    "properties": {
        "method": {"type": "string", "description": "cash, external, or a plugin's method "
                                                    "(stored_value, points)"},
        "amount_fen": {"type": "integer", "minimum": 0},
        "points": {"type": "integer", "minimum": 1, "description": "method points: points paid as cash (P4)"},
        "pin": {"type": "string", "pattern": "^[0-9]{6}$", "description": "method stored_value (C6)"},
        "channel": {"enum": ["wechat", "alipay", "unionpay", "other"]},
        "reference": {"type": "string"},
    },
}
BASKET = {
    "type": "object",
    "required": ["lines"],
    "properties": {
        "card_number": {"type": "string", "description": "omit for a walk-in sale (散客, C7)"},
        "lines": {"type": "array", "minItems": 1, "maxItems": 200, "items": LINE},
        "coupons": {"type": "array", "maxItems": 10, "items": {"type": "string", "maxLength": 40},
                    "description": "coupon codes to redeem (plugin coupons): taken off after the "
                                   "stacked discount, shown in `adjustments` and on the lines"},
    },
}
CHECKOUT_INPUT = {**BASKET, "required": ["lines", "payments"],
                  "properties": {**BASKET["properties"],
                                 "payments": {"type": "array", "minItems": 1, "items": PAYMENT}}}
DISCOUNT_RATE = {
    "discount_permille": {"type": ["integer", "null"], "minimum": 0, "maximum": 990,
                          "description": "share of the list price paid, per-mille rounded half up "
                                         "to one decimal of 折 (880 = 8.8折); null: no discount"},
    "discount_zhe": {"type": ["string", "null"], "description": "the same as a merchant writes "
                                                                "it: \"8.8折\", \"9折\""},
}
PRICED_LINE = {"type": "object", "required": ["line_no", "list_fen", "paid_fen"],
               "properties": {"line_no": {"type": "integer"}, "list_fen": {"type": "integer"},
                              "paid_fen": {"type": "integer"}, **DISCOUNT_RATE}}
QUOTE = {
    "type": "object",
    "required": ["lines", "list_total_fen", "due_fen", "earn", "walk_in"],
    "properties": {"card_number": schemas.NULLABLE_STRING, "member_id": schemas.NULLABLE_INT,
                   "tier": schemas.NULLABLE_STRING, "walk_in": {"type": "boolean"},
                   "lines": {"type": "array", "items": PRICED_LINE},
                   "list_total_fen": {"type": "integer"},
                   "due_fen": {"type": "integer"}, "discount_fen": {"type": "integer"},
                   **DISCOUNT_RATE, "earn": {"type": "array"},
                   "adjustments": {"type": "array", "description": "coupons taken off (plugin "
                                                                   "coupons), each with discount_fen"}},
}
RECEIPT = {
    "type": "object",
    "required": ["checkout_id", "lines", "due_fen", "payments", "earned", "balances"],
    "properties": {"checkout_id": {"type": "integer"},
                   "lines": {"type": "array", "items": PRICED_LINE},
                   "due_fen": {"type": "integer"}, **DISCOUNT_RATE, "payments": {"type": "array"},
                   "earned": {"type": "array"}, "balances": {"type": "object"},
                   "returns": {"type": "array"}, "adjustments": {"type": "array"}},
}
BALANCES = {"type": "object", "required": ["card_number", "balances"],
            "properties": {"card_number": {"type": "string"},
                           "balances": {"type": "object", "additionalProperties": {"type": "integer"}},
                           "lots": {"type": "array"}}}
HISTORY = schemas.page_of({"type": "object", "required": ["transaction_id", "type", "created_at", "amounts"],
                           "properties": {"transaction_id": {"type": "integer"},
                                          "type": {"type": "string"},
                                          "created_at": {"type": "string"},
                                          "amounts": {"type": "object"},
                                          "memo": {"type": "object"}}})


def discount_rate(paid_fen: int, list_fen: int) -> dict:
    """The receipt's 折 (item 8): ``discount_permille`` and its text, both None without discount."""
    permille = paid_share_permille(paid_fen, list_fen)
    return {"discount_permille": permille,
            "discount_zhe": None if permille is None else format_zhe(permille)}


def with_discount_rates(answer: dict) -> dict:
    """A quote or receipt with the rate paid beside each amount: the whole basket and each line."""
    return {**answer, **discount_rate(answer["due_fen"], answer["list_total_fen"]),
            "lines": [{**line, **discount_rate(line["paid_fen"], line["list_fen"])}
                      for line in answer["lines"]]}


def card_of(context: OperationContext):
    from core.cards import get_card

    return get_card(context.session, context.merchant_id, context.params["card_number"])


def quote(context: OperationContext) -> dict:
    state = checkout_service.build(context.session, context.config, context.merchant_id,
                                   context.body, store_id=context.store_id,
                                   staff_id=context.staff_id, now=context.now)
    return with_discount_rates(checkout_service.quote(state))


def checkout(context: OperationContext) -> dict:
    state = checkout_service.build(context.session, context.config, context.merchant_id,
                                   context.body, store_id=context.store_id,
                                   staff_id=context.staff_id, now=context.now)
    record = checkout_service.commit(state, context.body.get("payments"))
    return with_discount_rates(checkout_service.receipt_of(record))


def get_checkout(context: OperationContext) -> dict:
    record = context.session.scalar(select(Checkout).where(
        Checkout.merchant_id == context.merchant_id, Checkout.id == context.params["checkout_id"]))
    if record is None:
        raise NotFound(f"checkout {context.params['checkout_id']} does not exist")
    from core.returns import returns_of

    return {**with_discount_rates(checkout_service.receipt_of(record)),
            "returns": returns_of(context.session, record)}


def balances(context: OperationContext) -> dict:
    card = card_of(context)
    return {"card_number": card.number, "balances": ledger.card_balances(context.session, card.id),
            "lots": ledger.open_lots(context.session, card.id)}


def history(context: OperationContext) -> dict:
    card = card_of(context)
    page = int_query(context.query, "page", 1, minimum=1, maximum=MAX_PAGE)
    per_page = int_query(context.query, "per_page", 20, minimum=1, maximum=MAX_PAGE_SIZE)
    session = context.session
    transaction_ids = (select(Entry.transaction_id).join(Account, Account.id == Entry.account_id)
                       .where(Account.card_id == card.id).distinct().subquery())
    total = session.scalar(select(func.count()).select_from(transaction_ids))
    transactions = session.scalars(
        select(LedgerTransaction).where(LedgerTransaction.id.in_(select(transaction_ids)))
        .order_by(LedgerTransaction.id.desc()).offset((page - 1) * per_page).limit(per_page)).all()
    items = []
    for transaction in transactions:
        amounts: dict[str, int] = {}
        for asset, amount in session.execute(
                select(Entry.asset, func.sum(Entry.amount))
                .join(Account, Account.id == Entry.account_id)
                .where(Entry.transaction_id == transaction.id, Account.card_id == card.id)
                .group_by(Entry.asset)):
            amounts[asset] = int(amount)
        items.append({"transaction_id": transaction.id, "type": transaction.type,
                      "created_at": transaction.created_at.isoformat(), "amounts": amounts,
                      "memo": transaction.memo or {}})
    return {"items": items, "total": total, "page": page, "per_page": per_page}


def return_checkout(context: OperationContext) -> dict:
    from core.returns import return_lines

    return return_lines(context.session, context.config, context.merchant_id,
                        context.params["checkout_id"], context.body, store_id=context.store_id,
                        staff_id=context.staff_id, now=context.now)


def lifecycle(action):
    """An ApiOperation handler applying one card_lifecycle action to the path's card."""
    from core import card_lifecycle
    from .serialize import card_json

    def handler(context: OperationContext) -> dict:
        card = card_of(context)
        if action == "replace":
            new = card_lifecycle.replace(context.session, context.config, card, context.body,
                                         store_id=context.store_id, staff_id=context.staff_id,
                                         now=context.now)
            return {"old_card": card_json(context.session, card),
                    "new_card": card_json(context.session, new)}
        if action == "extend":
            card_lifecycle.extend(card, context.body, context.now)
        elif action == "change_kind":
            card_lifecycle.change_kind(context.session, context.config, card, context.body,
                                       staff_id=context.staff_id, now=context.now)
        else:
            getattr(card_lifecycle, action)(card)
        context.session.flush()
        return card_json(context.session, card)

    handler.__name__ = action
    return handler


def card_before(context: OperationContext) -> dict | None:
    """The path's card as it is before a card-state action (its row locked first)."""
    return audit.card_state(audit.locked_card(context.session, context.merchant_id,
                                              context.params.get("card_number")))


def card_after(context: OperationContext, result) -> dict | None:
    card = audit.locked_card(context.session, context.merchant_id, context.params.get("card_number"))
    state = audit.card_state(card)
    if state is not None and isinstance(result, dict) and "new_card" in result:
        state["replaced_by"] = result["new_card"]["number"]
    return state


def card_audit(action: str) -> AuditSpec:
    return AuditSpec(action, before=card_before, after=card_after)


CARD_404 = {404: "No such card for this merchant"}
CARD_409 = {409: "The card cannot be used (lost, frozen, expired …) or a balance is short"}

RETURN_INPUT = {
    "type": "object", "required": ["lines"],
    "properties": {"lines": {"type": "array", "minItems": 1, "items": {
        "type": "object", "required": ["line_no", "quantity"],
        "properties": {"line_no": {"type": "integer"}, "quantity": {"type": "integer", "minimum": 1}}}}},
}
RETURN = {"type": "object", "required": ["return_id", "checkout_id", "refund_fen", "lines"],
          "properties": {"return_id": {"type": "integer"}, "checkout_id": {"type": "integer"},
                         "refund_fen": {"type": "integer"}, "lines": {"type": "array"},
                         "refunds": {"type": "array"}, "balances": {"type": "object"},
                         "not_recovered": {
                             "type": "object", "additionalProperties": {"type": "integer"},
                             "description": "Earned points (P8) the card no longer held (spent or "
                                            "expired): not taken back; the return still goes through"}}}
REPLACED = {"type": "object", "required": ["old_card", "new_card"],
            "properties": {"old_card": schemas.CARD_SUMMARY, "new_card": schemas.CARD_SUMMARY}}
STATUS_409 = {409: "The card's status does not allow this"}
MANAGERS = frozenset({"owner", "manager"})

CORE_OPERATIONS = [
    ApiOperation("/checkout/quote", "POST", "quoteCheckout", "Price a basket without posting",
                 quote, tag="checkout", request_schema=BASKET, response_schema=QUOTE,
                 errors={**CARD_404, **CARD_409}),  # earning may open a card's account
    ApiOperation("/checkout", "POST", "checkout", "Check out a basket", checkout, tag="checkout",
                 status=201, request_schema=CHECKOUT_INPUT, response_schema=RECEIPT,
                 errors={**CARD_404, **CARD_409, 403: "Wrong PIN or stored-value payment locked"},
                 idempotent=True),
    ApiOperation("/checkouts/<int:checkout_id>", "GET", "getCheckout", "Read a checkout's receipt",
                 get_checkout, tag="checkout", response_schema=RECEIPT,
                 errors={404: "No such checkout for this merchant"}, read_only=True),
    ApiOperation("/cards/<card_number>/balances", "GET", "getCardBalances",
                 "Read a card's balances per asset", balances, tag="cards",
                 response_schema=BALANCES, errors=CARD_404, read_only=True),
    ApiOperation("/cards/<card_number>/history", "GET", "getCardHistory",
                 "Read a card's ledger history", history, tag="cards", response_schema=HISTORY,
                 errors=CARD_404,
                 query=[("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "page number"),
                        ("per_page", {"type": "integer", "minimum": 1, "maximum": 100}, "page size")],
                 read_only=True),
    ApiOperation("/cards/<card_number>/projection", "GET", "getCardProjection",
                 "What the member reaches by spending more (P6)", projection, tag="cards",
                 response_schema=PROJECTION, errors=CARD_404, read_only=True),
    ApiOperation("/checkouts/<int:checkout_id>/returns", "POST", "returnCheckout",
                 "Return lines of a checkout", return_checkout, tag="checkout", status=201,
                 request_schema=RETURN_INPUT, response_schema=RETURN, idempotent=True,
                 errors={404: "No such checkout for this merchant",
                         409: "Those units were already returned, or a balance is short"}),
    ApiOperation("/cards/<card_number>/report-lost", "POST", "reportCardLost",
                 "Report a card lost (frozen at once)", lifecycle("report_lost"), tag="cards",
                 audit=card_audit("card.report_lost"),
                 response_schema=schemas.CARD_SUMMARY, errors={**CARD_404, **STATUS_409}),
    ApiOperation("/cards/<card_number>/freeze", "POST", "freezeCard", "Freeze a card",
                 lifecycle("freeze"), tag="cards",
                 audit=card_audit("card.freeze"), roles=MANAGERS,
                 response_schema=schemas.CARD_SUMMARY, errors={**CARD_404, **STATUS_409}),
    ApiOperation("/cards/<card_number>/unfreeze", "POST", "unfreezeCard",
                 "Unfreeze a frozen or found card", lifecycle("unfreeze"), tag="cards",
                 audit=card_audit("card.unfreeze"),
                 roles=MANAGERS, response_schema=schemas.CARD_SUMMARY,
                 errors={**CARD_404, **STATUS_409}),
    ApiOperation("/cards/<card_number>/extend", "POST", "extendCard", "Extend a card's expiry",
                 lifecycle("extend"), tag="cards",
                 audit=card_audit("card.extend"), roles=MANAGERS,
                 request_schema={"type": "object", "required": ["expires_on"],
                                 "properties": {"expires_on": {"type": "string", "format": "date"}}},
                 response_schema=schemas.CARD_SUMMARY, errors={**CARD_404, **STATUS_409}),
    ApiOperation("/cards/<card_number>/kind", "POST", "changeCardKind",
                 "Move a card to another card kind (upgrade), keeping its balances",
                 lifecycle("change_kind"), tag="cards",
                 audit=card_audit("card.change_kind"), roles=MANAGERS,
                 request_schema={"type": "object", "required": ["kind"],
                                 "properties": {"kind": {"type": "string"}}},
                 response_schema=schemas.CARD_SUMMARY,
                 errors={**CARD_404, **STATUS_409, 422: "Not one of the merchant's card kinds"}),
    ApiOperation("/cards/<card_number>/replace", "POST", "replaceCard",
                 "Replace a card, moving every balance", lifecycle("replace"), tag="cards",
                 audit=card_audit("card.replace"),
                 roles=MANAGERS, status=201, idempotent=True,
                 request_schema={"type": "object", "properties": {
                     "new_number": {"type": "string", "pattern": "^[0-9A-Za-z]{4,32}$"}}},
                 response_schema=REPLACED,
                 errors={**CARD_404, **STATUS_409, 403: "This merchant does not replace cards"}),
]
