"""The stored-value endpoints, declared as core.operations.ApiOperation (served by the web layer
under /api/v1 with authentication, the plugin-enabled check, Idempotency-Key and one write
transaction). Path parameters: ``card_number`` and ``transaction_id``.
"""
from __future__ import annotations

from core import audit
from core.cards import get_card
from core.operations import ALL_ROLES, ApiOperation, AuditSpec, OperationContext

from .cheques import settle_cheque
from .common import CHANNELS, MAX_AMOUNT_FEN, balances
from .payouts import refund, withdraw
from .purchase_fee import purchase_fee
from .recharge import recharge
from .summary import summary

TAG = "stored_value"
MANAGERS = frozenset({"owner", "manager"})

FEN = {"type": "integer", "minimum": 0}
CHANNEL = {"enum": list(CHANNELS), "description": "for method external"}
REFERENCE = {"type": "string", "maxLength": 60,
             "description": "provider transaction id; for a cheque, the cheque number (required)"}


def tender_schema(methods: tuple[str, ...]) -> dict:
    return {"type": "object", "required": ["method"], "additionalProperties": False,
            "properties": {"method": {"enum": list(methods)}, "channel": CHANNEL,
                           "reference": REFERENCE}}


BALANCES = {
    "type": "object",
    "required": ["principal_fen", "bonus_fen", "pending_fen", "total_fen"],
    "additionalProperties": False,
    "properties": {"principal_fen": FEN, "bonus_fen": FEN, "pending_fen": FEN,
                   "total_fen": {**FEN, "description": "spendable: principal + bonus"}},
}
TENDER_OUT = {"type": "object", "required": ["method", "amount_fen"],
              "properties": {"method": {"type": "string"}, "amount_fen": FEN,
                             "channel": {"type": "string"}, "reference": {"type": "string"}}}
LOADED = {"type": "object", "required": ["principal_fen", "bonus_fen", "pending_fen"],
          "properties": {"principal_fen": FEN, "bonus_fen": FEN, "pending_fen": {"type": "integer"}}}
NULLABLE_STRING = {"type": ["string", "null"]}

RECHARGE_INPUT = {
    "type": "object", "required": ["amount_fen", "payment"], "additionalProperties": False,
    "properties": {
        "amount_fen": {"type": "integer", "minimum": 1, "maximum": MAX_AMOUNT_FEN,
                       "description": "at least the merchant's minimum recharge (S1)"},
        "payment": tender_schema(("cash", "external", "cheque")),
    },
}
RECHARGE = {
    "type": "object",
    "required": ["card_number", "transaction_id", "status", "loaded", "payment", "balances", "tier"],
    "properties": {"card_number": {"type": "string"}, "transaction_id": {"type": "integer"},
                   "status": {"enum": ["loaded", "pending"]}, "loaded": LOADED,
                   "payment": TENDER_OUT, "balances": BALANCES, "tier": NULLABLE_STRING},
}
CHEQUE = {
    "type": "object",
    "required": ["card_number", "cheque_transaction_id", "transaction_id", "status", "loaded",
                 "balances", "tier"],
    "properties": {"card_number": {"type": "string"}, "cheque_transaction_id": {"type": "integer"},
                   "transaction_id": {"type": "integer"}, "status": {"enum": ["cleared", "bounced"]},
                   "loaded": LOADED, "balances": BALANCES, "tier": NULLABLE_STRING},
}
FEE_INPUT = {"type": "object", "required": ["payment"], "additionalProperties": False,
             "properties": {"payment": tender_schema(("cash", "external"))}}
FEE = {"type": "object",
       "required": ["card_number", "card_kind", "transaction_id", "fee_fen", "payment", "balances"],
       "properties": {"card_number": {"type": "string"}, "card_kind": {"type": "string"},
                      "transaction_id": {"type": "integer"}, "fee_fen": FEN, "payment": TENDER_OUT,
                      "balances": BALANCES}}
PIN = {"type": "string", "pattern": "^[0-9]{6}$", "writeOnly": True,
       "description": "the card's PIN, given by the holder (C6)"}
WITHDRAW_INPUT = {
    "type": "object", "required": ["pin", "payment"], "additionalProperties": False,
    "properties": {"amount_fen": {"type": "integer", "minimum": 1,
                                  "description": "principal to pay out; all of it when left out"},
                   "pin": PIN, "payment": tender_schema(("cash", "external"))},
}
REFUND_INPUT = {"type": "object", "required": ["pin", "payment"], "additionalProperties": False,
                "properties": {"pin": PIN, "payment": tender_schema(("cash", "external"))}}
PAID_OUT = {"type": "object",
            "required": ["card_number", "transaction_id", "paid_out_fen", "bonus_forfeited_fen",
                         "payment", "balances"],
            "properties": {"card_number": {"type": "string"}, "transaction_id": {"type": "integer"},
                           "paid_out_fen": FEN, "bonus_forfeited_fen": FEN, "payment": TENDER_OUT,
                           "balances": BALANCES}}
