"""Domain errors in the reader's language, money in yuan (H8): one place for the API and the pages.

The core speaks English and knows no HTTP or locale (core/errors.py): each error has a stable
``code``, an English ``message``, optional ``details`` and optional ``params`` (the values
behind the message; names ending in ``_fen`` are money). Here a code becomes a translated
sentence with those values, money shown as ¥12.50, never fen. Without a sentence for its code
an error whose message is a constant known here (``N_``) is translated as it stands; anything
else gets the translated gist of its class, with the English text kept after it so nothing
the core said is lost.

The till and every page call ``error_text`` / ``error_texts``; the API calls them when the
client asks for Chinese (webui/i18n.py ``api_locale``).
"""
from __future__ import annotations

import re

from flask_babel import gettext, lazy_gettext as _l

from core.errors import Busy, Conflict, Forbidden, HuikaError, Invalid, NotFound

from .money import yuan_mark


def N_(text: str) -> str:
    """Marks a core message for extraction (pybabel's default keywords include N_)."""
    return text


# code -> (sentence with %(params)s, sentence without them). A missing or odd parameter falls
# back to the second one rather than failing the page that shows the error.
BY_CODE = {
    "payment_mismatch": (
        _l("The payments add up to %(paid_fen)s, but %(due_fen)s is due: change the amounts so they add up."),
        _l("The payments do not add up to the amount due.")),
    "insufficient_balance": (
        _l("Not enough on the card: %(needed_fen)s asked, %(available_fen)s available."),
        _l("Not enough on the card for this payment.")),
    "card_not_usable": (
        _l("Card %(number)s cannot be used (it is not active)."),
        _l("This card cannot be used (it is not active).")),
    "card_expired": (
        _l("Card %(number)s expired on %(expires_on)s."),
        _l("This card has expired.")),
    "pin_not_accepted": (None, _l("Card or PIN not accepted.")),
    "pin_not_set": (None, _l("The card has no PIN yet; a manager sets one after checking the holder's ID.")),
    "pin_locked": (None, _l("Too many wrong PINs: paying with this card is locked for a while.")),
    "pin_blocked": (None, _l("Too many wrong PINs: the PIN is blocked until a manager resets or unblocks it after checking the holder's ID.")),
    "weak_pin": (None, _l("This PIN is too easy to guess; choose another. Nothing was changed.")),
    "phone_taken": (None, _l("This phone number belongs to another member.")),
    "card_number_taken": (None, _l("This card number is already in use.")),
    "card_not_bindable": (None, _l("This card is already bound or not in stock.")),
    "card_not_bound": (None, _l("This card belongs to no member.")),
    "card_limit_reached": (None, _l("This member already holds as many cards as allowed.")),
    "invalid_card_status": (None, _l("The card's status does not allow this.")),
    "same_card_kind": (None, _l("The card already is of this kind.")),
    "replacement_disabled": (None, _l("This merchant does not replace cards.")),
    "already_returned": (None, _l("More than what is left of this line cannot be returned.")),
    "idempotency_key_reused": (None, _l("This request was already handled.")),
    "below_minimum_recharge": (None, _l("The recharge is below the minimum amount.")),
    "new_card_cap": (None, _l("A new card may spend only part of what was loaded today; try a smaller amount or tomorrow.")),
    "refund_disabled": (None, _l("This merchant does not refund stored-value cards.")),
    "withdrawal_disabled": (None, _l("This merchant does not pay stored value out in cash.")),
    "nothing_to_refund": (None, _l("The card holds no stored value.")),
    "cheque_pending": (None, _l("A cheque recharge on this card is still pending: clear or bounce it first.")),
    "points_cash_disabled": (None, _l("This merchant does not take points as cash.")),
    "wheel_disabled": (None, _l("The lucky wheel is turned off.")),
    "spin_limit_reached": (None, _l("No more spins today.")),
    "out_of_stock": (None, _l("Not enough in stock.")),
    "not_installed": (None, _l("This action is not installed on this system.")),
    "busy": (None, _l("The database is busy; submit again in a moment.")),
    "rate_limited": (None, _l("Too many attempts. Try again in a moment.")),
    # Coupons (plugins/coupons)
    "coupon_unknown": (None, _l("No coupon has this code.")),
    "coupons_not_enabled": (None, _l("This shop does not take coupons.")),
    "coupon_redeemed": (None, _l("This coupon has already been used.")),
    "coupon_voided": (None, _l("This coupon has been voided.")),
    "coupon_expired": (None, _l("This coupon has expired.")),
    "coupon_not_yet_valid": (None, _l("This coupon is not valid yet.")),
    "coupon_not_on_card": (None, _l("This coupon belongs to another member.")),
    "coupon_min_spend": (None, _l("The goods this coupon applies to do not reach its minimum spend.")),
    "coupon_no_lines": (None, _l("Nothing in the basket can take this coupon.")),
    "coupon_same_campaign": (None, _l("Only one coupon of the same campaign per sale.")),
    # Birthday benefits (plugins/birthday_benefits)
    "birthday_benefit_used": (None, _l("This member's birthday benefit was just used by another sale; quote again.")),
    # Count and period cards (plugins/service_packages)
    "choose_package": (None, _l("The card holds cards for several services: choose the service.")),
    "no_package": (None, _l("The card holds no count or period card for this service.")),
    "package_not_started": (None, _l("This card's start date has not come yet.")),
    "package_expired": (None, _l("This count or period card has expired.")),
    "package_used_up": (None, _l("All sessions of this card are used.")),
    "package_returned": (None, _l("This card was returned.")),
    "not_enough_sessions": (None, _l("Not enough sessions left on this card.")),
    "daily_limit_reached": (None, _l("Today's uses of this card are used up.")),
    "package_used": (None, _l("This card has been used and cannot be returned.")),
    "package_not_active": (None, _l("This card has expired or was returned.")),
    "use_cancelled": (None, _l("This use was already cancelled.")),
    # Member events (plugins/member_events)
    "event_cancelled": (None, _l("This event is cancelled.")),
    "event_not_open": (None, _l("This event is not open for sign-up.")),
    "signup_not_open_yet": (_l("Sign-up opens at %(opens_at)s."), _l("Sign-up has not opened yet.")),
    "signup_closed": (None, _l("Sign-up for this event has closed.")),
    "tier_not_eligible": (None, _l("This event is for members of other tiers.")),
    "event_full": (None, _l("This event is full.")),
    "already_signed_up": (None, _l("This member has already signed up for this event.")),
    "not_signed_up": (None, _l("No one signed up for this event has this card, phone or name.")),
    "registration_cancelled": (None, _l("This sign-up is already cancelled.")),
    "already_checked_in": (_l("Already checked in at %(at)s."), _l("Already checked in.")),
    "event_started": (None, _l("The event has started; sign-ups can no longer be cancelled.")),
    "check_in_not_now": (_l("Check-in is open on the event's day (%(day)s) only."),
                         _l("Check-in is open on the event's day only.")),
    "waitlisted": (None, _l("This member is on the waiting list, not registered.")),
    "several_match": (None, _l("Several members signed up have this name: use the phone or card number.")),
    "choose_event": (_l("Give the event number: %(events)s"), _l("Give the event number.")),
    "no_event_open": (None, _l("No event takes sign-ups now.")),
    "no_event_today": (None, _l("No event is on today.")),
    "capacity_below_signups": (_l("%(taken)s members already hold a seat: the capacity cannot be lower."),
                               _l("More members hold a seat than the new capacity.")),
}

