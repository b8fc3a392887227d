"""Events: create, change, cancel, list, and their JSON (merchant-local times at the edges).

Times come in as merchant-local ``YYYY-MM-DDTHH:MM`` (an explicit offset is honoured too) and
are stored in UTC; they go out as local ISO times with the offset, ``2026-12-12T14:00:00+08:00``.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import MERCHANT_TZ
from core.errors import Conflict, Invalid, NotFound, problem
from core.models import Store

from .common import UPCOMING_SHOWN
from .models import EventRegistration, MemberEvent

TIME_FIELDS = ("starts_at", "ends_at", "signup_opens_at", "signup_closes_at")
TEXT_FIELDS = ("title", "description", "place", "cancel_reason")


def parse_local(text: str, pointer: str) -> datetime:
    """A merchant-local time (or one with an explicit offset) as an aware UTC datetime."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise Invalid("the time is not valid; nothing was saved",
                      details=[problem(pointer, "a time as YYYY-MM-DDTHH:MM")]) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=MERCHANT_TZ)
    return moment.astimezone(timezone.utc)


def local_text(moment: datetime | None) -> str | None:
    return moment.astimezone(MERCHANT_TZ).isoformat(timespec="seconds") if moment else None


def find_event(session: Session, merchant_id: int, event_id: int, *, lock: bool = False) -> MemberEvent:
    query = select(MemberEvent).where(MemberEvent.id == event_id, MemberEvent.merchant_id == merchant_id)
    if lock:  # the event row first, then its registrations: one lock order for every writer
        query = query.with_for_update()
    event = session.scalar(query)
    if event is None:
        raise NotFound(f"event {event_id} does not exist", code="not_found")
    return event


def signup_closes(event: MemberEvent) -> datetime:
    return event.signup_closes_at or event.starts_at


def accepting(event: MemberEvent, now: datetime) -> bool:
    """Whether a member may sign up right now (status, window), seats aside."""
    return (event.status == "open" and (event.signup_opens_at is None or event.signup_opens_at <= now)
            and now < signup_closes(event))


def event_json(event: MemberEvent, now: datetime | None = None) -> dict:
    result = {"id": event.id, "title": event.title, "description": event.description,
              "place": event.place, "store_id": event.store_id,
              "starts_at": local_text(event.starts_at), "ends_at": local_text(event.ends_at),
              "capacity": event.capacity, "taken": event.taken,
              "seats_left": event.capacity - event.taken, "waitlist": event.waitlist,
              "signup_opens_at": local_text(event.signup_opens_at),
              "signup_closes_at": local_text(signup_closes(event)),
              "tiers": list(event.tiers or []), "status": event.status,
              "cancel_reason": event.cancel_reason or ""}
    if now is not None:
        result["accepting_signups"] = accepting(event, now)
    return result


def _times(body: dict, current: MemberEvent | None) -> dict:
    """The body's times parsed, merged over the event's, and checked together."""
    values = {name: getattr(current, name) if current else None for name in TIME_FIELDS}
    for name in TIME_FIELDS:
        if name in body:
            values[name] = parse_local(body[name], f"/{name}") if body[name] is not None else None
    problems = []
    if values["ends_at"] <= values["starts_at"]:
        problems.append(problem("/ends_at", "must be after starts_at"))
    closes = values["signup_closes_at"] or values["starts_at"]
    if values["signup_closes_at"] is not None and closes > values["ends_at"]:
        problems.append(problem("/signup_closes_at", "must not be after ends_at"))
    if values["signup_opens_at"] is not None and values["signup_opens_at"] >= closes:
        problems.append(problem("/signup_opens_at", "must be before sign-up closes"))
    if problems:
        raise Invalid("the event's times do not fit together; nothing was saved", details=problems)
    return values


def _check_store(session: Session, merchant_id: int, store_id) -> None:
    if store_id is not None and session.scalar(select(Store.id).where(
            Store.id == store_id, Store.merchant_id == merchant_id)) is None:
        raise Invalid("no such store; nothing was saved", details=[problem("/store_id", "no such store")])


def _check_tiers(config, tiers) -> None:
    known = {tier["key"] for tier in config.tiers}
    unknown = [i for i, key in enumerate(tiers or []) if key not in known]
    if unknown:
        raise Invalid("no such tier; nothing was saved",
                      details=[problem(f"/tiers/{i}", "no such tier") for i in unknown])


