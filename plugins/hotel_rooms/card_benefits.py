"""H1: what each card kind gives, from the settings ``card_benefits`` (keyed by card kind).

- A card issued as a kind gets that kind's free nights as room vouchers (reason
  ``card_issued``): ``business_suite_nights`` business suites, ``suite_nights`` suites.
- A card moved to another kind (POST /cards/{number}/kind) gets, per room type, the new
  kind's nights minus what kind benefits already gave this card (reason ``card_upgrade``).
  Vouchers already used or expired still count as given, so moving down and up again, or
  between two kinds with the same nights, never issues twice; a move down takes nothing
  back (vouchers given are the member's).
- ``birthday_executive_suite``: the daily job gives the holder of an active card of that kind
  an executive suite on the birthday, once per member and year (solar birthdays; lunar ones
  wait for R1's conversion, see docs/plugins/hotel_rooms.md).
- ``ticket_price_fen`` and ``room_rate_permille`` are prices: see pricing.py.
"""
from __future__ import annotations

from calendar import isleap
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import local_date
from core.merchant_config import MerchantConfig
from core.models import Card, CardStatus, Member

from . import vouchers
from .common import PLUGIN_ID
from .models import RoomVoucher

NIGHTS = {"business_suite": "business_suite_nights", "suite": "suite_nights"}
KIND_REASONS = ("card_issued", "card_upgrade")


def benefits_of(config: MerchantConfig, card_kind: str | None) -> dict | None:
    return next((entry for entry in config.settings_for(PLUGIN_ID)["card_benefits"]
                 if entry["card_kind"] == card_kind), None)


def nights_given(session: Session, card: Card) -> dict[str, int]:
    rows = session.execute(
        select(RoomVoucher.room_type, func.count()).where(
            RoomVoucher.merchant_id == card.merchant_id, RoomVoucher.card_id == card.id,
            RoomVoucher.reason.in_(KIND_REASONS)).group_by(RoomVoucher.room_type)).all()
    return {room_type: int(count) for room_type, count in rows}


def give_kind_nights(session: Session, config: MerchantConfig, card: Card, reason: str,
                     now: datetime, *, staff_id: int | None = None) -> list[RoomVoucher]:
    """Top the card up to its kind's free nights per room type (never twice, see above)."""
    entry = benefits_of(config, card.kind)
    if entry is None:
        return []
    given = nights_given(session, card)
    issued = []
    for room_type, setting in NIGHTS.items():
        missing = entry.get(setting, 0) - given.get(room_type, 0)
        if missing > 0:
            issued += vouchers.issue(session, config, card, reason=reason, now=now,
                                     room_type=room_type, quantity=missing,
                                     note=f"card kind {card.kind}", staff_id=staff_id)
    return issued


def birthday_today(member: Member, today: date) -> bool:
    """A solar birthday falls today; 29 February is celebrated on 28 February in other years."""
    if not member.birthday or member.birthday_calendar != "solar":
        return False
    try:
        born = date.fromisoformat(member.birthday)
    except ValueError:
        return False
    if (born.month, born.day) == (2, 29) and not isleap(today.year):
        return (today.month, today.day) == (2, 28)
    return (born.month, born.day) == (today.month, today.day)


def issue_birthday_suites(session: Session, config: MerchantConfig, merchant_id: int,
                          now: datetime) -> dict:
    """Job ``hotel_rooms.issue_birthday_suites`` (H1, R1): an executive suite voucher for each
    member with a birthday today holding an active card of a kind with the birthday benefit.

    Once per member and year (``once_key`` birthday:<member>:<year>, unique): a second run,
    a second card of the member or a manual re-run gives nothing more.
    """
    settings = config.settings_for(PLUGIN_ID)
    kinds = [entry["card_kind"] for entry in settings["card_benefits"] if entry["birthday_executive_suite"]]
    today = local_date(now)
    if not kinds:
        return {"as_of": today.isoformat(), "vouchers": 0, "cards": []}
    rows = session.execute(
        select(Card, Member).join(Member, Member.id == Card.member_id)
        .where(Card.merchant_id == merchant_id, Card.kind.in_(kinds),
               Card.status == CardStatus.ACTIVE.value, Member.birthday.is_not(None))
        .order_by(Member.id, Card.id)).all()
    given = []
    for card, member in rows:
        if not birthday_today(member, today) or (card.expires_on and card.expires_on < today):
            continue
        key = f"birthday:{member.id}:{today.year}"
        if vouchers.already_issued(session, merchant_id, key):
            continue
        vouchers.issue(session, config, card, reason="birthday", now=now,
                       room_type="executive_suite",
                       validity_days=settings["birthday_voucher_validity_days"],
                       note=f"birthday {today.year}", once_key=key)
        given.append(card.number)
    return {"as_of": today.isoformat(), "vouchers": len(given), "cards": given}
