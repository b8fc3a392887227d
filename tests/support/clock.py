"""A frozen clock for API tests, in the merchant's time (Beijing).

``clock.at("2026-03-01 23:30")`` moves it. It freezes both the API handlers' ``now`` (what
operations receive as ``context.now``) and ``core.clock.now_utc`` (what the core reads when no
``now`` is passed, e.g. card and member hooks), so daily limits, expiry and birthdays are
tested on the merchant's local date, not the server's.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from core.clock import MERCHANT_TZ


def beijing(text: str) -> datetime:
    """'2026-03-01 23:30' Beijing time as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=MERCHANT_TZ).astimezone(timezone.utc)


def key() -> dict:
    """A fresh Idempotency-Key header."""
    return {"Idempotency-Key": uuid.uuid4().hex}


class Clock:
    def __init__(self, start: str):
        self.now = beijing(start)

    def at(self, text: str) -> datetime:
        self.now = beijing(text)
        return self.now


def freeze(monkeypatch, start: str) -> Clock:
    from core import clock as core_clock
    from webui.api import handlers

    frozen = Clock(start)
    monkeypatch.setattr(handlers, "now_utc", lambda: frozen.now)
    monkeypatch.setattr(core_clock, "now_utc", lambda: frozen.now)
    return frozen
