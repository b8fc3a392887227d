"""The till's one lookup box (H2): a phone, its last four digits, a card number (typed, swiped
or read from the member's QR code by a scanner that types it) or the start of a name, found
through core.member_search (the indexed search the API's searchMembers uses).

The answer is the card to sell to when there is exactly one usable card, else a short list of
cards to pick from, else a message (with the way to register, for an unknown phone or name).
"""
from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _
from sqlalchemy import select

from core import member_search
from core.cards import CARD_NUMBER_PATTERN
from core.fields import PHONE_PATTERN
from core.models import Card

from ..i18n import label
from .forms import normalise_swipe
from ..money import zhe
from .till_strip import mask_phone

MAX_CHOICES = 9  # picked with the keys 1-9
_PHONE = re.compile(PHONE_PATTERN)
_LAST4 = re.compile(r"^[0-9]{4}\Z")
# A member QR code may carry a URL or a tagged text around the number: …/cards/8123…,
# ?card=8123…, huika:card:8123…
_QR_CARD = re.compile(r"(?:/cards/|[?&]card(?:_number)?=|\bcard:)([0-9A-Za-z]{4,32})", re.IGNORECASE)


def scanned_text(text: str) -> str:
    """What the cashier typed or a reader typed, as one search term (full-width digits, track
    data and QR wrappers removed)."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    match = _QR_CARD.search(text)
    if match:
        return match.group(1)
    return normalise_swipe(text)


def _choices(config, items) -> list[dict]:
    tiers = {t["key"]: t for t in config.tiers}
    choices = []
    for member in items:
        for card in member["cards"]:
            if card["status"] == "replaced":
                continue
            tier = tiers.get(card.get("tier") or "")
            rate = zhe(tier.get("discount_permille", 1000)) if tier else ""
            choices.append({
                "card_number": card["number"], "member_name": member["name"],
                "phone": mask_phone(member["phone"]), "status": card["status"],
                "tier": label(tier["name"]) if tier else "",
                "zhe": _("%(zhe)s折", zhe=rate) if rate else ""})
    return choices


def lookup(session, config, merchant_id: int, text: str) -> dict:
    """{"card": number} | {"choices": [...], "total": n} | {"message": ..., "register": {...}}."""
    query = scanned_text(text)
    if not query:
        return {"message": _("Type a phone number, its last 4 digits, a card number or a name.")}
    if len(query) > 64:
        return {"message": _("No member found for “%(query)s”.", query=query[:64] + "…")}
    if CARD_NUMBER_PATTERN.match(query) and not _PHONE.match(query):
        card = session.scalar(select(Card).where(Card.merchant_id == merchant_id,
                                                 Card.number == query))
        if card is not None:
            if card.member_id is None:
                return {"message": _("Card %(number)s is still in stock: issue it to a member "
                                     "first.", number=query)}
            return {"card": card.number}
    if _PHONE.match(query):
        criteria = member_search.Criteria.of(phone=query)
    elif _LAST4.match(query):
        criteria = member_search.Criteria.of(phone_last4=query)
    elif query.isascii() and query.isalnum() and any(c.isdigit() for c in query):
        return {"message": _("No card has the number %(number)s.", number=query)}
    else:
        criteria = member_search.Criteria.of(name_prefix=query)
    page = member_search.member_page(session, merchant_id, criteria, per_page=MAX_CHOICES)
    choices = _choices(config, page.items)
    usable = [c for c in choices if c["status"] == "active"]
    if len(usable) == 1 and page.total == 1:
        return {"card": usable[0]["card_number"]}
    if choices:
        return {"choices": choices, "total": page.total}
    if page.items:  # members, but no card
        member = page.items[0]
        return {"message": _("%(name)s has no card yet.", name=member["name"]),
                "member_id": member["id"]}
    register = {"phone": query} if _PHONE.match(query) else (
        {"name": query} if criteria.name_prefix else None)
    return {"message": _("No member found for “%(query)s”.", query=query), "register": register}
