"""The audit log (issue 10, E7): who changed what, when, and from where.

One function writes it, ``record``, always inside the session of the action it describes, so
an action that rolls back leaves no row and a committed one always has its row. The rows are
append-only: database triggers refuse UPDATE and DELETE (migration 0007).

What is recorded: configuration changes (draft edits, publish, rollback, plugins, fields,
tiers, layouts), staff (create, password reset, (de)activation, API tokens), stored value and
points moved by hand, PINs, card states, and every export. Ordinary sales (checkout, returns,
redemptions, sign-ins …) are in the ledger with their staff id and are not repeated here.

Not recorded: a refused action (nothing changed), failed sign-ins and wrong PINs. Those are
attempts by someone not (yet) known to be staff, counted and throttled where they happen
(``core.pins``, the sign-in limiter); an append-only table that anyone on the internet could
grow without bound would itself be a weakness. Unlocking a locked PIN is a staff action and
is audited like any other.

Secrets never reach a row: a key that names a PIN, password, token or hash (``is_secret``)
keeps only the word ``"changed"`` in ``after`` and is dropped from ``before``.

"From where" is the caller's business: the core knows no HTTP, so the web layer and the
command line pass an ``Origin`` in.
"""
from __future__ import annotations

import getpass
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from .clock import local_day_bounds, now_utc, parse_date
from .models import AuditEntry, Card, Staff
from .text import INT64_MAX

CHANNELS = ("api", "web", "cli")
CHANGED = "changed"
MAX_USER_AGENT = 300
MAX_TARGET = 120

_SECRET_WORDS = {"pin", "password", "passwd", "token", "secret", "hash", "digest", "otp", "code_hash"}
_SECRET_NAMES = {"confirm", "pin_again", "csrf_token"}
_FACT_PREFIXES = ("has_", "is_")
_FACT_SUFFIXES = ("_id", "_ids", "_at", "_until", "_failures", "_total", "_count", "_label", "_set",
                  "_locked", "_blocked")


@dataclass(frozen=True)
class Origin:
    """Where an action came from: the channel, the client's address and user agent."""

    channel: str
    client_ip: str = ""
    user_agent: str = ""


def cli_origin() -> Origin:
    """An operator at the command line on this machine."""
    return Origin("cli", "local", f"huika cli ({_os_user()})")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (a container without /etc/passwd entry)
        return "unknown"


_REMEMBERED_KEY_LENGTH = 64  # longer keys are no name of ours: a client's, not remembered


def is_secret(key: str) -> bool:
    """A key whose value must never be stored: pin, new_pin, password_hash, token …

    Counters and dates about a secret (``pin_failures``, ``pin_locked_until``) are not secret.
    """
    if len(key) > _REMEMBERED_KEY_LENGTH:
        return _names_a_secret(key)
    return _remembered_is_secret(key)


def _names_a_secret(key: str) -> bool:
    name = key.lower()
    if name in _SECRET_NAMES:
        return True
    if name.startswith(_FACT_PREFIXES) or name.endswith(_FACT_SUFFIXES):
        return False  # has_pin, token_id, pin_failures, pin_locked_until: facts, not secrets
    return bool(set(re.split(r"[^a-z0-9]+", name)) & _SECRET_WORDS)


# Keys come from a small vocabulary and every request body is scrubbed: the answer is
# remembered per short key (a body's keys are the client's, so a long one is not kept).
_remembered_is_secret = lru_cache(maxsize=4096)(_names_a_secret)


