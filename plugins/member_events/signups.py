"""Sign-ups, cancellations and check-ins: seats that never exceed the capacity.

A sign-up takes a seat with one guarded UPDATE (``taken < capacity``): on PostgreSQL a
concurrent one waits for the row and re-checks the condition, on SQLite writers are serial;
either way the (N+1)th sign-up of an N-seat event finds none. Without a seat the member is
waitlisted (if the event keeps a waiting list) or refused. The registration row is unique per
(event, member), so a member holds one place however often the button is pressed; the error
rolls the seat back with the rest of the transaction. A cancellation gives the seat back and
lets the oldest waitlisted member in. Writers lock the event row before a registration row.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.clock import local_day_bounds, local_date
from core.errors import Conflict, Invalid, NotFound, problem
from core.models import Card, Member, Tier

from .events import accepting, find_event, local_text
from .models import EventRegistration, MemberEvent

_INSERT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
LIVE = ("registered", "waitlisted")
# A member QR code wraps the card number (…/cards/8123…, ?card=8123…, huika:card:8123…): the
# forms the till's lookup reads (webui/cashier/till_lookup.py), which a plugin cannot import.
_QR_CARD = re.compile(r"(?:/cards/|[?&]card(?:_number)?=|\bcard:)([0-9A-Za-z]{4,32})", re.IGNORECASE)


def scanned(who: str) -> str:
    """What was typed or scanned: full-width characters folded, a QR code's card number."""
    text = unicodedata.normalize("NFKC", who or "").strip()
    match = _QR_CARD.search(text)
    return match.group(1) if match else text


def take_seat(session: Session, event_id: int, statuses=("open",)) -> bool:
    """One seat of the event, if one is free: the guarded UPDATE every seat goes through."""
    taken = session.execute(
        update(MemberEvent)
        .where(MemberEvent.id == event_id, MemberEvent.status.in_(statuses),
               MemberEvent.taken < MemberEvent.capacity)
        .values(taken=MemberEvent.taken + 1).execution_options(synchronize_session=False))
    return taken.rowcount == 1


def _give_seat_back(session: Session, event_id: int) -> None:
    session.execute(update(MemberEvent).where(MemberEvent.id == event_id, MemberEvent.taken > 0)
                    .values(taken=MemberEvent.taken - 1).execution_options(synchronize_session=False))


def _check_accepting(event: MemberEvent, now: datetime) -> None:
    if event.status == "cancelled":
        raise Conflict("the event is cancelled", code="event_cancelled")
    if event.status != "open":
        raise Conflict("the event is not open for sign-up", code="event_not_open")
    if event.signup_opens_at is not None and now < event.signup_opens_at:
        raise Conflict(f"sign-up opens at {local_text(event.signup_opens_at)}", code="signup_not_open_yet",
                       params={"opens_at": local_text(event.signup_opens_at)[:16].replace("T", " ")})
    if not accepting(event, now):
        raise Conflict("sign-up for this event has closed", code="signup_closed")


def member_tier_keys(session: Session, merchant_id: int, member_id: int) -> set[str]:
    """The tiers of the member's active cards (an event limited to tiers asks for one of them)."""
    return set(session.scalars(select(Tier.key).join(Card, Card.tier_id == Tier.id).where(
        Card.member_id == member_id, Card.merchant_id == merchant_id, Card.status == "active")))


def tier_allows(event: MemberEvent, tier_keys: set[str]) -> bool:
    return not event.tiers or bool(tier_keys & set(event.tiers))


def _check_tier(session: Session, event: MemberEvent, member_id: int) -> None:
    if event.tiers and not tier_allows(event, member_tier_keys(session, event.merchant_id, member_id)):
        raise Conflict("this event is for members of other tiers", code="tier_not_eligible")


