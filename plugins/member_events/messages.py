"""The member hears about their place: a confirmation on sign-up, and when a seat frees up
for them on the waiting list. Messages go through the core's outbox (``core.messages``,
issue 14 item 4) in the caller's transaction, once per (member, event, status): the
occasion names the event and the place, so a repeated call adds nothing.

Where the outbox is not installed yet the sign-up goes on without a message.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from core.models import Member

from .events import local_text
from .models import EventRegistration, MemberEvent

KIND = "event_signup"


def _enqueue():
    try:
        from core.messages import enqueue
    except ImportError:  # the outbox of issue 14 item 4 is not in this build
        return None
    return enqueue


def confirm_signup(session: Session, registration: EventRegistration, event: MemberEvent,
                   now: datetime) -> list[int]:
    """Enqueue the confirmation of a registration (or of a place on the waiting list)."""
    enqueue = _enqueue()
    if enqueue is None:
        return []
    member = session.get(Member, registration.member_id)
    variables = {"name": member.name, "event": event.title, "place": event.place,
                 "starts_at": local_text(event.starts_at)[:16].replace("T", " "),
                 "status": registration.status}
    occasion = f"event:{event.id}:{registration.status}:{registration.registered_at:%Y%m%d%H%M%S}"
    return enqueue(session, event.merchant_id, member_id=member.id, kind=KIND, variables=variables,
                   occasion=occasion, now=now)


def confirm_promoted(session: Session, event: MemberEvent, registration_ids: list[int],
                     now: datetime) -> None:
    for registration_id in registration_ids:
        confirm_signup(session, session.get(EventRegistration, registration_id), event, now)
