"""The member-events API (served under /api/v1, tag ``events``).

Owners and managers create, change and cancel events; every staff member may read them, sign
a member up (the till), cancel a sign-up and check members in. Sign-ups are guarded by the
seat counter and the one-place-per-member rule (signups.py), so a retried request cannot
take a second seat: it answers 409 ``already_signed_up``.
"""
from __future__ import annotations

from core.checkout import usable_card
from core.clock import local_day_bounds, parse_date
from core.errors import Conflict, Invalid, NotFound, problem
from core.models import Member
from core.operations import ApiOperation, OperationContext
from core.schemas import check_body

from . import signups
from .common import EVENT_STATUSES, MAX_CAPACITY, REGISTRATION_STATUSES
from .events import (cancel_event, create_event, event_json, find_event, list_events,
                     open_for_signup, short_text, update_event)
from .messages import confirm_promoted, confirm_signup

TAG = "events"
MANAGERS = frozenset({"owner", "manager"})
LOCAL_TIME = {"type": "string", "maxLength": 32,
              "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?(Z|[+-][0-9]{2}:[0-9]{2})?$",
              "description": "merchant-local time YYYY-MM-DDTHH:MM (an explicit offset is honoured)"}
OPTIONAL_TIME = {**LOCAL_TIME, "type": ["string", "null"]}
EDITABLE = {
    "title": {"type": "string", "minLength": 1, "maxLength": 80},
    "description": {"type": "string", "maxLength": 2000},
    "place": {"type": "string", "maxLength": 120},
    "store_id": {"type": ["integer", "null"], "minimum": 1, "description": "the store holding it; null: the merchant"},
    "starts_at": LOCAL_TIME,
    "ends_at": LOCAL_TIME,
    "capacity": {"type": "integer", "minimum": 1, "maximum": MAX_CAPACITY, "description": "seats"},
    "waitlist": {"type": "boolean", "description": "when full, further sign-ups wait for a seat"},
    "signup_opens_at": {**OPTIONAL_TIME, "description": "null: sign-up opens at once"},
    "signup_closes_at": {**OPTIONAL_TIME, "description": "null: sign-up closes when the event starts"},
    "tiers": {"type": "array", "maxItems": 20, "items": {"type": "string", "minLength": 1, "maxLength": 40},
              "description": "only members holding a card of these tiers; empty: everyone"},
}
EVENT_INPUT = {"type": "object", "additionalProperties": False,
               "required": ["title", "starts_at", "ends_at", "capacity"],
               "properties": {**EDITABLE, "status": {"enum": ["draft", "open"], "default": "open"}}}
EVENT_UPDATE = {"type": "object", "additionalProperties": False, "minProperties": 1,
                "properties": {**EDITABLE, "status": {"enum": ["draft", "open", "closed"],
                                                      "description": "closed: no more sign-ups"}}}
CANCEL_INPUT = {"type": "object", "additionalProperties": False,
                "properties": {"reason": {"type": "string", "maxLength": 200}}}
EVENT = {"type": "object",
         "required": ["id", "title", "starts_at", "ends_at", "capacity", "taken", "seats_left", "status"],
         "properties": {"id": {"type": "integer"}, "title": {"type": "string"},
                        "description": {"type": "string"}, "place": {"type": "string"},
                        "store_id": {"type": ["integer", "null"]},
                        "starts_at": {"type": "string"}, "ends_at": {"type": "string"},
                        "capacity": {"type": "integer"}, "taken": {"type": "integer"},
                        "seats_left": {"type": "integer"}, "waitlist": {"type": "boolean"},
                        "signup_opens_at": {"type": ["string", "null"]},
                        "signup_closes_at": {"type": "string"},
                        "tiers": {"type": "array", "items": {"type": "string"}},
                        "status": {"enum": list(EVENT_STATUSES)},
                        "accepting_signups": {"type": "boolean"},
                        "cancel_reason": {"type": "string"}}}
EVENTS = {"type": "object", "required": ["events"],
          "properties": {"events": {"type": "array", "items": EVENT}}}