SUMMARY = {
    "type": "object", "required": ["card_number", "balances", "low_balance", "pending_cheques"],
    "properties": {
        "card_number": {"type": "string"}, "balances": BALANCES,
        "low_balance": {"type": "boolean", "description": "below the reminder amount (S6)"},
        "pending_cheques": {"type": "array", "items": {
            "type": "object",
            "required": ["transaction_id", "amount_fen", "bonus_fen", "reference", "created_at"],
            "properties": {"transaction_id": {"type": "integer"}, "amount_fen": FEN,
                           "bonus_fen": FEN, "reference": {"type": "string"},
                           "created_at": {"type": "string"}}}},
    },
}

CARD_404 = {404: "No such card for this merchant, or the plugin is not enabled"}
CARD_409 = "The card cannot be used (lost, frozen, expired …)"


def _summary(context: OperationContext) -> dict:
    card = get_card(context.session, context.merchant_id, context.params["card_number"])
    return summary(context.session, context.config, card)


def _clear(context: OperationContext) -> dict:
    return settle_cheque(context, "clear")


def _bounce(context: OperationContext) -> dict:
    return settle_cheque(context, "bounce")


def balances_before(context: OperationContext) -> dict | None:
    """The card's stored value before a move by hand (its row locked first, as every move does)."""
    card = audit.locked_card(context.session, context.merchant_id, context.params.get("card_number"))
    return None if card is None else {"balances": balances(context.session, card)}


def audited(action: str) -> AuditSpec:
    return AuditSpec(action, before=balances_before)


def operations() -> list[ApiOperation]:
    """Fresh ApiOperation objects (the registry writes the plugin id into each)."""
    return [
        ApiOperation(
            "/cards/<card_number>/stored-value", "GET", "getStoredValue",
            "Read a card's stored value: principal, bonus, pending cheques", _summary, tag=TAG,
            response_schema=SUMMARY, errors=CARD_404, read_only=True),
        ApiOperation(
            "/cards/<card_number>/recharge", "POST", "rechargeStoredValue",
            "Recharge a card (S1); a cheque recharge stays pending until cleared (S4)",
            recharge, tag=TAG, status=201, request_schema=RECHARGE_INPUT,
            response_schema=RECHARGE, idempotent=True, roles=ALL_ROLES,
            errors={**CARD_404, 409: CARD_409,
                    422: "Invalid input or below the minimum recharge; nothing was charged"},
                     audit=audited("stored_value.recharge")),
        ApiOperation(
            "/cards/<card_number>/cheques/<int:transaction_id>/clear", "POST",
            "clearStoredValueCheque", "Clear a cheque recharge: pending becomes spendable (S4)",
            _clear, tag=TAG, response_schema=CHEQUE, idempotent=True, roles=MANAGERS,
            errors={404: "No such card, or no cheque recharge with this id on it",
                    409: "The cheque was already cleared or bounced"},
                     audit=audited("stored_value.cheque_clear")),
        ApiOperation(
            "/cards/<card_number>/cheques/<int:transaction_id>/bounce", "POST",
            "bounceStoredValueCheque", "Record a bounced cheque: its pending recharge is reversed (S4)",
            _bounce, tag=TAG, response_schema=CHEQUE, idempotent=True, roles=MANAGERS,
            errors={404: "No such card, or no cheque recharge with this id on it",
                    409: "The cheque was already cleared or bounced"},
                     audit=audited("stored_value.cheque_bounce")),
        ApiOperation(
            "/cards/<card_number>/purchase-fee", "POST", "payPurchaseCardFee",
            "Take a purchase card's card fee, once per card (C3)", purchase_fee, tag=TAG,
            status=201, request_schema=FEE_INPUT, response_schema=FEE, idempotent=True,
            errors={**CARD_404,
                    409: "Not a purchase card, the fee was already paid, or the card cannot be used"}),
        ApiOperation(
            "/cards/<card_number>/withdraw", "POST", "withdrawStoredValue",
            "Pay principal out in cash, if the merchant allows it (S1)", withdraw, tag=TAG,
            status=201, request_schema=WITHDRAW_INPUT, response_schema=PAID_OUT, idempotent=True,
            roles=MANAGERS,
            errors={**CARD_404, 403: "Withdrawal is off (withdrawal_disabled), or the PIN is wrong or locked",
                    409: "Not that much principal, or the card cannot be used"},
                     audit=audited("stored_value.withdraw")),
        ApiOperation(
            "/cards/<card_number>/refund", "POST", "refundStoredValue",
            "Refund a card (退卡): all principal out, bonus lapses, if the merchant allows it (S1)",
            refund, tag=TAG, status=201, request_schema=REFUND_INPUT,
            response_schema=PAID_OUT, idempotent=True, roles=MANAGERS,
            errors={**CARD_404, 403: "Refunds are off (refund_disabled), or the PIN is wrong or locked",
                    409: "Nothing to refund, a cheque is pending, or the card cannot be used"},
                     audit=audited("stored_value.refund")),
    ]
