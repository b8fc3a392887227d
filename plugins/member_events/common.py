"""What the member-events plugin's modules share: its id, the statuses, the limits."""
from __future__ import annotations

PLUGIN_ID = "member_events"
EVENT_STATUSES = ("draft", "open", "closed", "cancelled")
REGISTRATION_STATUSES = ("registered", "waitlisted", "cancelled")
CHANNELS = ("till", "portal", "api")
MAX_CAPACITY = 10_000
UPCOMING_SHOWN = 5  # events on the member strip and in the member's summary
