"""Receipts and returns (G3, P8): a past checkout as a receipt, and taking lines of it back.

A return form carries a fresh idempotency key, so posting it twice replays the first answer;
how many of a line may still come back is the core's call.
"""
from __future__ import annotations

import unicodedata

from flask import abort, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from core import clock
from core.config_versions import published_config
from core.errors import HuikaError, NotFound
from core.models import Card, Checkout, Merchant, Staff

from ..auth import current_staff, login_required
from ..extension import huika
from ..i18n import label
from .blueprint import STAFF_ROLES, bp
from .forms import KeyOnlyForm
from .ops import KEY_PATTERN, asset_info, balance_rows, error_messages, new_key, run, status_of
from .projection import card_projection_texts, rate_text

# -- receipts ----------------------------------------------------------------------------

def payment_title(payment: dict) -> str:
    method = payment.get("method")
    if method == "cash":
        return _("Cash")
    if method == "external":
        channels = {"wechat": _("WeChat Pay"), "alipay": _("Alipay"), "unionpay": _("UnionPay card"),
                    "other": _("Other")}
        return channels.get(payment.get("channel"), _("External payment"))
    if method == "stored_value":
        return _("Stored value")
    if method == "points":
        return _("Points as cash (%(points)s points)", points=payment.get("points", 0))
    return str(method)


def _receipt(checkout_id: int) -> dict:
    try:
        receipt = run("getCheckout", params={"checkout_id": checkout_id}).body
    except NotFound:
        abort(404)
    returned: dict[int, int] = {}
    for entry in receipt.get("returns", []):
        for line in entry.get("lines", []):
            returned[line["line_no"]] = returned.get(line["line_no"], 0) + line["quantity"]
    receipt["lines"] = [{**line, "discount_fen": line["list_fen"] - line["paid_fen"],
                         "rate": rate_text(line.get("discount_permille")),
                         "returned": returned.get(line["line_no"], 0)} for line in receipt["lines"]]
    receipt["rate"] = rate_text(receipt.get("discount_permille"))
    receipt["payment_rows"] = [{**p, "title": payment_title(p)} for p in receipt["payments"]]
    receipt["signature"] = any(p.get("signature_required") or p.get("method") == "stored_value"
                               for p in receipt["payments"])
    receipt["earned_rows"] = [{"title": label(asset_info(e["asset"]).get("title")) or e["asset"],
                               "amount": e["amount"], "asset": e["asset"]}
                              for e in receipt.get("earned", [])]
    receipt["balance_rows"] = balance_rows(receipt.get("balances", {}))
    return receipt


@bp.get("/receipts/<int:checkout_id>")
@login_required(*STAFF_ROLES)
def receipt(checkout_id: int):
    data = _receipt(checkout_id)
    staff = current_staff()
    with huika().db.read() as session:
        merchant = session.get(Merchant, staff.merchant_id).name
        config = published_config(session, staff.merchant_id, huika().plugins)
        tier_names = {tier["key"]: label(tier["name"]) for tier in config.tiers}
        served_by = session.scalar(
            select(Staff.display_name).join(Checkout, Checkout.staff_id == Staff.id)
            .where(Checkout.id == checkout_id, Checkout.merchant_id == staff.merchant_id))
        member_id, projection = None, []
        if data.get("card_number"):
            card = session.scalar(select(Card).where(
                Card.merchant_id == staff.merchant_id, Card.number == data["card_number"]))
            if card is not None:
                member_id = card.member_id
                # P6 as of now: printed with the sale, it is what this sale left to reach.
                projection = card_projection_texts(session, card, config, clock.now_utc())
    return render_template("cashier/receipt.html", receipt=data, merchant_name=merchant,
                           member_id=member_id, tier_names=tier_names, served_by=served_by,
                           projection=projection)


# -- returns -----------------------------------------------------------------------------

@bp.route("/receipts/<int:checkout_id>/return", methods=["GET", "POST"])
@login_required(*STAFF_ROLES)
def return_lines(checkout_id: int):
    """Choose lines and quantities of a past checkout to take back; shows the refund."""
    data = _receipt(checkout_id)
    form = KeyOnlyForm()
    values = {line["line_no"]: "" for line in data["lines"]}
    errors: dict[int, str] = {}
    messages: list[str] = []
    status = 200
    if request.method == "POST":
        status = 422
        chosen = []
        for line in data["lines"]:
            raw = unicodedata.normalize("NFKC", request.form.get(f"qty-{line['line_no']}", "")).strip()
            values[line["line_no"]] = raw
            if raw in ("", "0"):
                continue
            # Only the shape is checked here: how many may still come back is the core's call
            # (so a retry of this very form replays its first answer instead of failing).
            if not (raw.isascii() and raw.isdigit()) or int(raw) > line["quantity"]:
                errors[line["line_no"]] = _("0 to %(left)s", left=line["quantity"] - line["returned"])
                continue
            chosen.append({"line_no": line["line_no"], "quantity": int(raw)})
        key = form.idempotency_key.data or ""
        if not form.validate() or not KEY_PATTERN.match(key):
            messages.append(_("This form is out of date; submit it again."))
        elif not chosen and not errors:
            messages.append(_("Type how many of which line come back."))
        elif not errors:
            try:
                outcome = run("returnCheckout", params={"checkout_id": checkout_id},
                              body={"lines": chosen}, key=key)
            except HuikaError as error:
                messages.extend(error_messages(error))
                status = status_of(error)
            else:
                result = outcome.body
                refunds = [{"title": label(asset_info(r["asset"]).get("title")) or r["asset"],
                            "amount": r["amount"], "unit": asset_info(r["asset"]).get("unit", "")}
                           for r in result.get("refunds", [])]
                return render_template(
                    "cashier/return_done.html", receipt=data, result=result, refunds=refunds,
                    balance_rows=balance_rows(result.get("balances", {}))), 201
    form.idempotency_key.data = new_key()
    return render_template("cashier/return.html", receipt=data, form=form, values=values,
                           errors=errors, messages=messages), status

