"""Registering a member at the counter and issuing or binding a card to them."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core import cards as card_service
from core import members as member_service
from core import pins
from core.audit import card_state
from core.config_versions import published_config
from core.errors import Conflict, HuikaError, Invalid, NotFound
from core.models import Card

from ..audit import record_here
from ..auth import current_staff, login_required
from ..extension import huika
from .blueprint import STAFF_ROLES, bp
from .forms import IssueCardForm, apply_member_problems, member_document, member_form, normalise_swipe
from .ops import status_of


# -- registering a member ----------------------------------------------------------------

@bp.route("/members/new", methods=["GET", "POST"])
@login_required(*STAFF_ROLES)
def register():
    staff = current_staff()
    with huika().db.read() as session:
        config = published_config(session, staff.merchant_id, huika().plugins)
    if request.method == "POST":
        form, schema = member_form(config, request.form)
    else:
        form, schema = member_form(config, None, data={
            "phone": request.args.get("phone", ""), "name": request.args.get("name", "")})
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            document = member_document(form, schema, channel="counter")
            try:
                with huika().db.write() as session:
                    config = published_config(session, staff.merchant_id, huika().plugins)
                    created = member_service.create_member(session, config, staff.merchant_id,
                                                           document, store_id=staff.store_id,
                                                           staff_id=staff.id)
                    member_id = created.id
            except Invalid as error:
                apply_member_problems(form, error.details)
                form.form_errors.insert(0, error.message)
            except Conflict as error:
                form.phone.errors = [*list(form.phone.errors), error.message]
                status = 409
            else:
                flash(_("Member %(name)s is registered. Now issue the card.", name=document["name"]))
                return redirect(url_for("cashier.issue_card", member_id=member_id), 303)
    return render_template("cashier/register.html", form=form), status


# -- issuing and binding a card ----------------------------------------------------------

@bp.route("/members/<int:member_id>/cards/new", methods=["GET", "POST"])
@login_required(*STAFF_ROLES)
def issue_card(member_id: int):
    staff = current_staff()
    with huika().db.read() as session:
        config = published_config(session, staff.merchant_id, huika().plugins)
        try:
            member = member_service.get_member(session, staff.merchant_id, member_id)
        except NotFound:
            abort(404)
        name = member.name
    form = IssueCardForm()
    form.fill_choices(config)
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                number = _issue_or_bind(staff, member_id, form)
            except HuikaError as error:
                status = status_of(error)
                _card_problems(form, error)
            else:
                flash(_("Card %(number)s is bound to %(name)s and active.", number=number, name=name))
                return redirect(url_for("cashier.member", member_id=member_id,
                                        _anchor=f"card-{number}"), 303)
    return render_template("cashier/issue_card.html", form=form, member_id=member_id,
                           member_name=name), status


def _issue_or_bind(staff, member_id: int, form: IssueCardForm) -> str:
    """A stock card (swiped) is bound; otherwise a new card is issued bound to the member."""
    number = normalise_swipe(form.number.data or "")
    with huika().db.write() as session:
        config = published_config(session, staff.merchant_id, huika().plugins)
        stock = session.scalar(select(Card).where(Card.merchant_id == staff.merchant_id,
                                                  Card.number == number)) if number else None
        if stock is not None:
            if stock.pin_hash is not None:
                raise Conflict(_("Card %(number)s already has a PIN; changing it needs the holder's "
                                 "ID check by a manager.", number=number), code="pin_already_set")
            before = card_state(stock)
            pins.set_pin(session, stock, form.pin.data)  # C6: set when the card is given out
            card_service.bind_card(session, config, staff.merchant_id, stock, member_id,
                                   staff_id=staff.id)
            session.flush()
            record_here(session, "card.bind", f"card:{stock.number}", before=before,
                        after={**card_state(stock), "pin": form.pin.data})
            return stock.number
        data = {"member_id": member_id, "kind": form.kind.data, "pin": form.pin.data}
        if number:
            data["number"] = number
        if form.tier.data:
            data["tier"] = form.tier.data
        if form.expires_on.data:
            data["expires_on"] = form.expires_on.data.isoformat()
        card = card_service.issue_card(session, config, staff.merchant_id, data,
                                       store_id=staff.store_id, staff_id=staff.id)
        record_here(session, "card.issue", f"card:{card.number}",
                    after={**card_state(card), "pin": form.pin.data})
        return card.number


def _card_problems(form: IssueCardForm, error: HuikaError) -> None:
    placed = False
    for item in error.details if isinstance(error.details, list) else []:
        name = (item.get("pointer") or "").strip("/").split("/")[0]
        name = {"member_id": ""}.get(name, name)
        target = form._fields.get(name)
        if target is not None:
            target.errors = [*list(target.errors), item["message"]]
            placed = True
    if isinstance(error, Conflict) and error.code in ("card_number_taken", "card_not_bindable",
                                                      "pin_already_set"):
        form.number.errors = [*list(form.number.errors), error.message]
    elif not placed or not isinstance(error, Invalid):
        form.form_errors.append(error.message)
