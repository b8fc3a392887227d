"""Dates as the merchant sees them: Huika's merchants are in China (UTC+8, no DST).

Expiry dates and "today" (S3 same-day cap, P4 daily spins) are evaluated in the merchant's
local date, never the server's UTC date (odoo#222428).
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

MERCHANT_TZ = ZoneInfo("Asia/Shanghai")


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def local_date(moment: datetime) -> date:
    return moment.astimezone(MERCHANT_TZ).date()


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants where the merchant's local ``day`` starts and the next one starts."""
    start = datetime(day.year, day.month, day.day, tzinfo=MERCHANT_TZ)
    return start.astimezone(timezone.utc), (start + timedelta(days=1)).astimezone(timezone.utc)


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(text: str) -> date:
    """``YYYY-MM-DD`` and nothing else (ValueError otherwise).

    ``date.fromisoformat`` also takes ``20261205`` and ``2026-W49-6``, which the API documents
    as invalid (JSON Schema's ``format: date`` is RFC 3339's full-date).
    """
    if not isinstance(text, str) or not _ISO_DATE.fullmatch(text):
        raise ValueError(f"not a date as YYYY-MM-DD: {text!r}")
    return date.fromisoformat(text)
