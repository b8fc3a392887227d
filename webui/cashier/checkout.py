"""Checkout (C2, C7, S2, P4); receipts and returns are in ``receipts``.

The checkout page has two forms: the basket (card + lines; Enter asks for the quote) and,
once quoted, the payment form, which carries the quoted basket in hidden fields and a fresh
idempotency key: what is paid is exactly what was quoted, and posting it twice (double
click, browser retry) replays the first answer instead of charging again.
"""
from __future__ import annotations

import unicodedata

from flask import jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core.checkout import usable_card
from core.clock import now_utc
from core.config_versions import published_config
from core.errors import HuikaError
from core.ledger import card_balances
from core.models import Card

from ..auth import current_staff, login_required
from ..extension import huika
from ..errors_i18n import error_text
from ..i18n import label
from .blueprint import STAFF_ROLES, bp
from .forms import CheckoutForm, normalise_swipe
from ..money import BadAmount, parse_yuan, parse_zhe, plain_yuan, zhe
from .ops import (
    KEY_PATTERN,
    asset_info,
    balance_rows,
    error_messages,
    features,
    new_key,
    run,
    status_of,
)

MAX_QUANTITY = 10_000
LINE_FIELDS = {"sku": "sku", "name": "name", "quantity": "quantity", "unit_price_fen": "price",
               "special_price": "special", "promotion_permille": "promotion"}


def _add(field, message: str) -> None:
    field.errors = [*list(field.errors), message]


def parse_basket(form: CheckoutForm) -> tuple[dict, list[int], bool]:
    """(quote body, form line index of each body line, no typing errors) from the basket form."""
    lines, index_map, ok = [], [], True
    for index, entry in enumerate(form.lines.entries):
        line = entry.form
        if line.is_blank():
            continue
        item = {"sku": (line.sku.data or "").strip() or "ITEM"}
        if (line.name.data or "").strip():
            item["name"] = line.name.data.strip()
        raw_quantity = unicodedata.normalize("NFKC", line.quantity.data or "").strip() or "1"
        if raw_quantity.isascii() and raw_quantity.isdigit() and 1 <= int(raw_quantity) <= MAX_QUANTITY:
            item["quantity"] = int(raw_quantity)
        else:
            _add(line.quantity, _("A whole number from 1 to %(max)s.", max=MAX_QUANTITY))
            ok = False
        try:
            if not (line.price.data or "").strip():
                raise BadAmount(_("Type the unit price."))
            item["unit_price_fen"] = parse_yuan(line.price.data)
        except BadAmount as error:
            _add(line.price, str(error))
            ok = False
        if line.special.data:
            item["special_price"] = True
        try:
            promotion = parse_zhe(line.promotion.data)
            if promotion != 1000:
                item["promotion_permille"] = promotion
        except BadAmount as error:
            _add(line.promotion, str(error))
            ok = False
        lines.append(item)
        index_map.append(index)
    body: dict = {"lines": lines}
    number = normalise_swipe(form.card_number.data or "")
    if number:
        body["card_number"] = number
        form.card_number.data = number
    return body, index_map, ok


def parse_payments(form: CheckoutForm, offered) -> tuple[list[dict], bool]:
    payments, ok = [], True

    def amount(field):
        nonlocal ok
        if not (field.data or "").strip():
            return None
        try:
            return parse_yuan(field.data)
        except BadAmount as error:
            _add(field, str(error))
            ok = False
            return None

    cash = amount(form.pay_cash)
    if cash is not None:
        payments.append({"method": "cash", "amount_fen": cash})
    external = amount(form.pay_external)
    if external is not None:
        payment = {"method": "external", "amount_fen": external, "channel": form.channel.data}
        if (form.reference.data or "").strip():
            payment["reference"] = form.reference.data.strip()
        payments.append(payment)
    if offered.stored_value_payment:
        stored = amount(form.pay_stored_value)
        if stored is not None:
            pin = (form.pin.data or "").strip()
            if not (len(pin) == 6 and pin.isdigit()):
                _add(form.pin, _("The card holder types the 6-digit PIN."))
                ok = False
            payments.append({"method": "stored_value", "amount_fen": stored, "pin": pin})
    if offered.points_payment and (form.pay_points.data or "").strip():
        raw = unicodedata.normalize("NFKC", form.pay_points.data).strip()
        if raw.isascii() and raw.isdigit() and int(raw) > 0:
            payments.append({"method": "points", "points": int(raw)})
        else:
            _add(form.pay_points, _("A whole number of points."))
            ok = False
    if not payments and ok:
        form.form_errors.append(_("Enter how the customer pays."))
        ok = False
    return payments, ok