# Core and plugin messages that are constants: translated as they stand.
KNOWN_MESSAGES = (
    N_("at least one payment is needed"),
    N_("each payment needs a method"),
    N_("the basket needs at least one line"),
    N_("the basket is not valid; nothing was charged"),
    N_("the member data is not valid; nothing was saved"),
    N_("the card data is not valid; nothing was saved"),
    N_("the return is not valid; nothing was changed"),
    N_("name the lines to return"),
    N_("an 11-digit mainland mobile number, e.g. 13800138000"),
    N_("phone_last4 is the last four digits of the phone, e.g. 8000"),
    N_("external payments need a channel"),
    N_("amount_fen must be whole fen, 0 or more"),
    N_("you may see only your own store's figures"),
    N_("the report's parameters are not valid; nothing was run"),
    N_("the configuration cannot be published"),
    N_("another publish happened at the same time; try again"),
    N_("the PIN is not accepted; nothing was changed"),
    N_("these vouchers were already issued"),
    N_("this voucher belongs to another card"),
    N_("the new expiry must be later than today and than the current expiry"),
    N_("expires_on must be a date"),
    N_("the staff user is not valid"),
    N_("the audit filters are not valid"),
)

# The gist of an error class, when nothing more precise is known.
_GIST = (
    (NotFound, _l("Not found.")),
    (Invalid, _l("The input is not valid; nothing was changed.")),
    (Conflict, _l("This clashes with the current state; nothing was changed.")),
    (Forbidden, _l("This is not allowed.")),
    (Busy, _l("The database is busy; submit again in a moment.")),
)


