"""Reading a card's stored value: its balances, pending cheques (S4) and the low-balance flag (S6)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from core.merchant_config import MerchantConfig
from core.models import Card

from .cheques import pending_cheques
from .common import balances, settings_of


def summary(session: Session, config: MerchantConfig, card: Card) -> dict:
    """A card's stored value, its pending cheques and the low-balance flag (S6)."""
    settings = settings_of(config)
    amounts = balances(session, card)
    threshold = settings["low_balance_reminder_fen"]
    return {"card_number": card.number, "balances": amounts,
            "low_balance": bool(threshold) and amounts["total_fen"] < threshold,
            "pending_cheques": pending_cheques(session, card)}
