"""Card lifecycle (C5): report lost, freeze/unfreeze, extend, replace.

Lost (挂失) freezes at once. A replacement (补卡/换卡) moves every balance, lot by lot with its
expiry, to a new card in one transaction, and blocks the old number forever.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import ledger
from .cards import CARD_NUMBER_PATTERN, generate_card_number
from .clock import local_date
from .errors import Conflict, Forbidden, Invalid, problem
from .ledger import Posting
from .merchant_config import MerchantConfig
from .models import Account, Card, CardStatus, Lot

ACTIVE, LOST, FROZEN = CardStatus.ACTIVE.value, CardStatus.LOST.value, CardStatus.FROZEN.value
EXPIRED, REPLACED = CardStatus.EXPIRED.value, CardStatus.REPLACED.value


def _require(card: Card, allowed: tuple[str, ...], action: str) -> None:
    if card.status not in allowed:
        raise Conflict(f"card {card.number} is {card.status}: cannot {action}",
                       code="invalid_card_status")


def report_lost(card: Card) -> Card:
    _require(card, (ACTIVE, FROZEN), "report it lost")
    card.status = LOST
    return card


def freeze(card: Card) -> Card:
    _require(card, (ACTIVE,), "freeze it")
    card.status = FROZEN
    return card


def unfreeze(card: Card) -> Card:
    """解冻 / 解挂: a frozen card, or a lost card found again, becomes usable."""
    _require(card, (FROZEN, LOST), "unfreeze it")
    card.status = ACTIVE
    return card


def extend(card: Card, body: dict, now: datetime) -> Card:
    """延期: a later expiry date; an expired card becomes active again."""
    _require(card, (ACTIVE, FROZEN, EXPIRED), "extend it")
    try:
        new_date = date.fromisoformat(body.get("expires_on"))
    except (TypeError, ValueError):
        raise Invalid("expires_on must be a date", details=[problem("/expires_on", "YYYY-MM-DD")]) from None
    if new_date <= local_date(now) or (card.expires_on and new_date <= card.expires_on):
        raise Invalid("the new expiry must be later than today and than the current expiry",
                      details=[problem("/expires_on", "a later date")])
    card.expires_on = new_date
    if card.status == EXPIRED:
        card.status = ACTIVE
    return card


def change_kind(session: Session, config: MerchantConfig, card: Card, body: dict, *,
                staff_id: int | None, now: datetime) -> Card:
    """升级/换卡种: the card becomes another of the merchant's card kinds, keeping every balance;
    plugins give what the new kind brings (``after_card_kind_changed``, e.g. room vouchers H1)."""
    _require(card, (ACTIVE, FROZEN), "change its kind")
    kind = body.get("kind") if isinstance(body, dict) else None
    known = [entry["key"] for entry in config.card_kinds]
    if kind not in known:
        raise Invalid("kind must be one of the merchant's card kinds",
                      details=[problem("/kind", "one of: " + ", ".join(known))])
    if kind == card.kind:
        raise Conflict(f"card {card.number} already is a {kind!r} card", code="same_card_kind")
    old_kind, card.kind = card.kind, kind
    session.flush()
    config.hook("after_card_kind_changed")(session=session, card=card, old_kind=old_kind,
                                           config=config, staff_id=staff_id, now=now)
    return card


def replace(session: Session, config: MerchantConfig, card: Card, body: dict, *,
            store_id: int | None, staff_id: int | None, now: datetime) -> Card:
    """补卡: a new card with the old one's kind, tier, member, PIN and every balance."""
    if not config.policies["allow_replacement"]:
        raise Forbidden("this merchant does not replace cards (丢失不补)", code="replacement_disabled")
    _require(card, (ACTIVE, LOST, FROZEN, EXPIRED), "replace it")
    number = body.get("new_number")
    if number is not None and (not isinstance(number, str) or not CARD_NUMBER_PATTERN.match(number)):
        raise Invalid("new_number must be 4 to 32 letters or digits",
                      details=[problem("/new_number", "4 to 32 letters or digits")])
    number = number or generate_card_number()
    if session.scalar(select(Card.id).where(Card.merchant_id == card.merchant_id, Card.number == number)):
        raise Conflict(f"card number {number} is already in use", code="card_number_taken")
    new = Card(merchant_id=card.merchant_id, number=number, kind=card.kind, tier_id=card.tier_id,
               member_id=card.member_id, status=ACTIVE, pin_hash=card.pin_hash,
               # The PIN's wrong-guess counts, lock and block go with it (C6): a new plastic
               # is no way around "blocked until a manager resets it".
               pin_failures=card.pin_failures, pin_failures_total=card.pin_failures_total,
               pin_locked_until=card.pin_locked_until, pin_blocked_at=card.pin_blocked_at,
               expires_on=card.expires_on, issued_store_id=store_id, batch="replacement",
               activated_at=now, issued_at=now)
    session.add(new)
    card.status = REPLACED
    session.flush()
    card.replaced_by_id = new.id
    postings = _move_balances(session, card, new, local_date(now))
    if postings:
        ledger.post(session, card.merchant_id, "card_replacement", postings, store_id=store_id,
                    staff_id=staff_id, memo={"old_card": card.number, "new_card": new.number},
                    now=now)
    config.hook("after_card_replaced")(session=session, old_card=card, new_card=new, config=config)
    session.flush()
    return new


def _move_balances(session: Session, old: Card, new: Card, today: date) -> list[Posting]:
    """One posting per open lot, so each lot keeps its expiry on the new card.

    Lots already past their expiry stay behind for the expiry job: they are worth nothing.
    """
    postings = []
    accounts = session.scalars(select(Account).where(Account.card_id == old.id).order_by(Account.id))
    for account in accounts.all():
        lots = session.scalars(select(Lot).where(
            Lot.account_id == account.id, Lot.remaining > 0,
            Lot.expires_on.is_(None) | (Lot.expires_on >= today)).order_by(Lot.id)).all()
        if not lots:
            continue
        target = ledger.card_account(session, old.merchant_id, new.id, account.asset)
        total = sum(lot.remaining for lot in lots)
        postings.append(Posting(account, -total))
        postings += [Posting(target, lot.remaining, expires_on=lot.expires_on) for lot in lots]
    return postings

