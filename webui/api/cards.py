"""Cards: issue, bind, read (C3, C5)."""
from __future__ import annotations

from core import cards as card_service
from core.audit import card_state
from core.config_versions import published_config

from . import schemas
from ..audit import record_here
from ..extension import huika
from .operations import caller, json_body, operation
from .serialize import card_json

NOT_FOUND = ("No such card for this merchant", schemas.ERROR)


@operation("/cards", "POST", operation_id="issueCard", tag="cards",
           summary="Issue a card", request_schema=schemas.CARD_INPUT,
           responses={201: ("The new card", schemas.CARD_SUMMARY),
                      404: ("No such member", schemas.ERROR),
                      409: ("Number taken or member at the card limit", schemas.ERROR),
                      422: ("Invalid input; nothing was saved", schemas.ERROR)})
def issue_card():
    body = json_body()
    with huika().db.write() as session:
        config = published_config(session, caller().merchant_id, huika().plugins)
        card = card_service.issue_card(session, config, caller().merchant_id, body,
                                       store_id=caller().store_id, staff_id=caller().staff_id)
        record_here(session, "card.issue", f"card:{card.number}",
                    after={**card_state(card), "pin": body.get("pin")})
        return card_json(session, card), 201


@operation("/cards/<card_number>", "GET", operation_id="getCard", tag="cards",
           summary="Read a card", responses={200: ("The card", schemas.CARD_SUMMARY), 404: NOT_FOUND})
def get_card(card_number: str):
    with huika().db.read() as session:
        return card_json(session, card_service.get_card(session, caller().merchant_id, card_number))


@operation("/cards/<card_number>/bind", "POST", operation_id="bindCard", tag="cards",
           summary="Bind a card to a member", request_schema=schemas.BIND_INPUT,
           responses={200: ("The bound card", schemas.CARD_SUMMARY), 404: NOT_FOUND,
                      409: ("Card not in stock or member at the card limit", schemas.ERROR),
                      422: ("Invalid input", schemas.ERROR)})
def bind_card(card_number: str):
    body = json_body()
    with huika().db.write() as session:
        config = published_config(session, caller().merchant_id, huika().plugins)
        card = card_service.get_card(session, caller().merchant_id, card_number)
        before = card_state(card)
        card_service.bind_card(session, config, caller().merchant_id, card, body.get("member_id"),
                               staff_id=caller().staff_id)
        record_here(session, "card.bind", f"card:{card.number}", before=before, after=card_state(card))
        return card_json(session, card)
