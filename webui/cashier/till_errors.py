"""The core's errors as the cashier reads them (H2): in the cashier's language, money in yuan.

The core raises English messages with a stable ``code`` (core/errors.py); the screens map the
codes they meet at the counter to a translated message here, with every amount as ¥12.50
(never fen). Any other code reads as on every page (webui/errors_i18n). ``field`` says what the message is
about ("pin", "payments", "card", "lines"), so the till can put the cursor there.
"""
from __future__ import annotations

import re
from datetime import datetime

from flask_babel import gettext as _

from core.errors import HuikaError

from ..errors_i18n import error_text

from ..money import local_time, yuan

_LAST_NUMBER = re.compile(r"(-?[0-9]+)\s*$")


def _yuan(fen) -> str:
    return "¥" + yuan(int(fen))


def _due_in_details(error: HuikaError) -> int | None:
    """The amount due as the core states it: ``must add up to <fen>`` at /payments."""
    for item in error.details if isinstance(error.details, list) else []:
        if isinstance(item, dict) and item.get("pointer") == "/payments":
            match = _LAST_NUMBER.search(str(item.get("message", "")))
            if match:
                return int(match.group(1))
    return None


def paid_by(payments: list[dict], cash_points: int = 0, cash_value_fen: int = 0) -> int:
    """What a list of payments pays in fen, as the core counts it (points: whole steps)."""
    total = 0
    for payment in payments:
        if payment.get("method") == "points":
            points = payment.get("points") or 0
            total += (points // cash_points * cash_value_fen) if cash_points else 0
        else:
            total += int(payment.get("amount_fen") or 0)
    return total


def _locked_until(details) -> str:
    text = details.get("locked_until") if isinstance(details, dict) else None
    try:
        return local_time(datetime.fromisoformat(text)) if text else ""
    except ValueError:
        return ""


def cashier_error(error: HuikaError, *, paid_fen: int | None = None) -> dict:
    """{"code", "message", "field"}: the error for the cashier; ``paid_fen``: what the
    payments sent added up to (for the payment-sum error)."""
    code, details = error.code, error.details
    facts = details if isinstance(details, dict) else {}
    field, message = "", None
    if code == "payment_mismatch":
        # The core's own figures when it gives them (``params``), else the sum the till sent.
        params = getattr(error, "params", None) or {}
        due = params.get("due_fen", _due_in_details(error))
        paid_fen = params.get("paid_fen", paid_fen)
        field = "payments"
        if due is not None and paid_fen is not None:
            message = _("The payments add up to %(paid)s but %(due)s is due: change the amounts so "
                        "they make exactly %(due)s.", paid=_yuan(paid_fen), due=_yuan(due))
        else:
            message = _("The payments do not add up to the amount due.")
    elif code == "insufficient_balance":
        field = "payments"
        asset = str(facts.get("asset", ""))
        needed, available = facts.get("needed"), facts.get("available")
        if asset == "stored_value" and isinstance(available, int) and isinstance(needed, int):
            message = _("The card holds %(available)s of stored value; %(needed)s was asked.",
                        available=_yuan(available), needed=_yuan(needed))
        elif asset == "points" and isinstance(available, int) and isinstance(needed, int):
            message = _("The card has %(available)s points; %(needed)s are needed.",
                        available=available, needed=needed)
        else:
            message = _("The card does not hold enough for this payment.")
    elif code == "pin_not_accepted":
        field = "pin"
        message = _("The card or PIN was not accepted: ask the card holder to type the PIN again.")
    elif code == "pin_locked":
        field = "pin"
        message = _("Too many wrong PINs: paying with this card is locked until %(time)s.",
                    time=_locked_until(details))
    elif code == "pin_blocked":
        field = "pin"
        message = _("Too many wrong PINs: the card's PIN is blocked until a manager resets or "
                    "unblocks it after checking the holder's ID.")
    elif code == "pin_not_set":
        field = "pin"
        message = _("This card has no PIN yet: a manager sets it on the member page first.")
    elif code == "new_card_cap":
        field = "payments"
        left = facts.get("available_fen")
        message = _("A card recharged today may spend only part of it today: %(left)s is left "
                    "until tomorrow.", left=_yuan(left if isinstance(left, int) else 0))
    elif code == "card_not_usable":
        field = "card"
        message = _("This card is not active (reported lost, frozen or replaced) and cannot be "
                    "used.")
    elif code == "card_expired":
        field = "card"
        message = _("This card has expired; extend it on the member page.")
    elif code == "points_cash_disabled":
        field = "payments"
        message = _("This shop does not take points as cash.")
    elif code == "idempotency_key_reused":
        message = _("This sale was already sent with other contents; start the sale again.")
    elif code == "busy":
        message = _("The database is busy; pay again in a moment (nothing was charged).")
    elif code == "not_found" and str(error.message).startswith("card "):
        field = "card"
        message = _("No card has this number.")
    # Codes the counter does not word itself read as everywhere else (webui/errors_i18n).
    return {"code": code, "message": message or error_text(error), "field": field}