REGISTRATION = {"type": "object", "required": ["id", "event_id", "member_id", "status"],
                "properties": {"id": {"type": "integer"}, "event_id": {"type": "integer"},
                               "event_title": {"type": "string"}, "event_starts_at": {"type": "string"},
                               "member_id": {"type": "integer"}, "member_name": {"type": "string"},
                               "phone": {"type": "string"}, "card_number": {"type": ["string", "null"]},
                               "status": {"enum": list(REGISTRATION_STATUSES)},
                               "channel": {"type": "string"}, "registered_at": {"type": "string"},
                               "cancelled_at": {"type": ["string", "null"]},
                               "checked_in_at": {"type": ["string", "null"]}}}
REGISTRATIONS = {"type": "object", "required": ["registrations"],
                 "properties": {"registrations": {"type": "array", "items": REGISTRATION}}}
SIGNUP_INPUT = {"type": "object", "additionalProperties": False, "minProperties": 1, "maxProperties": 1,
                "properties": {"card_number": {"type": "string", "minLength": 1, "maxLength": 40},
                               "member_id": {"type": "integer", "minimum": 1}},
                "description": "the member, by card_number or member_id"}
CARD_SIGNUP_INPUT = {"type": "object", "additionalProperties": False,
                     "properties": {"event_id": {"type": "integer", "minimum": 1,
                                                 "description": "omit when one event takes sign-ups"}}}
CHECK_IN_INPUT = {"type": "object", "additionalProperties": False, "minProperties": 1, "maxProperties": 1,
                  "properties": {"who": {"type": "string", "minLength": 1, "maxLength": 200,
                                         "description": "card number (or the member QR code scanned), phone or full name"},
                                 "registration_id": {"type": "integer", "minimum": 1}}}
STANDALONE_CHECK_IN = {"type": "object", "additionalProperties": False, "required": ["who"],
                       "properties": {"event_id": {"type": "integer", "minimum": 1,
                                                   "description": "omit when one event is on today"},
                                      "who": CHECK_IN_INPUT["properties"]["who"]}}
NOT_FOUND = {404: "No such event, registration, card or member for this merchant"}
REFUSED = {409: "The event is not taking sign-ups, is full, or the member already has a place"}


# -- events --------------------------------------------------------------------------------

def _status_query(query: dict, allowed) -> str | None:
    status = query.get("status")
    if status is not None and status not in allowed:  # an empty value is no status either
        raise Invalid("no such status", details=[problem("/status", "one of " + ", ".join(allowed))])
    return status


def _day_query(query: dict, name: str):
    raw = query.get(name)
    if raw is None:
        return None
    try:
        return parse_date(raw)
    except ValueError:
        raise Invalid(f"{name} is a date as YYYY-MM-DD", details=[problem(f"/{name}", "YYYY-MM-DD")]) from None


def list_all(context: OperationContext) -> dict:
    status = _status_query(context.query, EVENT_STATUSES)
    first, last = _day_query(context.query, "from"), _day_query(context.query, "to")
    if first and last and first > last:
        raise Invalid("from is after to", details=[problem("/from", "on or before to")])
    events = list_events(context.session, context.merchant_id, status=status,
                         start=local_day_bounds(first)[0] if first else None,
                         end=local_day_bounds(last)[1] if last else None)
    return {"events": [event_json(event, context.now) for event in events]}


def new_event(context: OperationContext) -> dict:
    body = check_body(context.body, EVENT_INPUT, "the event is not valid; nothing was saved")
    event = create_event(context.session, context.config, context.merchant_id, body,
                         context.staff_id, context.now)
    return event_json(event, context.now)


def get_event(context: OperationContext) -> dict:
    return event_json(find_event(context.session, context.merchant_id, context.params["event_id"]),
                      context.now)


def change_event(context: OperationContext) -> dict:
    body = check_body(context.body, EVENT_UPDATE, "the change is not valid; nothing was changed")
    event = update_event(context.session, context.config, context.merchant_id,
                         context.params["event_id"], body)
    confirm_promoted(context.session, event, signups.promote_waitlisted(context.session, event, context.now),
                     context.now)
    context.session.refresh(event)
    return event_json(event, context.now)


def cancel(context: OperationContext) -> dict:
    body = check_body(context.body, CANCEL_INPUT, "the cancellation is not valid; nothing was changed")
    event = cancel_event(context.session, context.merchant_id, context.params["event_id"],
                         body.get("reason", "").strip(), context.now)
    return event_json(event, context.now)


# -- registrations -------------------------------------------------------------------------

