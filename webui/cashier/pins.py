"""A card's PIN on the member page (C6): its lock or block, and for managers the reset (a
new PIN the holder chose, after an ID check) and the unblock, through the API's operations."""
from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core.clock import now_utc
from core.errors import HuikaError
from core.models import Card

from ..auth import current_staff, login_required
from ..extension import huika
from .blueprint import STAFF_ROLES, bp
from .forms import KeyOnlyForm, PinResetForm
from ..money import local_time
from .ops import error_messages, find_operation, run, status_of


def can_manage_pins(role: str) -> bool:
    op = find_operation("setCardPin")
    return op is not None and role in op.roles


def pin_view(card: Card) -> dict:
    """What the page says about the card's PIN (never the PIN)."""
    locked = card.pin_locked_until is not None and card.pin_locked_until > now_utc()
    return {"blocked": card.pin_blocked_at is not None,
            "locked_until": local_time(card.pin_locked_until) if locked else "",
            "failures_total": card.pin_failures_total or 0}


def _member_of(number: str) -> int:
    staff = current_staff()
    with huika().db.read() as session:
        member_id = session.scalar(select(Card.member_id).where(
            Card.merchant_id == staff.merchant_id, Card.number == number))
    if member_id is None:
        abort(404)  # the PIN of a card in stock is set when it is bound (issue page)
    return member_id


def _done(member_id: int, number: str, message: str):
    flash(message)
    return redirect(url_for("cashier.member", member_id=member_id, _anchor=f"card-{number}"), 303)


def _failed(member_id: int, number: str, action: str, messages: list[str], status: int):
    from .views import _member_page

    return _member_page(member_id, error={"card": number, "action": action, "messages": messages,
                                          "values": {}}, status=status)


@bp.post("/cards/<number>/pin")
@login_required(*STAFF_ROLES)
def pin_reset(number: str):
    """A new PIN for the card: the operation checks the role (managers, owners) and the PIN."""
    member_id = _member_of(number)
    form = PinResetForm()
    if not form.validate():
        messages = [m for errors in form.errors.values() for m in errors]
        return _failed(member_id, number, "pin-reset", messages, 422)
    try:
        run(("setCardPin", "/cards/<card_number>/pin", "PUT"), params={"card_number": number},
            body={"pin": form.pin.data})
    except HuikaError as error:
        return _failed(member_id, number, "pin-reset", error_messages(error), status_of(error))
    return _done(member_id, number, _("Card %(number)s has a new PIN; wrong-PIN counts, lock and "
                                      "block are cleared.", number=number))


@bp.post("/cards/<number>/pin/unblock")
@login_required(*STAFF_ROLES)
def pin_unblock(number: str):
    member_id = _member_of(number)
    if not KeyOnlyForm().validate():  # the CSRF token
        return _failed(member_id, number, "pin-unblock", [_("This form is out of date; submit it "
                                                            "again.")], 422)
    try:
        run("unblockCardPin", params={"card_number": number})
    except HuikaError as error:
        return _failed(member_id, number, "pin-unblock", error_messages(error), status_of(error))
    return _done(member_id, number, _("The PIN of card %(number)s is unblocked; it stays the same.",
                                      number=number))
