"""What every part of the points plugin shares: ids, ledger accounts, expiry dates, input checks.

The plugin imports only the core (DESIGN.md: webui -> plugins -> core).
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from core import ledger
from core.models import Account

PLUGIN_ID = "points"
ASSET = "points"

# The merchant-side accounts of the ``points`` asset (double entry: a card's points are the
# mirror of what the merchant issued minus what came back).
ISSUED = "issued"  # earned at checkout (P1), won on the wheel (P4), sign-up bonuses (P5)
REDEEMED = "redeemed"  # spent as cash, in the mall, on paid wheel spins (P4)
EXPIRED = "expired"  # lots past their date (P7)
ADJUSTED = "adjusted"  # manual corrections by the owner, with a reason
# The cny side of points as cash: the merchant absorbs the fen the points paid (P4).
POINTS_AS_CASH = "points_as_cash"


def card_points(session: Session, merchant_id: int, card_id: int) -> Account:
    return ledger.card_account(session, merchant_id, card_id, ASSET)


def merchant_points(session: Session, merchant_id: int, purpose: str) -> Account:
    return ledger.merchant_account(session, merchant_id, purpose, ASSET)


def expiry_date(settings: dict, earned_on: date) -> date | None:
    """The last day a lot earned on the merchant's local date ``earned_on`` can be spent (P7).

    ``end_of_next_year``: 31 December of the following year (the default); ``end_of_year``:
    31 December of the same year; ``days_after_earning``: ``expiry_days`` later; ``never``:
    None. The lot expires at the start of the next local day.
    """
    mode = settings["expiry_mode"]
    if mode == "never":
        return None
    if mode == "end_of_year":
        return date(earned_on.year, 12, 31)
    if mode == "end_of_next_year":
        return date(earned_on.year + 1, 12, 31)
    if mode == "days_after_earning":
        return earned_on + timedelta(days=settings["expiry_days"])
    raise ValueError(f"unknown expiry_mode {mode!r}")  # the settings schema rules this out




def text_problem(value, pointer: str, max_length: int) -> dict | None:
    """A problem if ``value`` is not text with something other than white space."""
    if not isinstance(value, str) or not value.strip():
        return {"pointer": pointer, "message": "text that is not blank"}
    if len(value.strip()) > max_length:
        return {"pointer": pointer, "message": f"at most {max_length} characters"}
    return None
