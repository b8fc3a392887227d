"""Managers set, reset and unblock a card's PIN (C6), after checking the holder's ID."""
from __future__ import annotations

from core import pins
from core.cards import get_card
from core.errors import Conflict, Invalid, problem
from core.models import CardStatus
from core.operations import ApiOperation, AuditSpec, OperationContext

from . import schemas
from .money import card_after, card_before
from .serialize import card_json

MANAGERS = frozenset({"owner", "manager"})
PIN_INPUT = {"type": "object", "required": ["pin"], "additionalProperties": False,
             "properties": {"pin": {"type": "string", "pattern": "^[0-9]{6}$", "writeOnly": True,
                                    "description": "the new PIN: 6 digits, not a weak one "
                                                   "(repeated digits, a sequence, 123123 …)"}}}
NO_BODY = {"type": "object", "additionalProperties": False, "properties": {}}


def _after_pin_reset(context: OperationContext, result) -> dict | None:
    """The card after a reset, with the PIN itself (the audit log keeps only "changed")."""
    return {**(card_after(context, result) or {}), "pin": context.body.get("pin")}


# Both are staff actions on a holder's card, after an ID check: audited (E7).
PIN_RESET_AUDIT = AuditSpec("card.pin_reset", before=card_before, after=_after_pin_reset)
PIN_UNBLOCK_AUDIT = AuditSpec("card.pin_unblock", before=card_before, after=card_after)


def _card(context: OperationContext):
    card = get_card(context.session, context.merchant_id, context.params["card_number"])
    if card.status == CardStatus.REPLACED.value:
        raise Conflict(f"card {card.number} was replaced; its PIN went to the new card",
                       code="invalid_card_status")
    return card


def set_card_pin(context: OperationContext) -> dict:
    card = _card(context)
    pins.set_pin(context.session, card, context.body.get("pin"))
    context.session.flush()
    return card_json(context.session, card)


def unblock_card_pin(context: OperationContext) -> dict:
    if context.body:
        raise Invalid("this takes no body", details=[problem(f"/{key}", "unknown property")
                                                     for key in sorted(context.body)])
    card = _card(context)
    pins.unblock(card)
    context.session.flush()
    return card_json(context.session, card)


PIN_OPERATIONS = [
    ApiOperation("/cards/<card_number>/pin", "PUT", "setCardPin",
                 "Set or reset a card's PIN (after checking the holder's ID)", set_card_pin,
                 tag="cards", roles=MANAGERS, request_schema=PIN_INPUT,
                 response_schema=schemas.CARD_SUMMARY, audit=PIN_RESET_AUDIT,
                 errors={404: "No such card for this merchant",
                         409: "The card was replaced",
                         422: "Not 6 digits, or a weak PIN (weak_pin); nothing was changed"}),
    ApiOperation("/cards/<card_number>/pin/unblock", "POST", "unblockCardPin",
                 "Lift a card's PIN lock or block and clear its wrong-PIN count, keeping the PIN",
                 unblock_card_pin, tag="cards", roles=MANAGERS, request_schema=NO_BODY,
                 response_schema=schemas.CARD_SUMMARY, audit=PIN_UNBLOCK_AUDIT,
                 errors={404: "No such card for this merchant", 409: "The card was replaced"}),
]
