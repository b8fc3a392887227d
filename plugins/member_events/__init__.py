"""Member events (会员活动, E1): 沙龙, 新品发布会 and other club events with a capacity,
sign-up from the member portal or the till, check-in at the door, and an attendance report.

This module is the plugin's hook surface; the behaviour lives next to it:

- ``events.py``   create, change, cancel and list events (local times at the edges)
- ``signups.py``  sign-up under the seat counter, waiting list, cancel, check-in
- ``messages.py`` the sign-up confirmation through the core's outbox, where installed
- ``api.py``      the API operations; ``reports.py`` the attendance report
- ``models.py`` + ``migrations/`` the plugin's own tables

See docs/events.md.
"""
from pathlib import Path

from core import clock
from core.hookspecs import hookimpl

from . import models  # noqa: F401  (the plugin's tables join the core's metadata)
from .events import short_text, upcoming_for_member

MIGRATIONS = Path(__file__).parent / "migrations" / "versions"


@hookimpl
def member_summary(session, member, config):
    """The events the member signed up for that are still to come (the till's member strip)."""
    upcoming = upcoming_for_member(session, member.merchant_id, member.id, clock.now_utc())
    return {"member_events": [
        {"text": short_text(event) + ("（候补）" if registration.status == "waitlisted" else ""),
         "event_id": event.id, "status": registration.status}
        for event, registration in upcoming]}


@hookimpl
def demo_data(session, config, merchant_id, store_ids, staff_id, now):
    """An upcoming 沙龙 with sign-ups and a 新品发布会 for the higher tiers (``huika demo``)."""
    from . import demo

    demo.load(session, config, merchant_id, store_ids[0], staff_id, now)


@hookimpl
def register_api_operations():
    from .api import operations

    return operations()


@hookimpl
def register_migrations():
    return [str(MIGRATIONS)]


@hookimpl
def register_reports():
    from .reports import reports

    return reports()
