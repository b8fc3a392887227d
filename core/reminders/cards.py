"""What card-based kinds (low balance, points, packages, vouchers) share: the card's member
in the same query, the store filter and the facts every reminder gives."""
from __future__ import annotations

from sqlalchemy import Select

from ..models import Card, Member
from .types import days_setting, settings_object

# Columns a card-based scan selects first: join Card and Member yourself (``with_member``).
CARD_MEMBER_COLUMNS = (Card.id.label("card_id"), Card.number.label("card_number"),
                       Member.id.label("member_id"), Member.name, Member.phone,
                       Member.registered_store_id)


def with_member(query: Select, card_id_column, store_id: int | None) -> Select:
    """Join the card (by ``card_id_column``) and its member; one store's members when given."""
    query = query.join(Card, Card.id == card_id_column).join(Member, Member.id == Card.member_id)
    if store_id is not None:
        query = query.where(Member.registered_store_id == store_id)
    return query


def card_facts(row) -> dict:
    return {"name": row.name, "phone": row.phone, "card_number": row.card_number}


def package_settings() -> dict:
    """``package_expiry``'s settings: service_packages and training_courses share the kind."""
    return settings_object({
        "days": days_setting(14, "到期前几天提醒", "Days before the last day", maximum=366),
        "sessions_left": {"type": "integer", "minimum": 0, "maximum": 1000, "default": 2,
                          "x-unit": "session",
                          "x-label": {"zh-CN": "剩余几次及以下提醒续卡（0 = 不提醒）",
                                      "en": "Remind to renew at this many sessions left (0 = never)"}},
    })


def voucher_settings() -> dict:
    """``voucher_expiry``'s settings: hotel_rooms (room vouchers) and coupons share the kind."""
    return settings_object({
        "days": days_setting(7, "到期前几天提醒", "Days before the last day", maximum=366),
    })