def place_errors(form: CheckoutForm, error: HuikaError, index_map: list[int], *, paying: bool) -> None:
    """A domain error next to the field it is about (basket lines, card, payment fields)."""
    placed = False
    details = error.details if isinstance(error.details, list) else []
    for item in details:
        parts = [p for p in (item.get("pointer") or "").split("/") if p]
        if parts[:1] == ["lines"] and len(parts) >= 2 and parts[1].isdigit() \
                and int(parts[1]) < len(index_map):
            line = form.lines.entries[index_map[int(parts[1])]].form
            field = line[LINE_FIELDS.get(parts[2], "sku")] if len(parts) > 2 else line.sku
            _add(field, item["message"])
            placed = True
        elif parts[:1] == ["card_number"]:
            _add(form.card_number, item["message"])
            placed = True
    code = error.code
    if code.startswith("pin_"):
        _add(form.pin, error_text(error))
        return
    if code in ("not_found", "card_not_usable", "card_expired") and not paying:
        _add(form.card_number, error_text(error))
        return
    if code == "insufficient_balance" and isinstance(error.details, dict):
        asset = str(error.details.get("asset", ""))
        field = form.pay_points if asset == "points" else form.pay_stored_value
        _add(field, error_text(error))
        return
    if paying:
        form.form_errors.append(error_text(error))
        form.form_errors.extend(m for m in error_messages(error)[1:] if not placed)
    elif not placed:
        form.form_errors.extend(error_messages(error))


def card_summary(number: str) -> dict | None:
    """Who the card belongs to and what is on it, shown as soon as it is swiped."""
    staff = current_staff()
    with huika().db.read() as session:
        card = session.scalar(select(Card).where(Card.merchant_id == staff.merchant_id,
                                                 Card.number == number))
        if card is None:
            return None
        config = published_config(session, staff.merchant_id, huika().plugins)
        tier = card.tier
        tier_name = ""
        if tier is not None:
            named = next((t for t in config.tiers if t["key"] == tier.key), None)
            tier_name = label(named["name"]) if named else tier.name_zh
        problem = ""
        try:
            usable_card(session, staff.merchant_id, number, now_utc())
        except HuikaError as error:
            problem = error_text(error)
        return {"number": card.number, "member_name": card.member.name if card.member else "",
                "member_id": card.member_id, "tier": tier_name,
                "discount_permille": tier.discount_permille if tier else 1000,
                "balances": balance_rows(card_balances(session, card.id)), "problem": problem}


def _hidden_lines(body: dict) -> list[dict]:
    return [{"sku": line["sku"], "name": line.get("name", ""), "quantity": line.get("quantity", 1),
             "price": plain_yuan(line["unit_price_fen"]), "special": line.get("special_price", False),
             "promotion": zhe(line.get("promotion_permille", 1000))} for line in body["lines"]]


def _quote_view(quote: dict) -> dict:
    lines = [{**line, "discount_fen": line["list_fen"] - line["paid_fen"]} for line in quote["lines"]]
    earn = [{"title": label(asset_info(e["asset"]).get("title")) or e["asset"], "amount": e["amount"]}
            for e in quote.get("earn", [])]
    return {**quote, "lines": lines, "earn_rows": earn}