def _member_of(context: OperationContext, body: dict) -> tuple[int, int | None]:
    """(member id, card id) from a card number (usable, bound) or a member id of this merchant."""
    if "card_number" in body:
        card = usable_card(context.session, context.merchant_id, body["card_number"].strip(), context.now)
        if card.member_id is None:
            raise Conflict("this card belongs to no member", code="card_not_bound")
        return card.member_id, card.id
    member = context.session.get(Member, body["member_id"])
    if member is None or member.merchant_id != context.merchant_id:
        raise NotFound(f"member {body['member_id']} does not exist")
    return member.id, None


def _sign_up(context: OperationContext, event_id: int, member_id: int, card_id: int | None) -> dict:
    registration = signups.sign_up(context.session, context.merchant_id, event_id, member_id,
                                   channel="till" if card_id else "api", now=context.now,
                                   card_id=card_id, staff_id=context.staff_id, store_id=context.store_id)
    event = find_event(context.session, context.merchant_id, event_id)
    confirm_signup(context.session, registration, event, context.now)
    return signups.registration_json(context.session, registration, event)


def register(context: OperationContext) -> dict:
    body = check_body(context.body, SIGNUP_INPUT, "the sign-up is not valid; nothing was saved")
    find_event(context.session, context.merchant_id, context.params["event_id"])
    member_id, card_id = _member_of(context, body)
    return _sign_up(context, context.params["event_id"], member_id, card_id)


def _the_one(events) -> int:
    """The id of the only event in ``events``; more than one: the caller must choose."""
    if len(events) == 1:
        return events[0].id
    listed = "; ".join(f"{event.id}: {short_text(event)}" for event in events[:10])
    raise Invalid(f"choose the event ({listed})", code="choose_event",
                  details=[problem("/event_id", f"the event number: {listed}")], params={"events": listed})


def register_card(context: OperationContext) -> dict:
    """The till's 报名活动: the card on screen signs up for the event (the only open one if omitted)."""
    body = check_body(context.body, CARD_SIGNUP_INPUT, "the sign-up is not valid; nothing was saved")
    member_id, card_id = _member_of(context, {"card_number": context.params["card_number"]})
    if "event_id" in body:
        event_id = body["event_id"]
    else:
        candidates = open_for_signup(context.session, context.merchant_id, context.now)
        if not candidates:
            raise Invalid("no event takes sign-ups now", code="no_event_open",
                          details=[problem("/event_id", "no event takes sign-ups now")])
        event_id = _the_one(candidates)
    return _sign_up(context, event_id, member_id, card_id)


def registrations(context: OperationContext) -> dict:
    status = _status_query(context.query, REGISTRATION_STATUSES)
    event = find_event(context.session, context.merchant_id, context.params["event_id"])
    return {"registrations": signups.list_registrations(context.session, event, status)}


def cancel_registration(context: OperationContext) -> dict:
    check_body(context.body, {"type": "object", "additionalProperties": False, "properties": {}},
               "the cancellation is not valid; nothing was changed")
    registration, promoted = signups.cancel(context.session, context.merchant_id, context.params["event_id"],
                                            registration_id=context.params["registration_id"], now=context.now)
    event = find_event(context.session, context.merchant_id, registration.event_id)
    confirm_promoted(context.session, event, promoted, context.now)
    return signups.registration_json(context.session, registration, event)


def check_in(context: OperationContext) -> dict:
    body = check_body(context.body, CHECK_IN_INPUT, "the check-in is not valid; nothing was saved")
    registration = signups.check_in(context.session, context.merchant_id, context.params["event_id"],
                                    now=context.now, staff_id=context.staff_id,
                                    registration_id=body.get("registration_id"),
                                    who=(body.get("who") or "").strip())
    return signups.registration_json(context.session, registration)


def check_in_today(context: OperationContext) -> dict:
    """The staff screen 活动签到: today's event (or the one named) and a card, phone or name."""
    body = check_body(context.body, STANDALONE_CHECK_IN, "the check-in is not valid; nothing was saved")
    if "event_id" in body:
        event_id = body["event_id"]
    else:
        candidates = signups.events_today(context.session, context.merchant_id, context.now)
        if not candidates:
            raise Invalid("no event is on today", code="no_event_today",
                          details=[problem("/event_id", "no event is on today")])
        event_id = _the_one(candidates)
    registration = signups.check_in(context.session, context.merchant_id, event_id, now=context.now,
                                    staff_id=context.staff_id, who=body["who"].strip())
    return signups.registration_json(context.session, registration)


