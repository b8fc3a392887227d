"""The till's member strip (H2): who the card belongs to, the tier and its 折, and every fact
the enabled plugins give through ``member_summary``, rendered without the till knowing them.

A fact is shown by its shape: ``{"label": <i18n text>, "text": "..."}`` as the plugin wrote it;
a number under a declared asset key (points, course_sessions, …) with the asset's title and
unit; ``{"total_fen": n}`` or a ``*_fen`` number as yuan; a list as its items (each item's
``text``, or its ``name``/``label`` and what is left of it). A fact named after its plugin
(``service_packages``) takes the plugin's title. None and ``*_at`` stamps are skipped.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from core.checkout import usable_card
from core.clock import now_utc
from core.errors import HuikaError
from core.ledger import card_balances
from core.models import Card

from ..extension import huika
from ..i18n import label
from .ops import SV_BONUS, SV_PRINCIPAL, amount_text, asset_info
from .till_errors import cashier_error
from ..money import yuan, zhe

_LEFT_KEYS = ("left", "remaining", "sessions_left", "uses_left", "count", "quantity")


def _known_titles() -> dict:
    return {"stored_value": _("Stored value"), "points": _("Points"), "coupons": _("Coupons"),
            "packages": _("Count cards"), "skin_type": _("Skin type"),
            "member_class": _("Member class")}


def _item_text(item) -> str:
    if not isinstance(item, dict):
        return str(item)
    if isinstance(item.get("text"), str) and item["text"]:
        return item["text"]  # the plugin's own words for it
    name = label(item.get("label") or item.get("name") or item.get("title")) or ""
    left = next((item[key] for key in _LEFT_KEYS if isinstance(item.get(key), int)), None)
    if left is None:
        return name
    unit = item.get("unit") if isinstance(item.get("unit"), str) else ""
    return f"{name} {amount_text(unit, left)}" if unit else f"{name} ×{left}"


def fact_text(key: str, value) -> str | None:
    """One member_summary value as text, or None to leave it out."""
    if value is None or key.endswith("_at"):
        return None
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dict):
        if "text" in value:
            return str(value["text"])
        if isinstance(value.get("total_fen"), int):
            return "¥" + yuan(value["total_fen"])
        if isinstance(value.get("count"), int):
            return str(value["count"])
        return None
    if isinstance(value, int):
        if key.endswith("_fen"):
            return "¥" + yuan(value)
        unit = asset_info(key).get("unit", "")
        return amount_text(unit, value) if unit not in ("", "point") else str(value)
    if isinstance(value, (list, tuple)):
        items = [_item_text(item) for item in value]
        return "、".join(text for text in items if text) if value else "0"
    return str(value)


def fact_title(key: str, value) -> str:
    if isinstance(value, dict) and value.get("label"):
        return label(value["label"])
    known = _known_titles().get(key)
    if known:
        return known
    plugin = huika().plugins.plugins.get(key)  # a fact named after its plugin: the plugin's title
    if plugin is not None and plugin.manifest.get("title"):
        return label(plugin.manifest["title"])
    title = label(asset_info(key).get("title"))
    return title if title and title != key else key.replace("_", " ")


def summary_facts(summary: dict) -> list[dict]:
    """Every member_summary fact as {"key", "title", "text"}, in the hooks' order."""
    facts = []
    for key, value in summary.items():
        text = fact_text(key, value)
        if text is not None and text != "":
            facts.append({"key": key, "title": fact_title(key, value), "text": text})
    return facts


def mask_phone(phone: str | None) -> str:
    """138****8000: enough for the holder to recognise, not for the queue to read."""
    if not phone or len(phone) < 7:
        return phone or ""
    return phone[:3] + "****" + phone[-4:]


def tier_text(config, tier) -> tuple[str, str]:
    """(tier name, "8.8折" or "") of a card's tier."""
    if tier is None:
        return "", ""
    named = next((t for t in config.tiers if t["key"] == tier.key), None)
    name = label(named["name"]) if named else tier.name_zh
    rate = zhe(tier.discount_permille)
    return name, _("%(zhe)s折", zhe=rate) if rate else ""


def card_strip(session, config, merchant_id: int, number: str) -> dict | None:
    """What the till shows and pays with for one card; None if no such card."""
    card = session.scalar(select(Card).where(Card.merchant_id == merchant_id, Card.number == number))
    if card is None:
        return None
    problem = ""
    try:
        usable_card(session, merchant_id, number, now_utc())
    except HuikaError as error:
        problem = cashier_error(error)["message"]
    member = card.member
    facts = []
    if member is not None:
        summary: dict = {}
        for part in config.hook("member_summary")(session=session, member=member, config=config):
            summary.update(part or {})
        facts = summary_facts(summary)
    balances = card_balances(session, card.id)
    tier_name, tier_zhe = tier_text(config, card.tier)
    return {"number": card.number, "member_id": card.member_id,
            "member_name": member.name if member else "",
            "phone": mask_phone(member.phone) if member else "",
            "tier": tier_name, "zhe": tier_zhe, "tier_key": card.tier.key if card.tier else "", "problem": problem, "facts": facts,
            "has_pin": card.pin_hash is not None,
            "stored_value_fen": balances.get(SV_PRINCIPAL, 0) + balances.get(SV_BONUS, 0),
            "points": balances.get("points", 0)}
