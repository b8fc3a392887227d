"""GET /cards/{number}/projection (P6): what the member reaches by spending more."""
from __future__ import annotations

from core.cards import get_card
from core.operations import OperationContext
from core.projection import card_projection

LINE = {
    "type": "object", "required": ["kind", "spend_fen"],
    "description": "kind tier (core, C4): the next tier's spend-based condition, condition "
                   "cumulative_spend (threshold_fen within period_days, spent_fen so far) or "
                   "single_purchase; kind gift (points): the cheapest gift not yet affordable; "
                   "kind year_end (points): points by 31 December at the pace and the dearest "
                   "gift they buy. Plugins may add kinds of their own.",
    "properties": {
        "kind": {"type": "string"}, "plugin": {"type": "string"},
        "spend_fen": {"type": "integer", "minimum": 0,
                      "description": "tier: left to spend (0: met, applies from the next "
                                     "purchase); gift: spend that earns the missing points "
                                     "in one purchase; year_end: spend at the pace until then"},
        "tier": {"type": "string"}, "condition": {"enum": ["cumulative_spend", "single_purchase"]},
        "threshold_fen": {"type": "integer"}, "period_days": {"type": "integer"},
        "spent_fen": {"type": "integer"},
        "item_id": {"type": ["integer", "null"]}, "item_name": {"type": ["string", "null"]},
        "points_cost": {"type": ["integer", "null"]}, "points": {"type": "integer"},
        "points_needed": {"type": "integer"}, "points_at_year_end": {"type": "integer"},
        "weekly_fen": {"type": "integer"}, "until": {"type": "string", "format": "date"},
    },
}
PROJECTION = {
    "type": "object", "required": ["card_number", "tier", "as_of", "year_end", "pace", "lines"],
    "properties": {
        "card_number": {"type": "string"}, "tier": {"type": ["string", "null"]},
        "as_of": {"type": "string", "format": "date", "description": "the merchant's day"},
        "year_end": {"type": "string", "format": "date"},
        "pace": {"oneOf": [{"type": "null"}, {
            "type": "object", "required": ["weekly_fen", "days", "spent_fen"],
            "description": "net spend over the last 90 days, or since the first purchase "
                           "(at least 7 days); null without recent spend",
            "properties": {"weekly_fen": {"type": "integer"}, "days": {"type": "integer"},
                           "spent_fen": {"type": "integer"}}}]},
        "lines": {"type": "array", "items": LINE,
                  "description": "empty for a card that cannot be used (lost, frozen, expired)"},
    },
}


def projection(context: OperationContext) -> dict:
    card = get_card(context.session, context.merchant_id, context.params["card_number"])
    return card_projection(context.session, card, context.config, context.now)
