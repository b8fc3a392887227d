"""The member hears about their place: a confirmation on sign-up (``event_signup``), a note
when the event is full and they wait (``event_waitlist``), and ``event_signup`` again when a
freed seat goes to them. Messages go through the core's outbox (core.messages.enqueue) in the
caller's transaction: no sign-up, no message. The occasion names the event, the place and the
time of the sign-up, so a repeated call adds nothing and a new sign-up after a cancel is told
again. Templates per channel and language are the owner's (docs/messages.md); the core has
default texts for both kinds.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from core.messages import enqueue

from .events import local_text
from .models import EventRegistration, MemberEvent

KINDS = {"registered": "event_signup", "waitlisted": "event_waitlist"}


def confirm_signup(session: Session, registration: EventRegistration, event: MemberEvent,
                   now: datetime) -> list[int]:
    """Queue the confirmation of a registration or of a place on the waiting list."""
    kind = KINDS.get(registration.status)
    if kind is None:
        return []
    variables = {"event": event.title, "starts_at": local_text(event.starts_at)[:16].replace("T", " "),
                 "place": event.place}
    occasion = f"event:{event.id}:{registration.status}:{registration.registered_at:%Y%m%d%H%M%S%f}"
    return enqueue(session, event.merchant_id, member_id=registration.member_id, kind=kind,
                   variables=variables, occasion=occasion, now=now)


def confirm_promoted(session: Session, event: MemberEvent, registration_ids: list[int],
                     now: datetime) -> None:
    """Tell each member promoted from the waiting list that they now have a seat."""
    for registration_id in registration_ids:
        confirm_signup(session, session.get(EventRegistration, registration_id), event, now)
