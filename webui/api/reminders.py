"""Reminders (issue 14, item 1): who to remind of what on a merchant-local day.

Every staff role reads them (the till's call list); a manager or cashier of a store gets that
store's members (the store they registered at). docs/api.md "Reminders".
"""
from __future__ import annotations

import re

from flask import request
from sqlalchemy import select

from core.clock import local_date, now_utc, parse_date
from core.config_versions import published_config
from core.errors import Forbidden, Invalid, problem
from core.models import Store
from core.reminders import available_kinds, reminders_for

from . import schemas
from ..extension import huika
from .operations import caller, operation

FIRST_DAY, LAST_DAY = "1901-01-01", "2099-12-31"  # the lunar calendar's range, with a margin
_INTEGER = re.compile(r"[0-9]{1,18}")
REMINDER = {
    "type": "object", "required": ["member_id", "kind", "occasion", "facts"],
    "properties": {
        "member_id": {"type": "integer"},
        "kind": {"type": "string", "description": "birthday, anniversary, dormant, low_balance …"},
        "occasion": {"type": "string", "description": "names the happening, so it is reminded once "
                                                      "(birthday:2026-12-06)"},
        "facts": {"type": "object", "description": "template variables: name, phone, balance_fen, "
                                                   "points, expires_on, days_left …; money in fen"},
        "card_id": schemas.NULLABLE_INT, "store_id": schemas.NULLABLE_INT,
    },
}
REMINDERS = {"type": "object", "required": ["on", "reminders"],
             "properties": {"on": {"type": "string", "format": "date"},
                            "reminders": {"type": "array", "items": REMINDER}}}


@operation("/reminders", "GET", operation_id="listReminders", tag="reminders",
           summary="List the reminders of a day",
           query=[("kind", {"type": "string"},
                   "one kind or several separated by commas (default: every enabled kind)"),
                  ("on", {"type": "string", "format": "date"},
                   "the merchant-local day, YYYY-MM-DD (default: today in the merchant's time zone)"),
                  ("store", {"type": "integer", "minimum": 1},
                   "members registered at this store (a store's staff always get their own)")],
           responses={200: ("The reminders of enabled kinds due that day, kind by kind", REMINDERS)})
def list_reminders():
    who = caller()
    with huika().db.read() as session:
        config = published_config(session, who.merchant_id, huika().plugins)
        problems = []
        kinds = _kinds(request.args.get("kind"), set(available_kinds(config)), problems)
        on = _day(request.args.get("on"), problems)
        store_id = _store(session, who, request.args.get("store"), problems)
        if problems:
            raise Invalid("the reminders' parameters are not valid", details=problems)
        own = who.store_id if who.role != "owner" else None
        if own is not None:
            if store_id is not None and store_id != own:
                raise Forbidden("you may see only your own store's reminders")
            store_id = own
        found = reminders_for(session, config, who.merchant_id, on, kinds=kinds, store_id=store_id)
        return {"on": on.isoformat(), "reminders": [reminder.json() for reminder in found]}


def _kinds(raw: str | None, known: set[str], problems: list) -> list[str] | None:
    if raw is None or raw == "":
        return None
    wanted = [part.strip() for part in raw.split(",") if part.strip()]
    unknown = [part for part in wanted if part not in known]
    if unknown or not wanted:
        problems.append(problem("/kind", "one of " + ", ".join(sorted(known))))
    return wanted


def _day(raw: str | None, problems: list):
    today = local_date(now_utc())
    if raw is None:
        return today
    try:
        day = parse_date(raw)
    except ValueError:
        problems.append(problem("/on", "a date as YYYY-MM-DD"))
        return today
    if not FIRST_DAY <= raw <= LAST_DAY:
        problems.append(problem("/on", f"a day from {FIRST_DAY} to {LAST_DAY}"))
    return day


def _store(session, who, raw: str | None, problems: list) -> int | None:
    if raw is None:
        return None
    if not _INTEGER.fullmatch(raw) or int(raw) < 1:
        problems.append(problem("/store", "a store id, a positive integer"))
        return None
    store_id = int(raw)
    if session.scalar(select(Store.id).where(Store.id == store_id, Store.merchant_id == who.merchant_id)) is None:
        problems.append(problem("/store", "no such store"))
    return store_id
