"""The one-screen till (收银台, H2) at /cashier/till: find the member, scan or pick goods, take
the payment and show the receipt without leaving the page (webui/static/till.js).

The page's script talks to the small JSON routes below; each runs the same operations as the
JSON API through ``ops.run`` (quoteCheckout, checkout with the sale's Idempotency-Key, the
goods catalogue's product search), so money rules, idempotency and audit stay the core's.
Errors come back translated, amounts in yuan (till_errors). The PIN travels only inside the
one checkout request that uses it; nothing here stores it.
"""
from __future__ import annotations

from flask import jsonify, render_template, request, url_for
from flask_babel import gettext as _

from core import shifts as shift_service
from core.config_versions import published_config
from core.errors import HuikaError

from ..auth import current_staff, login_required
from ..extension import huika
from ..i18n import label
from .actions import available_screens
from .blueprint import STAFF_ROLES, bp
from .ops import (KEY_PATTERN, asset_info, features, new_key, operation_enabled, run,
                  status_of)
from .receipts import _receipt
from .till_basket import BadBasket, basket_body, payments_of
from .till_errors import cashier_error, paid_by
from .till_lookup import lookup
from .till_strip import card_strip
from .till_texts import till_texts

PRODUCTS = ("listProducts", "/products", "GET")
CARD_COUPONS = ("listCardCoupons", "/cards/<card_number>/coupons", "GET")
MAX_PRODUCTS = 24


def _config(session):
    return published_config(session, current_staff().merchant_id, huika().plugins)


def _problem(message: str, field: str = "", status: int = 422, code: str = "invalid"):
    return jsonify({"error": {"code": code, "message": message, "field": field}}), status


def _json() -> dict | None:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else None


@bp.get("/till")
@login_required(*STAFF_ROLES)
def till():
    """The till page; ``?card=`` opens it with that card (from the member page)."""
    staff = current_staff()
    with huika().db.read() as session:
        config = _config(session)
        offered = features(config, staff.role)
        products = operation_enabled(config, PRODUCTS, staff.role)
        coupons = operation_enabled(config, CARD_COUPONS, staff.role)
        # A sale with no open shift is in no 交班: say so before the first sale, not at the close.
        shift_open = shift_service.current_shift(session, shift_service.Viewer(
            staff.id, staff.merchant_id, staff.role, staff.store_id)) is not None
    card = (request.args.get("card") or "").strip()
    return render_template("cashier/till.html", features=offered, sale_key=new_key(),
                           texts=till_texts(), products_installed=products,
                           coupons_installed=coupons, shift_open=shift_open,
                           start_card=card if card.isascii() and card.isalnum() else "")


@bp.get("/till/lookup")
@login_required(*STAFF_ROLES)
def till_lookup():
    staff = current_staff()
    with huika().db.read() as session:
        config = _config(session)
        found = lookup(session, config, staff.merchant_id, request.args.get("q", ""))
        if "card" in found:
            return _strip_answer(session, config, found["card"])
    if "choices" in found:
        found["html"] = render_template("cashier/_till_choices.html", choices=found["choices"],
                                        total=found["total"])
    else:
        register = found.get("register")
        if register is not None:
            found["register_url"] = url_for("cashier.register", **register)
        if found.get("member_id"):
            found["issue_url"] = url_for("cashier.issue_card", member_id=found["member_id"])
    return jsonify(found)


def _strip_answer(session, config, number: str):
    strip = card_strip(session, config, current_staff().merchant_id, number)
    if strip is None:
        return _problem(_("No card has this number."), "card", 404, "not_found")
    if strip["member_id"] and not strip["problem"]:
        # The card's own actions (核销次卡, 发券 …) one tap from the strip, as on the member page.
        strip["screens"] = [
            {"title": screen["title"],
             "url": url_for("cashier.screen", member_id=strip["member_id"], screen_id=screen["id"],
                            card=strip["number"] if screen["needs_card"] else None)}
            for screen in available_screens(config, current_staff().role)]
    strip["html"] = render_template("cashier/_till_strip.html", strip=strip)
    strip["member_url"] = url_for("cashier.member", member_id=strip["member_id"]) \
        if strip["member_id"] else ""
    return jsonify({"card": strip})


@bp.get("/till/cards/<number>")
@login_required(*STAFF_ROLES)
def till_card(number: str):
    with huika().db.read() as session:
        return _strip_answer(session, _config(session), number)


@bp.get("/till/cards/<number>/coupons")
@login_required(*STAFF_ROLES)
def till_coupons(number: str):
    """The coupons the card's holder can use today (the coupons plugin), to tap into the sale."""
    with huika().db.read() as session:
        installed = operation_enabled(_config(session), CARD_COUPONS, current_staff().role)
    if not installed:
        return jsonify({"coupons": [], "installed": False})
    try:
        found = run(CARD_COUPONS, params={"card_number": number}).body
    except HuikaError as error:
        return _problem(cashier_error(error)["message"], "card", status_of(error), error.code)
    return jsonify({"installed": True, "coupons": [
        {"code": c.get("code"), "name": label(c.get("name")), "terms": c.get("terms") or "",
         "valid_until": c.get("valid_until") or ""}
        for c in found.get("coupons", []) if isinstance(c, dict) and c.get("code")][:20]})