def scrub(value: Any, *, dropping: bool = False) -> Any:
    """``value`` with every secret replaced by "changed" (or left out when ``dropping``)."""
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if is_secret(str(key)):
                if not dropping and item not in (None, ""):
                    result[key] = CHANGED
                continue
            result[key] = scrub(item, dropping=dropping)
        return result
    if isinstance(value, (list, tuple)):
        return [scrub(item, dropping=dropping) for item in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def changes(before: Any, after: Any) -> tuple[Any, Any]:
    """Only what differs between two JSON documents, as (before, after).

    Objects are compared key by key, and lists of objects that carry a ``key`` or ``id`` item
    by item, so editing one field of a large configuration stores that field, not the whole
    document twice.
    """
    if isinstance(before, dict) and isinstance(after, dict):
        old, new = {}, {}
        for key in [*before, *[k for k in after if k not in before]]:
            if before.get(key, _MISSING) == after.get(key, _MISSING):
                continue
            if key in before and key in after:
                old[key], new[key] = changes(before[key], after[key])
            elif key in before:
                old[key] = before[key]
            else:
                new[key] = after[key]
        return old, new
    keyed_before, keyed_after = _keyed(before), _keyed(after)
    if keyed_before is not None and keyed_after is not None:
        old, new = changes(keyed_before, keyed_after)
        if list(keyed_before) != list(keyed_after):  # the order changed too
            old["(order)"], new["(order)"] = list(keyed_before), list(keyed_after)
        return old, new
    return before, after


_MISSING = object()


def _keyed(value: Any) -> dict | None:
    """A list of objects as {their key or id: object}, or None if it is not such a list."""
    if not isinstance(value, list) or not value:
        return None
    for name in ("key", "id"):
        if all(isinstance(item, dict) and isinstance(item.get(name), (str, int)) for item in value):
            keys = [str(item[name]) for item in value]
            if len(set(keys)) == len(keys):
                return dict(zip(keys, value))
    return None


def record(session: Session, *, merchant_id: int, staff_id: int | None, action: str,
           target: str = "", before: Any = None, after: Any = None,
           origin: Origin, staff_username: str | None = None,
           at: datetime | None = None) -> AuditEntry:
    """Add one audit row in ``session`` (the action's own transaction) and return it.

    ``before``/``after`` are JSON-ready values (dates become ISO text); secrets in them are
    scrubbed. ``staff_username`` is looked up when not given: the log keeps the name the
    person had at the time.
    """
    if origin.channel not in CHANNELS:
        raise ValueError(f"channel must be one of {CHANNELS}, not {origin.channel!r}")
    if staff_username is None:
        staff_username = ""
        if staff_id is not None:
            staff_username = session.scalar(select(Staff.username).where(Staff.id == staff_id)) or ""
    entry = AuditEntry(
        merchant_id=merchant_id, staff_id=staff_id, staff_username=staff_username[:60],
        channel=origin.channel, client_ip=(origin.client_ip or "")[:45],
        user_agent=(origin.user_agent or "")[:MAX_USER_AGENT], action=action,
        target=(target or "")[:MAX_TARGET],
        before=scrub(before, dropping=True) if before is not None else None,
        after=scrub(after) if after is not None else None,
        created_at=at or now_utc())
    session.add(entry)
    session.flush()
    return entry


def record_export(session: Session, *, merchant_id: int, staff_id: int | None, report: str,
                  parameters: dict | None, rows: int | None, file_format: str,
                  origin: Origin) -> AuditEntry:
    """The row every export writes (JSON reports today, Excel files later): which report, with
    which parameters, how many rows, in what format. Action ``export``, target ``report:<id>``."""
    return record(session, merchant_id=merchant_id, staff_id=staff_id, action="export",
                  target=f"report:{report}", origin=origin,
                  after={"report": report, "format": file_format, "parameters": parameters or {},
                         "rows": rows})


# -- helpers for declared operations (core.operations.AuditSpec) ----------------------------

def path_target(params: dict) -> str:
    """The default target of an operation: its path parameters, e.g. ``card:8123…``."""
    parts = []
    for name, value in params.items():
        kind = "card" if name == "card_number" else name.removesuffix("_id").removesuffix("_code")
        parts.append(f"{kind}:{value}")
    return " ".join(parts)


def locked_card(session: Session, merchant_id: int, number: Any, *, lock: bool = True) -> Card | None:
    """The merchant's card ``number``, its row locked for the transaction (PostgreSQL), or None.

    A "before" capture of an operation that locks the card first anyway (stored value, card
    states) takes the lock itself, so what it reads cannot change under it; one that does not
    (points) passes ``lock=False`` rather than add a lock order the checkout does not follow.
    """
    if not isinstance(number, str):
        return None
    query = select(Card).where(Card.merchant_id == merchant_id, Card.number == number)
    return session.scalar(query.with_for_update() if lock else query)


def card_state(card: Card | None) -> dict | None:
    """What a card-state or PIN action changes: status, kind, tier, expiry, member, whether a PIN
    is set, and its wrong-PIN count and lock (never the PIN or its hash)."""
    if card is None:
        return None
    return {"number": card.number, "status": card.status, "kind": card.kind,
            "tier": card.tier.key if card.tier is not None else None,
            "expires_on": card.expires_on.isoformat() if card.expires_on else None,
            "member_id": card.member_id, "has_pin": card.pin_hash is not None,
            "pin_failures": card.pin_failures, "pin_failures_total": card.pin_failures_total,
            "pin_locked_until": card.pin_locked_until.isoformat() if card.pin_locked_until else None,
            "pin_blocked_at": card.pin_blocked_at.isoformat() if card.pin_blocked_at else None}


# -- reading --------------------------------------------------------------------------------

@dataclass
class AuditPage:
    items: list[AuditEntry]
    total: int
    page: int
    per_page: int


def search(session: Session, merchant_id: int, *, staff: str | None = None,
           action: str | None = None, target: str | None = None, start: date | None = None,
           end: date | None = None, page: int = 1, per_page: int = 50) -> AuditPage:
    """One merchant's audit rows, newest first.

    ``staff`` is a staff id or username; ``action`` matches itself and the actions under it
    (``card`` finds ``card.freeze``); ``target`` matches from its start (``card:8123``);
    ``start``/``end`` are the merchant's local dates, both included.
    """
    query = select(AuditEntry).where(AuditEntry.merchant_id == merchant_id)
    if staff:
        if staff.isascii() and staff.isdigit() and int(staff) <= INT64_MAX:  # "²" is a digit too
            query = query.where(AuditEntry.staff_id == int(staff))
        else:
            query = query.where(AuditEntry.staff_username == staff)
    if action:
        query = query.where(or_(AuditEntry.action == action,
                                AuditEntry.action.startswith(action.rstrip(".") + ".", autoescape=True)))
    if target:
        query = query.where(AuditEntry.target.startswith(target, autoescape=True))
    if start is not None:
        query = query.where(AuditEntry.created_at >= local_day_bounds(start)[0])
    if end is not None:
        query = query.where(AuditEntry.created_at < local_day_bounds(end)[1])
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    items = session.scalars(query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
                            .offset((page - 1) * per_page).limit(per_page)).all()
    return AuditPage(items=list(items), total=total, page=page, per_page=per_page)


def entry_json(entry: AuditEntry) -> dict:
    return {"id": entry.id, "at": entry.created_at.isoformat(),
            "staff_id": entry.staff_id, "staff_username": entry.staff_username,
            "channel": entry.channel, "client_ip": entry.client_ip, "user_agent": entry.user_agent,
            "action": entry.action, "target": entry.target,
            "before": entry.before, "after": entry.after}


MAX_PAGE = 100_000


def parse_filters(args) -> dict:
    """``search`` keyword arguments from query-string text (staff, action, target, from, to,
    page, per_page), or ``Invalid`` naming each bad one."""
    from .errors import Invalid, problem

    problems, found = [], {}
    for name, limit in (("staff", 60), ("action", 60), ("target", MAX_TARGET)):
        value = (args.get(name) or "").strip()
        if len(value) > limit or any(ord(c) < 32 for c in value):
            problems.append(problem(f"/{name}", f"text of at most {limit} characters"))
        elif value:
            found[name] = value
    for name, key in (("from", "start"), ("to", "end")):
        value = (args.get(name) or "").strip()
        if value:
            try:
                found[key] = parse_date(value)
            except ValueError:
                problems.append(problem(f"/{name}", "a date as YYYY-MM-DD (merchant's local date)"))
    for name, default, top in (("page", 1, MAX_PAGE), ("per_page", 50, 100)):
        value = (args.get(name) or "").strip()
        if not value:
            found[name] = default
        elif value.isdigit() and len(value) <= 6 and 1 <= int(value) <= top:
            found[name] = int(value)
        else:
            problems.append(problem(f"/{name}", f"a whole number from 1 to {top}"))
    if found.get("start") and found.get("end") and found["start"] > found["end"]:
        problems.append(problem("/from", "on or before to"))
    if problems:
        raise Invalid("the audit filters are not valid", details=problems)
    return found