def _render(form: CheckoutForm, offered, *, body=None, quote=None, card=None, focus="card",
            status=200, partial=False):
    if request.method == "POST":  # typed lines first, then one empty line to add another
        form.lines.entries = [e for e in form.lines.entries if not e.form.is_blank()]
    if not any(entry.form.is_blank() for entry in form.lines.entries):
        form.lines.append_entry()
    form.idempotency_key.data = new_key()  # a new key for every rendered payment form
    context = dict(form=form, features=offered, quote=_quote_view(quote) if quote else None,
                   hidden_lines=_hidden_lines(body) if quote and body else [],
                   card=card, focus=focus, first_blank=next(
                       (i for i, e in enumerate(form.lines.entries) if e.form.is_blank()), 0))
    if partial:
        return render_template("cashier/_quote.html", **context)
    return render_template("cashier/checkout.html", **context), status


@bp.route("/checkout", methods=["GET", "POST"])
@login_required(*STAFF_ROLES)
def checkout():
    staff = current_staff()
    offered = features(_config(staff), staff.role)
    if request.method == "GET":
        form = CheckoutForm(formdata=None, card_number=request.args.get("card", ""))
        while len(form.lines.entries) < 3:
            form.lines.append_entry()
        number = normalise_swipe(form.card_number.data or "")
        card = card_summary(number) if number else None
        return _render(form, offered, card=card, focus="line" if card else "card")
    return _post(offered, partial=False)


@bp.post("/checkout/quote")
@login_required(*STAFF_ROLES)
def live_quote():
    """The live quote (small JS on the basket form): the quote and payment form as HTML."""
    staff = current_staff()
    offered = features(_config(staff), staff.role)
    html = _post(offered, partial=True, live=True)
    return jsonify({"html": html})


def _config(staff):
    with huika().db.read() as session:
        return published_config(session, staff.merchant_id, huika().plugins)


def _post(offered, *, partial: bool, live: bool = False):
    form = CheckoutForm()
    action = "quote" if live else request.form.get("action", "quote")
    if not form.validate():  # CSRF and lengths
        form.form_errors.extend(m for errors in form.errors.values() for m in
                                (errors if isinstance(errors, list) else []) if isinstance(m, str))
        return _render(form, offered, status=400, partial=partial)
    body, index_map, typed_ok = parse_basket(form)
    number = body.get("card_number")
    card = card_summary(number) if number else None
    if number and card is None:
        _add(form.card_number, _("No card has the number %(number)s.", number=number))
        return _render(form, offered, focus="card", status=404, partial=partial)
    if action == "add_line":
        form.lines.append_entry()
        return _render(form, offered, card=card, focus="line", partial=partial)
    if not body["lines"]:
        if action == "pay":
            form.form_errors.append(_("The basket is empty."))
        return _render(form, offered, card=card, focus="line", partial=partial,
                       status=422 if action == "pay" else 200)
    if not typed_ok:
        return _render(form, offered, card=card, focus="line", status=422, partial=partial)
    try:
        quote = run("quoteCheckout", body=body).body
    except HuikaError as error:
        place_errors(form, error, index_map, paying=False)
        return _render(form, offered, card=card, focus="line", status=status_of(error),
                       partial=partial)
    pay_fields = (form.pay_cash, form.pay_external, form.pay_stored_value, form.pay_points)
    if action != "pay":
        if not any((f.data or "").strip() for f in pay_fields):
            form.pay_cash.data = plain_yuan(quote["due_fen"])
        return _render(form, offered, body=body, quote=quote, card=card, focus="pay",
                       partial=partial)
    payments, paid_ok = parse_payments(form, offered)
    key = form.idempotency_key.data or ""
    if not KEY_PATTERN.match(key):
        form.form_errors.append(_("This form is out of date; check the quote and pay again."))
        paid_ok = False
    if not paid_ok:
        return _render(form, offered, body=body, quote=quote, card=card, focus="pay", status=422)
    try:
        outcome = run("checkout", body={**body, "payments": payments}, key=key)
    except HuikaError as error:
        place_errors(form, error, index_map, paying=True)
        return _render(form, offered, body=body, quote=quote, card=card, focus="pay",
                       status=status_of(error))
    return redirect(url_for("cashier.receipt", checkout_id=outcome.body["checkout_id"]), 303)
