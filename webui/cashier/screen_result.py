"""A screen's result as the cashier reads it: field names in words, money in yuan, no ids.

A screen's operation answers with its API document (``sessions_left``, ``revenue_fen``,
``packages.0.deferred_fen`` …). The done page shows it as rows of (label, text): known keys
get their words, ``*_fen`` amounts are yuan, yes/no and a few states are words, database ids
and internal keys are left out; an unknown key is shown as it is rather than hidden.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from ..money import yuan


def _labels() -> dict:
    return {
        "card_number": _("Card number"), "service": _("Service"), "sessions": _("Sessions"),
        "sessions_left": _("Sessions left"), "sessions_total": _("Sessions in all"),
        "note": _("Note"), "name": _("Name"), "status": _("Status"), "kind": _("Kind"),
        "used_on": _("Used on"), "revenue_fen": _("Revenue recognised now"),
        "paid_fen": _("Paid"), "recognised_fen": _("Revenue recognised"),
        "deferred_fen": _("Not yet used (deferred)"), "valid_from": _("Valid from"),
        "valid_to": _("Valid until"), "valid_until": _("Valid until"),
        "max_per_day": _("At most per day"), "usable_today": _("Usable today"),
        "packages": _("Count cards"), "points": _("Points"), "quantity": _("Quantity"),
        "member_name": _("Member"), "amount_fen": _("Amount"), "due_fen": _("Due"),
        # member events (E1): a sign-up, a check-in, a new event
        "event_title": _("Event"), "event_starts_at": _("Event starts"), "phone": _("Phone"),
        "channel": _("Sign-up channel"), "registered_at": _("Time signed up"),
        "cancelled_at": _("Time cancelled"), "checked_in_at": _("Checked in"),
        "title": _("Event name"), "description": _("Description"), "place": _("Place"),
        "starts_at": _("Starts"), "ends_at": _("Ends"), "capacity": _("Seats in all"),
        "taken": _("Signed up"), "seats_left": _("Seats left"), "waitlist": _("Waiting list allowed"),
        "signup_opens_at": _("Sign-up opens"), "signup_closes_at": _("Sign-up closed"),
        "tiers": _("Who may come"), "cancel_reason": _("Reason for cancelling"),
        "accepting_signups": _("Open for sign-up"),
    }


def _states() -> dict:
    return {"done": _("Done"), "active": _("In use"), "cancelled": _("Cancelled"),
            "count": _("Count card"), "period": _("Period card"), "expired": _("Expired"),
            "redeemed": _("Used"), "used_up": _("Used up"),
            "registered": _("Signed up"), "waitlisted": _("Waiting list"), "open": _("Open for sign-up"),
            "draft": _("Draft")}


def _channels() -> dict:
    return {"till": _("Till"), "portal": _("Member centre"), "api": _("API")}


def _hidden(key: str) -> bool:
    return key == "id" or key.endswith("_id") or key.endswith("_key") or key == "checkout_id"


def _not_yet(key: str, value) -> bool:
    """A time that has not happened (cancelled_at of a live sign-up): no row at all."""
    return key.endswith("_at") and value is None


def _text(key: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if key.endswith("_fen") and isinstance(value, int):
        return "¥" + yuan(value)
    if key in ("status", "kind") and isinstance(value, str):
        return _states().get(value, value)
    if key == "channel" and isinstance(value, str):
        return _channels().get(value, value)
    if key.endswith("_at") and isinstance(value, str):
        return _local_minute(value)
    return str(value)


def _local_minute(text: str) -> str:
    """An API time (2026-12-12T14:00:00+08:00, already the merchant's local time) as the
    cashier reads it: 2026-12-12 14:00."""
    try:
        return datetime.fromisoformat(text).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return text


def result_rows(value, key: str = "", prefix: str = "") -> list[tuple[str, str]]:
    """(label, text) rows of a result document, in its order."""
    if isinstance(value, dict):
        rows = []
        for inner_key, inner in value.items():
            if isinstance(inner_key, str) and (_hidden(inner_key) or _not_yet(inner_key, inner)):
                continue
            title = _labels().get(inner_key, inner_key)
            rows += result_rows(inner, inner_key, f"{prefix}{title}" if not prefix else f"{prefix} · {title}")
        return rows
    if isinstance(value, list):
        if len(value) == 1:
            return result_rows(value[0], key, prefix)
        return [row for index, inner in enumerate(value)
                for row in result_rows(inner, key, f"{prefix} {index + 1}")]
    return [(prefix or key, _text(key, value))]