def operations() -> list[ApiOperation]:
    invalid = {422: "Not valid (each problem named by JSON pointer); nothing was saved"}
    return [
        ApiOperation("/events", "GET", "listEvents", "List member events (沙龙, 新品发布会 …), by start",
                     list_all, tag=TAG, response_schema=EVENTS, read_only=True,
                     query=[("status", {"enum": list(EVENT_STATUSES)}, "only events of this status"),
                            ("from", {"type": "string", "format": "date"}, "starting on or after this local day"),
                            ("to", {"type": "string", "format": "date"}, "starting on or before this local day")]),
        ApiOperation("/events", "POST", "createEvent", "Create a member event", new_event, tag=TAG,
                     status=201, roles=MANAGERS, request_schema=EVENT_INPUT, response_schema=EVENT,
                     errors=invalid, audit="events.create"),
        ApiOperation("/events/<int:event_id>", "GET", "getEvent", "Read an event", get_event, tag=TAG,
                     response_schema=EVENT, read_only=True, errors=NOT_FOUND),
        ApiOperation("/events/<int:event_id>", "PATCH", "updateEvent",
                     "Change an event: texts, times, seats, tiers; open or close its sign-up",
                     change_event, tag=TAG, roles=MANAGERS, request_schema=EVENT_UPDATE,
                     response_schema=EVENT, audit="events.update",
                     errors={**NOT_FOUND, **invalid, 409: "The event is cancelled, or more members hold "
                                                          "a seat than the new capacity"}),
        ApiOperation("/events/<int:event_id>/cancel", "POST", "cancelEvent",
                     "Cancel an event (final); its sign-ups stay on record", cancel, tag=TAG,
                     roles=MANAGERS, request_schema=CANCEL_INPUT, response_schema=EVENT,
                     audit="events.cancel", errors={**NOT_FOUND, 409: "The event is already cancelled"}),
        ApiOperation("/events/<int:event_id>/registrations", "GET", "listEventRegistrations",
                     "Who signed up (registered, waitlisted, cancelled), in sign-up order",
                     registrations, tag=TAG, response_schema=REGISTRATIONS, read_only=True, errors=NOT_FOUND,
                     query=[("status", {"enum": list(REGISTRATION_STATUSES)}, "only this status")]),
        ApiOperation("/events/<int:event_id>/registrations", "POST", "registerForEvent",
                     "Sign a member up (a seat, or the waiting list)", register, tag=TAG, status=201,
                     request_schema=SIGNUP_INPUT, response_schema=REGISTRATION,
                     errors={**NOT_FOUND, **REFUSED}, audit="events.register"),
        ApiOperation("/cards/<card_number>/event-registrations", "POST", "registerCardForEvent",
                     "Sign the card's holder up for an event (the till's 报名活动)", register_card,
                     tag=TAG, status=201, request_schema=CARD_SIGNUP_INPUT, response_schema=REGISTRATION,
                     errors={**NOT_FOUND, **REFUSED, 422: "No event_id and not exactly one event takes sign-ups"},
                     audit="events.register"),
        ApiOperation("/events/<int:event_id>/registrations/<int:registration_id>/cancel", "POST",
                     "cancelEventRegistration", "Cancel a sign-up; the seat goes to the waiting list",
                     cancel_registration, tag=TAG, response_schema=REGISTRATION,
                     errors={**NOT_FOUND, 409: "Already cancelled, checked in, or the event has started"},
                     audit="events.unregister"),
        ApiOperation("/events/<int:event_id>/check-ins", "POST", "checkInAtEvent",
                     "Check a registered member in, by card number, phone, name or registration",
                     check_in, tag=TAG, status=201, request_schema=CHECK_IN_INPUT,
                     response_schema=REGISTRATION, audit="events.check_in",
                     errors={**NOT_FOUND, 409: "Not signed up, waitlisted, already in, or not the event's day"}),
        ApiOperation("/event-check-ins", "POST", "checkInToday",
                     "Check a member in at today's event (the staff screen 活动签到)", check_in_today,
                     tag=TAG, status=201, request_schema=STANDALONE_CHECK_IN, response_schema=REGISTRATION,
                     audit="events.check_in",
                     errors={**NOT_FOUND, 409: "Not signed up, waitlisted, already in, or not the event's day",
                             422: "No event_id and not exactly one event on today"}),
    ]
