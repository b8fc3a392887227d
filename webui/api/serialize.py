"""Model rows to JSON-ready dicts."""
from __future__ import annotations

from core.clock import now_utc
from core.ledger import card_balances
from core.pins import pin_status
from core.models import Card, ConfigVersion, Member, Tier


def iso(value):
    return value.isoformat() if value is not None else None


def card_json(session, card: Card) -> dict:
    return {
        "number": card.number,
        "kind": card.kind,
        "status": card.status,
        "tier": card.tier.key if card.tier else None,
        "member_id": card.member_id,
        "expires_on": iso(card.expires_on),
        "issued_at": iso(card.issued_at),
        "activated_at": iso(card.activated_at),
        "has_pin": card.pin_hash is not None,
        "pin_blocked": card.pin_blocked_at is not None,
        "pin_locked_until": pin_status(card, now_utc())["locked_until"],
        "balances": card_balances(session, card.id),
    }


def member_json(session, member: Member, summary: dict | None = None) -> dict:
    data = {
        "id": member.id,
        "name": member.name,
        "phone": member.phone,
        "gender": member.gender,
        "birthday": member.birthday,
        "birthday_calendar": member.birthday_calendar,
        "birthday_leap_month": member.birthday_leap_month,
        "address": member.address,
        "occupation": member.occupation,
        "income_band": member.income_band,
        "channel": member.channel,
        "extra": member.extra or {},
        "cards": [card_json(session, card) for card in member.cards],
        "created_at": iso(member.created_at),
        "updated_at": iso(member.updated_at),
    }
    if summary is not None:
        data["summary"] = summary
    return data


def tier_json(tier: Tier) -> dict:
    return {"key": tier.key, "name": {"zh-CN": tier.name_zh, "en": tier.name_en},
            "rank": tier.rank, "discount_permille": tier.discount_permille,
            "upgrade": tier.upgrade or [], "active": tier.active}


def version_json(version: ConfigVersion, with_document: bool = False) -> dict:
    data = {"version": version.version, "published_at": iso(version.published_at),
            "note": version.note, "rolled_back_from": version.rolled_back_from,
            "published_by": version.published_by}
    if with_document:
        data["document"] = version.document
    return data