# "<subject> <id> does not exist" (the core's and plugins' NotFound wording) in the reader's
# words; any other NotFound shows the gist alone, never the English sentence behind it.
_NOT_FOUND_SUBJECTS = {
    "member": _l("Member %(ident)s was not found."),
    "card": _l("Card %(ident)s was not found."),
    "checkout": _l("Sale %(ident)s was not found."),
    "store": _l("Store %(ident)s was not found."),
    "shift": _l("Shift %(ident)s was not found."),
    "event": _l("Event %(ident)s was not found."),
    "registration": _l("Sign-up %(ident)s was not found."),
    "product": _l("Product %(ident)s was not found."),
    "package": _l("Package %(ident)s was not found."),
    "course": _l("Course %(ident)s was not found."),
    "coupon template": _l("Coupon template %(ident)s was not found."),
    "configuration version": _l("Configuration version %(ident)s was not found."),
}
_NOT_FOUND_PATTERN = re.compile(r"(?P<subject>[a-z][a-z ]*?) (?P<ident>\S+) does not exist")


def _not_found_text(error: NotFound, gist) -> str:
    found = _NOT_FOUND_PATTERN.fullmatch(error.message or "")
    sentence = _NOT_FOUND_SUBJECTS.get(found.group("subject")) if found else None
    return str(sentence % {"ident": found.group("ident")}) if sentence is not None else str(gist)


def _shown(params: dict) -> dict:
    return {key: yuan_mark(value) if key.endswith("_fen") and isinstance(value, int) else value
            for key, value in params.items()}


def _params(error: HuikaError) -> dict:
    params = dict(error.details) if isinstance(error.details, dict) else {}
    for key in ("needed", "available"):  # the ledger's balance details (fen for money assets)
        if key in params and params.get("asset") != "points":
            params[f"{key}_fen"] = params[key]
    params.update(getattr(error, "params", None) or {})
    return params


def error_text(error: HuikaError) -> str:
    """The error's message in the current language, money in yuan.

    In English the core's own message stands (it is often the most precise), except where a
    sentence with parameters exists: that one shows money in yuan, the core's in fen."""
    with_params, plain = BY_CODE.get(error.code, (None, None))
    if with_params is not None:
        try:
            return str(with_params) % _shown(_params(error))
        except (KeyError, TypeError, ValueError):
            pass
    if not _wants_translation():
        return error.message or str(plain or "")
    if plain is not None:
        return str(plain)
    gist = next((text for cls, text in _GIST if isinstance(error, cls)), None)
    if not error.message:
        return str(gist or "")
    translated = gettext(error.message)
    if translated != error.message:
        return translated
    if isinstance(error, NotFound):
        return _not_found_text(error, gist)
    return f"{gist}（{error.message}）" if gist is not None else error.message


def error_texts(error: HuikaError) -> list[str]:
    """The message, then each detail's pointer and message (translated where known).

    A code with its own sentence says it all: its details (often in fen) are left out."""
    texts = [error_text(error)]
    if error.code in BY_CODE:
        return texts
    details = error.details if isinstance(error.details, list) else []
    for item in details:
        if isinstance(item, dict) and item.get("message"):
            message = gettext(str(item["message"]))
            where = item.get("pointer") or ""
            texts.append(f"{where}: {message}" if where else message)
    return texts


def detail_errors(error: HuikaError) -> list[dict]:
    """The details a form marks at their fields ({"pointer", "message"}), in the reader's
    language: a code with its own sentence puts that sentence at its field (the core's
    detail is English, e.g. "no event is on today"), other details go through the catalogue."""
    details = error.details if isinstance(error.details, list) else []
    placed = [item for item in details if isinstance(item, dict) and "pointer" in item]
    if not _wants_translation():
        return placed
    own = error_text(error) if error.code in BY_CODE else None
    return [{**item, "message": own or gettext(str(item.get("message", "")))} for item in placed]


def _wants_translation() -> bool:
    from .i18n import current_locale

    return current_locale() != "en"