def sign_up(session: Session, merchant_id: int, event_id: int, member_id: int, *, channel: str,
            now: datetime, card_id: int | None = None, staff_id: int | None = None,
            store_id: int | None = None) -> EventRegistration:
    """Register the member (a seat) or put them on the waiting list; refuse when neither."""
    event = find_event(session, merchant_id, event_id)
    _check_accepting(event, now)
    _check_tier(session, event, member_id)
    existing = _registration_of(session, event.id, member_id)
    if existing is not None and existing.status in LIVE:
        raise Conflict("the member is already signed up for this event", code="already_signed_up")
    if take_seat(session, event.id):
        status = "registered"
    elif event.waitlist:
        # Hold the event row while joining the queue: a cancellation running now either
        # finishes first (its seat is then free for us) or waits and promotes us.
        find_event(session, merchant_id, event.id, lock=True)
        status = "registered" if take_seat(session, event.id) else "waitlisted"
    else:
        raise Conflict("the event is full", code="event_full", params={"capacity": event.capacity})
    values = {"status": status, "channel": channel, "registered_at": now, "card_id": card_id,
              "staff_id": staff_id, "store_id": store_id, "cancelled_at": None, "checked_in_at": None,
              "checked_in_by_staff_id": None}
    insert = _INSERT[session.get_bind().dialect.name]
    new_id = session.execute(insert(EventRegistration).values(
        merchant_id=merchant_id, event_id=event.id, member_id=member_id, **values)
        .on_conflict_do_nothing().returning(EventRegistration.id)).scalar()
    if new_id is None:  # a row exists: reuse a cancelled one, else someone was quicker
        reused = session.execute(update(EventRegistration).where(
            EventRegistration.event_id == event.id, EventRegistration.member_id == member_id,
            EventRegistration.status == "cancelled").values(**values)
            .execution_options(synchronize_session=False))
        if reused.rowcount != 1:
            raise Conflict("the member is already signed up for this event", code="already_signed_up")
    session.expire_all()
    return _registration_of(session, event.id, member_id)


def _registration_of(session: Session, event_id: int, member_id: int) -> EventRegistration | None:
    return session.scalar(select(EventRegistration).where(
        EventRegistration.event_id == event_id, EventRegistration.member_id == member_id))


def find_registration(session: Session, merchant_id: int, event_id: int,
                      registration_id: int) -> EventRegistration:
    registration = session.scalar(select(EventRegistration).where(
        EventRegistration.id == registration_id, EventRegistration.event_id == event_id,
        EventRegistration.merchant_id == merchant_id))
    if registration is None:
        raise NotFound(f"registration {registration_id} does not exist", code="not_found")
    return registration


def cancel(session: Session, merchant_id: int, event_id: int, *, now: datetime,
           registration_id: int | None = None, member_id: int | None = None,
           ) -> tuple[EventRegistration, list[int]]:
    """Cancel a place (by id, or the member's); a seat given back goes to the waiting list.
    Returns the cancelled registration and the ids of those promoted into its seat."""
    event = find_event(session, merchant_id, event_id, lock=True)
    if registration_id is not None:
        registration = find_registration(session, merchant_id, event.id, registration_id)
    else:
        registration = _registration_of(session, event.id, member_id)
        if registration is None:
            raise Conflict("the member is not signed up for this event", code="not_signed_up")
    if registration.status == "cancelled":
        raise Conflict("this sign-up is already cancelled", code="registration_cancelled")
    if registration.checked_in_at is not None:
        raise Conflict("the member has checked in; the sign-up cannot be cancelled",
                       code="already_checked_in")
    if now >= event.starts_at and event.status != "cancelled":
        raise Conflict("the event has started; sign-ups can no longer be cancelled", code="event_started")
    held_seat = registration.status == "registered"
    changed = session.execute(update(EventRegistration).where(
        EventRegistration.id == registration.id, EventRegistration.status == registration.status)
        .values(status="cancelled", cancelled_at=now).execution_options(synchronize_session=False))
    if changed.rowcount != 1:
        raise Conflict("this sign-up is already cancelled", code="registration_cancelled")
    promoted = []
    if held_seat:
        _give_seat_back(session, event.id)
        promoted = promote_waitlisted(session, event, now)
    session.expire_all()
    return session.get(EventRegistration, registration.id), promoted


def promote_waitlisted(session: Session, event: MemberEvent, now: datetime) -> list[int]:
    """Let waitlisted members into free seats, oldest sign-up first; their registration ids."""
    promoted: list[int] = []
    if event.status not in ("open", "closed") or now >= event.starts_at:
        return promoted
    while True:
        waiting = session.scalar(select(EventRegistration.id).where(
            EventRegistration.event_id == event.id, EventRegistration.status == "waitlisted")
            .order_by(EventRegistration.registered_at, EventRegistration.id).limit(1))
        if waiting is None or not take_seat(session, event.id, statuses=("open", "closed")):
            break
        session.execute(update(EventRegistration).where(
            EventRegistration.id == waiting, EventRegistration.status == "waitlisted")
            .values(status="registered").execution_options(synchronize_session=False))
        promoted.append(waiting)
    session.expire_all()
    return promoted