def create_event(session: Session, config, merchant_id: int, body: dict, staff_id, now) -> MemberEvent:
    times = _times(body, None)
    if times["starts_at"] <= now:
        raise Invalid("the event must start in the future; nothing was saved",
                      details=[problem("/starts_at", "must be in the future")])
    _check_store(session, merchant_id, body.get("store_id"))
    _check_tiers(config, body.get("tiers"))
    event = MemberEvent(merchant_id=merchant_id, store_id=body.get("store_id"),
                        title=body["title"].strip(), description=body.get("description", "").strip(),
                        place=body.get("place", "").strip(), capacity=body["capacity"], taken=0,
                        waitlist=body.get("waitlist", False), tiers=list(dict.fromkeys(body.get("tiers", []))),
                        status=body.get("status", "open"), created_by_staff_id=staff_id, created_at=now,
                        cancel_reason="", **times)
    _check_title(event)
    session.add(event)
    session.flush()
    return event


def _check_title(event: MemberEvent) -> None:
    if not event.title:
        raise Invalid("the event needs a title; nothing was saved",
                      details=[problem("/title", "must not be blank")])


def update_event(session: Session, config, merchant_id: int, event_id: int, body: dict) -> MemberEvent:
    """Change what ``body`` names; the caller then lets the waiting list into new seats."""
    event = find_event(session, merchant_id, event_id, lock=True)
    if event.status == "cancelled":
        raise Conflict("the event is cancelled; nothing was changed", code="event_cancelled")
    times = _times(body, event)
    if "store_id" in body:
        _check_store(session, merchant_id, body["store_id"])
        event.store_id = body["store_id"]
    if "tiers" in body:
        _check_tiers(config, body["tiers"])
        event.tiers = list(dict.fromkeys(body["tiers"]))
    if "capacity" in body and body["capacity"] < event.taken:
        raise Conflict(f"{event.taken} members already hold a seat; the capacity cannot go below that",
                       code="capacity_below_signups", params={"taken": event.taken})
    for name in ("title", "description", "place"):
        if name in body:
            setattr(event, name, body[name].strip())
    _check_title(event)
    for name in ("capacity", "waitlist", "status"):
        if name in body:
            setattr(event, name, body[name])
    for name, value in times.items():
        setattr(event, name, value)
    session.flush()
    return event


def cancel_event(session: Session, merchant_id: int, event_id: int, reason: str, now) -> MemberEvent:
    """Cancel the event (final): no more sign-ups or check-ins; its registrations stay on record."""
    event = find_event(session, merchant_id, event_id, lock=True)
    if event.status == "cancelled":
        raise Conflict("the event is already cancelled", code="event_cancelled")
    event.status, event.cancelled_at, event.cancel_reason = "cancelled", now, reason
    session.flush()
    return event


def list_events(session: Session, merchant_id: int, *, status=None, start=None, end=None,
                store_id=None, limit: int = 200) -> list[MemberEvent]:
    """Events by start time; ``start``/``end`` are UTC instants (local days at the edge)."""
    query = select(MemberEvent).where(MemberEvent.merchant_id == merchant_id)
    if status:
        query = query.where(MemberEvent.status == status)
    if start is not None:
        query = query.where(MemberEvent.starts_at >= start)
    if end is not None:
        query = query.where(MemberEvent.starts_at < end)
    if store_id is not None:
        query = query.where((MemberEvent.store_id == store_id) | MemberEvent.store_id.is_(None))
    return list(session.scalars(query.order_by(MemberEvent.starts_at, MemberEvent.id).limit(limit)))


def open_for_signup(session: Session, merchant_id: int, now: datetime) -> list[MemberEvent]:
    """Events a member could sign up for now (seats aside), soonest first."""
    events = session.scalars(select(MemberEvent).where(
        MemberEvent.merchant_id == merchant_id, MemberEvent.status == "open",
        MemberEvent.starts_at > now).order_by(MemberEvent.starts_at, MemberEvent.id).limit(200))
    return [event for event in events if accepting(event, now)]


def upcoming_for_member(session: Session, merchant_id: int, member_id: int, now: datetime,
                        limit: int = UPCOMING_SHOWN) -> list[tuple[MemberEvent, EventRegistration]]:
    """The member's registrations (registered or waitlisted) for events not yet over."""
    rows = session.execute(
        select(MemberEvent, EventRegistration)
        .join(EventRegistration, EventRegistration.event_id == MemberEvent.id)
        .where(EventRegistration.merchant_id == merchant_id, EventRegistration.member_id == member_id,
               EventRegistration.status.in_(("registered", "waitlisted")),
               MemberEvent.status != "cancelled", MemberEvent.ends_at > now)
        .order_by(MemberEvent.starts_at, MemberEvent.id).limit(limit)).all()
    return [(row.MemberEvent, row.EventRegistration) for row in rows]


def short_text(event: MemberEvent) -> str:
    """"12-12 14:00 护肤沙龙" for the member strip and lists."""
    return f"{event.starts_at.astimezone(MERCHANT_TZ):%m-%d %H:%M} {event.title}"

