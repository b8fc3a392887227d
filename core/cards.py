"""Cards: issue, bind to a member, read (C3, C5, C6)."""
from __future__ import annotations

import re
import secrets
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .errors import Conflict, Invalid, NotFound, problem
from .merchant_config import MerchantConfig
from .models import Card, CardStatus, Member, Tier
from .pins import hash_new_pin
from .weak_pins import WEAK_PIN_MESSAGE, pin_problem
from . import clock

CARD_NUMBER_PATTERN = re.compile(r"^[0-9A-Za-z]{4,32}\Z")
GENERATED_NUMBER_DIGITS = 16
# Statuses in which a card still counts toward the one-person-one-card limit (M2).
_HELD_STATUSES = (CardStatus.ACTIVE.value, CardStatus.FROZEN.value, CardStatus.LOST.value)


def luhn_check_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def generate_card_number() -> str:
    """16 digits: '8', 14 random digits, a Luhn check digit. Random, so not guessable."""
    body = "8" + "".join(secrets.choice("0123456789") for _ in range(GENERATED_NUMBER_DIGITS - 2))
    return body + luhn_check_digit(body)


def issue_card(session: Session, config: MerchantConfig, merchant_id: int, data: dict,
               *, store_id: int | None = None, staff_id: int | None = None,
               now: datetime | None = None) -> Card:
    """Issue a card: stock (no member) or bound at once when ``member_id`` is given."""
    now = now or clock.now_utc()
    if not isinstance(data, dict):
        raise Invalid("the card must be a JSON object")
    problems = []
    allowed = {"number", "kind", "tier", "member_id", "pin", "expires_on", "batch"}
    problems += [problem(f"/{key}", "unknown property") for key in sorted(set(data) - allowed)]
    number = data.get("number")
    if number is not None and (not isinstance(number, str) or not CARD_NUMBER_PATTERN.match(number)):
        problems.append(problem("/number", "4 to 32 letters or digits"))
    kind = data.get("kind", config.card_kinds[0]["key"])
    if config.card_kind(kind) is None:
        problems.append(problem("/kind", "one of the merchant's card kinds: "
                                + ", ".join(k["key"] for k in config.card_kinds)))
    pin = data.get("pin")
    pin_reason = pin_problem(pin) if pin is not None else None  # 6 digits, not weak (C6)
    if pin_reason is not None:
        problems.append(problem("/pin", pin_reason))
    expires_on = None
    if data.get("expires_on") is not None:
        try:
            expires_on = date.fromisoformat(data["expires_on"])
        except (TypeError, ValueError):
            problems.append(problem("/expires_on", "a date as YYYY-MM-DD"))
    batch = data.get("batch", "")
    if not isinstance(batch, str) or len(batch) > 40:
        problems.append(problem("/batch", "text of at most 40 characters"))
    if problems:
        weak = problems == [problem("/pin", WEAK_PIN_MESSAGE)]
        raise Invalid("this PIN is too easy to guess; nothing was saved" if weak
                      else "the card data is not valid; nothing was saved",
                      code="weak_pin" if weak else None, details=problems)

    tier = _find_tier(session, merchant_id, data.get("tier"))
    card = Card(merchant_id=merchant_id, number=number or generate_card_number(), kind=kind,
                tier_id=tier.id if tier else None, pin_hash=hash_new_pin(session, pin) if pin else None,
                expires_on=expires_on, issued_store_id=store_id, batch=batch,
                status=CardStatus.ISSUED.value)
    try:
        with session.begin_nested():
            session.add(card)
            session.flush()
    except IntegrityError:
        raise Conflict(f"card number {card.number} is already in use", code="card_number_taken") from None
    config.hook("after_card_issued")(session=session, card=card, config=config, staff_id=staff_id,
                                     now=now)
    member_id = data.get("member_id")
    if member_id is not None:
        bind_card(session, config, merchant_id, card, member_id, staff_id=staff_id, now=now)
    return card


def bind_card(session: Session, config: MerchantConfig, merchant_id: int, card: Card,
              member_id, *, staff_id: int | None = None, now: datetime | None = None) -> Card:
    """Give an unbound card to a member and activate it, within the cards-per-member limit."""
    if type(member_id) is not int:
        raise Invalid("member_id must be an integer", details=[problem("/member_id", "an integer")])
    member = session.scalar(select(Member).where(Member.id == member_id,
                                                 Member.merchant_id == merchant_id))
    if member is None:
        raise NotFound(f"member {member_id} does not exist")
    if card.member_id is not None or card.status != CardStatus.ISSUED.value:
        raise Conflict(f"card {card.number} is already bound or not in stock", code="card_not_bindable")
    limit = config.policies["cards_per_member"]
    held = session.scalar(select(func.count()).select_from(Card).where(
        Card.member_id == member.id, Card.status.in_(_HELD_STATUSES)))
    if held >= limit:
        raise Conflict(f"this member already holds {held} card(s); the limit is {limit} (M2)",
                       code="card_limit_reached")
    card.member_id = member.id
    card.status = CardStatus.ACTIVE.value
    now = now or clock.now_utc()
    card.activated_at = now
    session.flush()
    config.hook("after_card_bound")(session=session, card=card, member=member, config=config,
                                    staff_id=staff_id, now=now)
    return card


def get_card(session: Session, merchant_id: int, number: str) -> Card:
    card = session.scalar(select(Card).where(Card.merchant_id == merchant_id, Card.number == number))
    if card is None:
        raise NotFound(f"card {number} does not exist")
    return card


def member_cards(session: Session, member_id: int) -> list[Card]:
    return list(session.scalars(select(Card).where(Card.member_id == member_id).order_by(Card.id)))


def _find_tier(session: Session, merchant_id: int, key) -> Tier | None:
    """The named active tier, or the lowest-ranked active tier when none is named."""
    query = select(Tier).where(Tier.merchant_id == merchant_id, Tier.active.is_(True))
    if key is None:
        return session.scalar(query.order_by(Tier.rank).limit(1))
    tier = session.scalar(query.where(Tier.key == key)) if isinstance(key, str) else None
    if tier is None:
        raise Invalid(f"tier {key!r} is not one of the merchant's published tiers",
                      details=[problem("/tier", "a published tier key")])
    return tier


def current_card(session: Session, card: Card) -> Card:
    """The card that now holds ``card``'s balances: follows replacements (C5) to the end."""
    seen = set()
    while card.replaced_by_id is not None and card.id not in seen:
        seen.add(card.id)
        card = session.get(Card, card.replaced_by_id)
    return card