def check_in_window(event: MemberEvent) -> tuple[datetime, datetime]:
    """From the start of the event's local day to the end of the local day it ends."""
    return local_day_bounds(local_date(event.starts_at))[0], local_day_bounds(local_date(event.ends_at))[1]


def events_today(session: Session, merchant_id: int, now: datetime) -> list[MemberEvent]:
    """Events whose check-in is open now (see check_in_window), soonest first."""
    day_start, day_end = local_day_bounds(local_date(now))
    candidates = session.scalars(select(MemberEvent).where(
        MemberEvent.merchant_id == merchant_id, MemberEvent.status.in_(("open", "closed")),
        MemberEvent.starts_at < day_end, MemberEvent.ends_at >= day_start)
        .order_by(MemberEvent.starts_at, MemberEvent.id).limit(50))
    return [event for event in candidates if check_in_window(event)[0] <= now < check_in_window(event)[1]]


def match_registrations(session: Session, event: MemberEvent, who: str) -> list[EventRegistration]:
    """The event's registrations whose member has this card number, phone or name (exact)."""
    card_holders = select(Card.member_id).where(Card.merchant_id == event.merchant_id, Card.number == who)
    return list(session.scalars(
        select(EventRegistration).join(Member, Member.id == EventRegistration.member_id)
        .where(EventRegistration.event_id == event.id,
               or_(Member.phone == who, Member.name == who, EventRegistration.member_id.in_(card_holders)))
        .order_by(EventRegistration.id).limit(20)))


def check_in(session: Session, merchant_id: int, event_id: int, *, now: datetime, staff_id: int | None,
             registration_id: int | None = None, who: str | None = None) -> EventRegistration:
    """Mark a registered member present, once, on the event's day."""
    event = find_event(session, merchant_id, event_id, lock=True)
    if event.status == "cancelled":
        raise Conflict("the event is cancelled", code="event_cancelled")
    if event.status == "draft":
        raise Conflict("the event is not open", code="event_not_open")
    first, last = check_in_window(event)
    if not first <= now < last:
        raise Conflict("check-in is open on the event's day only", code="check_in_not_now",
                       params={"day": local_date(event.starts_at).isoformat()})
    if registration_id is not None:
        registration = find_registration(session, merchant_id, event.id, registration_id)
    else:
        found = match_registrations(session, event, scanned(who or ""))
        live = [r for r in found if r.status in LIVE] or found
        if not found:
            raise Conflict("no one signed up for this event has this card, phone or name",
                           code="not_signed_up")
        if len(live) > 1:
            raise Invalid("several members signed up have this name: use the phone or card",
                          code="several_match", details=[problem("/who", "use the phone or card number")])
        registration = live[0]
    if registration.status == "waitlisted":
        raise Conflict("the member is on the waiting list, not registered", code="waitlisted")
    if registration.status != "registered":
        raise Conflict("the member's sign-up was cancelled", code="not_signed_up")
    marked = session.execute(update(EventRegistration).where(
        EventRegistration.id == registration.id, EventRegistration.status == "registered",
        EventRegistration.checked_in_at.is_(None))
        .values(checked_in_at=now, checked_in_by_staff_id=staff_id)
        .execution_options(synchronize_session=False))
    if marked.rowcount != 1:
        session.refresh(registration)
        raise Conflict("the member has already checked in", code="already_checked_in",
                       params={"at": local_text(registration.checked_in_at)[11:16]})
    session.expire_all()
    return session.get(EventRegistration, registration.id)


def registration_json(session: Session, registration: EventRegistration, event: MemberEvent | None = None) -> dict:
    event = event or session.get(MemberEvent, registration.event_id)
    member = session.get(Member, registration.member_id)
    card = session.get(Card, registration.card_id) if registration.card_id else None
    return {"id": registration.id, "event_id": registration.event_id, "event_title": event.title,
            "event_starts_at": local_text(event.starts_at), "member_id": registration.member_id,
            "member_name": member.name, "phone": member.phone,
            "card_number": card.number if card else None, "status": registration.status,
            "channel": registration.channel, "registered_at": local_text(registration.registered_at),
            "cancelled_at": local_text(registration.cancelled_at),
            "checked_in_at": local_text(registration.checked_in_at)}


def list_registrations(session: Session, event: MemberEvent, status: str | None = None) -> list[dict]:
    query = select(EventRegistration).where(EventRegistration.event_id == event.id)
    if status:
        query = query.where(EventRegistration.status == status)
    rows = session.scalars(query.order_by(EventRegistration.registered_at, EventRegistration.id))
    return [registration_json(session, row, event) for row in rows]

