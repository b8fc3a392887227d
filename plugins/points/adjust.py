"""Manual points adjustments by the owner, always with a reason (kept in the transaction memo).

A positive adjustment opens a lot with the merchant's usual expiry (P7); a negative one is a
guarded debit that consumes the soonest-expiring lots first, like any other spend.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from core import ledger
from core.checkout import usable_card
from core.clock import local_date
from core.errors import Invalid, problem
from core.ledger import Posting
from core.merchant_config import MerchantConfig

from .common import ADJUSTED, PLUGIN_ID, card_points, expiry_date, merchant_points, text_problem

TRANSACTION_TYPE = "points_adjustment"
MAX_POINTS = 1_000_000


def adjust(session: Session, config: MerchantConfig, merchant_id: int, card_number: str,
           body: dict, *, now: datetime, store_id: int | None, staff_id: int | None) -> dict:
    points, reason = body["points"], body["reason"]
    problems = []
    if points == 0 or abs(points) > MAX_POINTS:
        problems.append(problem("/points", f"a non-zero whole number of points, at most {MAX_POINTS} either way"))
    found = text_problem(reason, "/reason", 200)
    if found:
        problems.append(found)
    if problems:
        raise Invalid("the adjustment is not valid; nothing was changed", details=problems)
    card = usable_card(session, merchant_id, card_number, now)
    account = card_points(session, merchant_id, card.id)
    counter = merchant_points(session, merchant_id, ADJUSTED)
    expires_on = None
    if points > 0:
        expires_on = expiry_date(config.settings_for(PLUGIN_ID), local_date(now))
    transaction = ledger.post(
        session, merchant_id, TRANSACTION_TYPE,
        [Posting(account, points, expires_on=expires_on), Posting(counter, -points)],
        store_id=store_id, staff_id=staff_id, now=now,
        memo={"card_number": card.number, "points": points, "reason": reason.strip(),
              "staff_id": staff_id})
    return {"adjustment_id": transaction.id, "card_number": card.number, "points_changed": points,
            "reason": reason.strip(), "expires_on": expires_on.isoformat() if expires_on else None,
            "points": account.balance}
