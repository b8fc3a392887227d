"""What a reminder kind is and what a scan gives back (issue 14, item 1).

A kind is data plus a scan: its id, zh/en title, the JSON Schema of its settings (with
defaults; the merchant edits them in the editor's 提醒 page) and ``scan(session, config,
merchant_id, on, settings, store_id)`` yielding the Reminders due on the merchant-local day
``on``. A scan must be an indexed query: it runs for every merchant every day, at a million
members (tests/bench_support/reminder_scan.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Iterable


@dataclass(slots=True)  # not frozen: a frozen __init__ costs twice as much, at 57,000 a scan
class Reminder:
    """One member to remind of one happening.

    ``occasion`` names the happening so it is reminded once ("birthday:2026-12-06",
    "points_expiry:card:12:2026-12-31"): the inbox and the outbox are unique on it. ``facts``
    are template variables (name, phone, balance_fen, points, expires_on, days_left …), money
    in fen, dates as YYYY-MM-DD.
    """

    member_id: int
    kind: str
    occasion: str
    facts: dict
    card_id: int | None = None
    store_id: int | None = None

    def json(self) -> dict:
        return {"member_id": self.member_id, "kind": self.kind, "occasion": self.occasion,
                "facts": self.facts, "card_id": self.card_id, "store_id": self.store_id}


Scan = Callable[..., Iterable[Reminder]]


@dataclass
class ReminderKind:
    """A kind of reminder: registered by the ``register_reminder_kinds`` hook."""

    id: str
    title: dict  # {"zh-CN", "en"}
    settings_schema: dict  # JSON Schema of the kind's settings, every property with a default
    scan: Scan  # (session, config, merchant_id, on, settings, store_id) -> iterable of Reminder
    description: dict = field(default_factory=dict)  # {"zh-CN", "en"}: what the owner reads
    plugin: str = "core"  # set by the registry: the plugin that registered the kind


def settings_object(properties: dict, required: Iterable[str] = ()) -> dict:
    """A kind's settings schema from its properties: an object of exactly those keys."""
    return {"type": "object", "additionalProperties": False, "properties": properties,
            "required": list(required)}


def days_setting(default: int, zh: str, en: str, minimum: int = 0, maximum: int = 366) -> dict:
    """An integer number of days, labelled for the editor."""
    return {"type": "integer", "minimum": minimum, "maximum": maximum, "default": default,
            "x-unit": "day", "x-label": {"zh-CN": zh, "en": en}}


def on_day(day: date) -> str:
    return day.isoformat()
