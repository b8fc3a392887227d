"""The till script's words (webui/static/till.js), translated on the server: the page carries
them as a JSON data block (not a script, so the strict CSP holds). Placeholders such as
%(amount)s are left for the script to fill with yuan."""
from __future__ import annotations

from flask_babel import gettext as _


def till_texts() -> dict:
    return {
        "due": _("Due"), "remaining": _("Still to pay: %(amount)s"),
        "over": _("%(amount)s too much"), "exact": _("Paid in full"),
        "change": _("Change: %(amount)s"), "short": _("Not enough: %(amount)s more"),
        "no_stored_value": _("The card holds no stored value."),
        "no_points": _("The card has too few points to pay with."),
        "need_card": _("Find the member first: this payment needs the card."),
        "pick_method": _("Choose how the customer pays."),
        "pin_needed": _("The card holder types the 6-digit PIN."),
        "mismatch": _("The payments add up to %(paid)s but %(due)s is due."),
        "nothing_left": _("Nothing is left to pay; remove a payment first."),
        "empty": _("The basket is empty: scan the first item."),
        "no_catalogue": _("The goods catalogue is not installed: type the line by hand."),
        "not_found": _("No product has this barcode or name."),
        "bad_price": _("Type an amount in yuan, at most two decimals (e.g. 12.50)."),
        "bad_qty": _("A whole number from 1 to %(max)s."),
        "network": _("The till could not reach the server; nothing was charged. Try again."),
        "points_pay": _("%(points)s points"), "remove": _("Remove"), "cash": _("Cash"),
        "stored_value": _("Stored value"), "wechat": _("WeChat Pay"), "alipay": _("Alipay"),
        "points": _("Points as cash"), "register": _("Register a member"),
        "issue": _("Issue a card"), "member_page": _("Member page"),
        "coupon_until": _("until %(date)s"),
    }
