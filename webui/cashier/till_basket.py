"""The till's basket and payments as its script sends them (JSON), checked for shape before
they become a quoteCheckout / checkout body: a product line (``product_id`` or ``barcode``,
see the goods catalogue), or a typed line (name, price in fen, quantity). Every amount is an
integer number of fen; the core remains the judge of prices and payments.
"""
from __future__ import annotations

import re

from flask_babel import gettext as _

MAX_LINES = 200
MAX_QUANTITY = 10_000
MAX_FEN = 100_000_000_000
CHANNELS = ("wechat", "alipay", "unionpay", "other")
METHODS = ("cash", "external", "stored_value", "points")
_SKU = re.compile(r"^[0-9A-Za-z_.\-]{1,60}\Z")
_BARCODE = re.compile(r"^[0-9A-Za-z_.\-]{1,60}\Z")
_PIN = re.compile(r"^[0-9]{6}\Z")
_CARD = re.compile(r"^[0-9A-Za-z]{4,32}\Z")
_COUPON = re.compile(r"^[0-9A-Za-z_-]{1,40}\Z")
MAX_COUPONS = 10


class BadBasket(ValueError):
    """``str(error)`` is for the cashier; ``field`` says where."""

    def __init__(self, message: str, field: str = "lines") -> None:
        super().__init__(message)
        self.field = field


def _int(value, low: int, high: int) -> int | None:
    return value if type(value) is int and low <= value <= high else None


def _quantity(raw: dict) -> int:
    quantity = raw.get("quantity", 1)
    if _int(quantity, 1, MAX_QUANTITY) is None:
        raise BadBasket(_("A whole number from 1 to %(max)s.", max=MAX_QUANTITY))
    return quantity


def basket_body(data) -> dict:
    """{"card_number"?, "lines"} for the core, from the till's JSON."""
    if not isinstance(data, dict):
        raise BadBasket(_("The basket is empty."))
    lines = data.get("lines")
    if not isinstance(lines, list) or not lines:
        raise BadBasket(_("The basket is empty."))
    if len(lines) > MAX_LINES:
        raise BadBasket(_("At most %(max)s lines in one sale.", max=MAX_LINES))
    body_lines = []
    for raw in lines:
        if not isinstance(raw, dict):
            raise BadBasket(_("The basket is empty."))
        if raw.get("product_id") is not None:
            if _int(raw["product_id"], 1, 2**62) is None:
                raise BadBasket(_("Unknown product."))
            body_lines.append({"product_id": raw["product_id"], "quantity": _quantity(raw)})
        elif raw.get("barcode") is not None:
            if not isinstance(raw["barcode"], str) or not _BARCODE.match(raw["barcode"]):
                raise BadBasket(_("Unknown product."))
            body_lines.append({"barcode": raw["barcode"], "quantity": _quantity(raw)})
        else:
            name = raw.get("name")
            if not isinstance(name, str) or not name.strip() or len(name) > 120:
                raise BadBasket(_("Type the item's name."))
            price = _int(raw.get("unit_price_fen"), 0, 100_000_000)
            if price is None:
                raise BadBasket(_("Type the unit price."))
            sku = raw.get("sku") if isinstance(raw.get("sku"), str) and _SKU.match(raw["sku"]) else "ITEM"
            body_lines.append({"sku": sku, "name": name.strip(), "unit_price_fen": price,
                               "quantity": _quantity(raw)})
    body: dict = {"lines": body_lines}
    coupons = data.get("coupons")
    if coupons not in (None, []):  # the coupons plugin's codes (checkout body "coupons")
        if not isinstance(coupons, list) or len(coupons) > MAX_COUPONS or not all(
                isinstance(code, str) and _COUPON.match(code) for code in coupons):
            raise BadBasket(_("Unknown coupon code."), "coupons")
        body["coupons"] = list(dict.fromkeys(coupons))
    number = data.get("card_number")
    if number not in (None, ""):
        if not isinstance(number, str) or not _CARD.match(number):
            raise BadBasket(_("No card has this number."), "card")
        body["card_number"] = number
    return body


def payments_of(data, pin) -> list[dict]:
    """The checkout's payments; the PIN (asked once per sale) goes into the stored-value one."""
    raw_payments = data.get("payments") if isinstance(data, dict) else None
    if not isinstance(raw_payments, list) or not raw_payments:
        raise BadBasket(_("Choose how the customer pays."), "payments")
    if len(raw_payments) > 10:
        raise BadBasket(_("At most %(max)s payments in one sale.", max=10), "payments")
    payments = []
    for raw in raw_payments:
        method = raw.get("method") if isinstance(raw, dict) else None
        if method not in METHODS:
            raise BadBasket(_("Choose how the customer pays."), "payments")
        if method == "points":
            points = _int(raw.get("points"), 1, 10**12)
            if points is None:
                raise BadBasket(_("A whole number of points."), "payments")
            payments.append({"method": "points", "points": points})
            continue
        amount = _int(raw.get("amount_fen"), 0, MAX_FEN)
        if amount is None:
            raise BadBasket(_("Type an amount in yuan, at most two decimals (e.g. 12.50)."), "payments")
        payment = {"method": method, "amount_fen": amount}
        if method == "external":
            payment["channel"] = raw.get("channel") if raw.get("channel") in CHANNELS else "other"
            reference = raw.get("reference")
            if isinstance(reference, str) and reference.strip():
                payment["reference"] = reference.strip()[:60]
        if method == "stored_value":
            if not isinstance(pin, str) or not _PIN.match(pin):
                raise BadBasket(_("The card holder types the 6-digit PIN."), "pin")
            payment["pin"] = pin
        payments.append(payment)
    return payments