@bp.get("/till/products")
@login_required(*STAFF_ROLES)
def till_products():
    """The goods catalogue's search (name, pinyin initials, barcode; favourites) for the till."""
    with huika().db.read() as session:
        installed = operation_enabled(_config(session), PRODUCTS, current_staff().role)
    if not installed:
        return jsonify({"products": [], "installed": False})
    query = {key: request.args[key][:60] for key in ("q", "barcode", "category", "favourite")
             if request.args.get(key)}
    query["limit"] = str(MAX_PRODUCTS)
    try:
        found = run(PRODUCTS, query=query).body
    except HuikaError as error:
        return _problem(cashier_error(error)["message"], "lines", status_of(error), error.code)
    products = [p for p in found.get("products", []) if isinstance(p, dict)]
    return jsonify({"installed": True, "products": [
        {"id": p.get("id"), "name": label(p.get("name")), "barcode": p.get("barcode"),
         "unit": label(p.get("unit")) if p.get("unit") else "", "price_fen": p.get("price_fen"),
         "member_prices": p.get("member_prices") or {}} for p in products[:MAX_PRODUCTS]]})


def _quote_answer(quote: dict) -> dict:
    earn = [{"title": label(asset_info(e["asset"]).get("title")) or e["asset"], "amount": e["amount"]}
            for e in quote.get("earn", [])]
    html = render_template("cashier/_till_basket.html", quote=quote, earn=earn)
    return {"due_fen": quote["due_fen"], "list_total_fen": quote["list_total_fen"],
            "discount_fen": quote.get("discount_fen", 0), "walk_in": quote["walk_in"],
            "lines": [{"line_no": line.get("line_no"), "name": line.get("name"),
                       "quantity": line.get("quantity"), "paid_fen": line.get("paid_fen")}
                      for line in quote["lines"]], "html": html}


def _line_error(error: HuikaError, lines: list[dict]) -> dict:
    """The error, with the index of the basket line it is about (``lines``: as sent)."""
    answer = cashier_error(error)
    for item in error.details if isinstance(error.details, list) else []:
        parts = [p for p in str(item.get("pointer", "")).split("/") if p] if isinstance(item, dict) else []
        if parts[:1] == ["lines"] and len(parts) > 1 and parts[1].isdigit():
            answer["line"] = int(parts[1])
            answer["field"] = "lines"
            sent = lines[answer["line"]] if answer["line"] < len(lines) else {}
            if parts[2:3] == ["barcode"]:  # the catalogue has no such product
                answer["message"] = _("No product has this barcode: %(code)s",
                                      code=sent.get("barcode", ""))
            elif parts[2:3] == ["product_id"]:
                answer["message"] = _("Unknown product.")
            elif answer["message"] == error.message and item.get("message"):
                answer["message"] = f"{error.message}: {item['message']}"
            break
    return answer


@bp.post("/till/quote")
@login_required(*STAFF_ROLES)
def till_quote():
    try:
        body = basket_body(_json())
    except BadBasket as problem:
        return _problem(str(problem), problem.field)
    try:
        quote = run("quoteCheckout", body=body).body
    except HuikaError as error:
        return jsonify({"error": _line_error(error, body["lines"])}), status_of(error)
    return jsonify(_quote_answer(quote))


@bp.post("/till/pay")
@login_required(*STAFF_ROLES)
def till_pay():
    """One sale: the basket, its payments and the sale's Idempotency-Key (a second tap or a
    browser retry with the same key gets the first answer, and charges nothing more)."""
    data = _json()
    staff = current_staff()
    try:
        body = basket_body(data)
        payments = payments_of(data, data.get("pin"))
    except BadBasket as problem:
        return _problem(str(problem), problem.field)
    key = data.get("idempotency_key")
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        return _problem(_("This form is out of date; check the quote and pay again."), "payments")
    try:
        outcome = run("checkout", body={**body, "payments": payments}, key=key)
    except HuikaError as error:
        with huika().db.read() as session:
            offered = features(_config(session), staff.role)
        answer = cashier_error(error, paid_fen=paid_by(payments, offered.cash_points,
                                                       offered.cash_value_fen))
        if answer["message"] == error.message:  # not one the till words itself: find its line
            answer = _line_error(error, body["lines"])
        return jsonify({"error": answer}), status_of(error)
    checkout_id = outcome.body["checkout_id"]
    receipt = _receipt(checkout_id)
    html = render_template("cashier/_till_receipt.html", receipt=receipt)
    return jsonify({"checkout_id": checkout_id, "replayed": outcome.replayed, "html": html,
                    "receipt_url": url_for("cashier.receipt", checkout_id=checkout_id),
                    "next_key": new_key()}), 201
