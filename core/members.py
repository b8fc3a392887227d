"""Members (M1): create, update and read, scoped to one merchant (search: core.member_search)."""
from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .clock import now_utc
from .errors import Conflict, Invalid, NotFound, problem
from .fields import PHONE_PATTERN
from .member_search import MAX_PAGE, MAX_PAGE_SIZE, Page, search_members  # noqa: F401 (the API)
from .merchant_config import MerchantConfig
from .models import Member
from .schemas import validate_against
from .text import name_problem, text_problem

GENDERS = ("male", "female", "unspecified")
CALENDARS = ("solar", "lunar")

_PHONE = re.compile(PHONE_PATTERN)
_TEXT_LIMITS = {"name": 60, "address": 200, "occupation": 60, "income_band": 20}
_FIXED = ("name", "phone", "gender", "birthday", "birthday_calendar", "birthday_leap_month",
          "address", "occupation", "income_band", "channel")


def create_member(session: Session, config: MerchantConfig, merchant_id: int, data: dict,
                  *, store_id: int | None = None, staff_id: int | None = None,
                  now: datetime | None = None) -> Member:
    """Validate ``data`` (fixed fields plus ``extra``) and insert the member; ``staff_id`` is
    who registered it (None when the member signed up online), told to the plugins."""
    if not isinstance(data, dict):
        raise Invalid("the member must be a JSON object")
    values = _clean(data, config, partial=False)
    member = Member(merchant_id=merchant_id, registered_store_id=store_id)
    _save_or_conflict(session, member, values)
    config.hook("after_member_created")(session=session, member=member, config=config,
                                        staff_id=staff_id, now=now or now_utc())
    return member


def update_member(session: Session, config: MerchantConfig, member: Member, data: dict, *,
                  staff_id: int | None = None, now: datetime | None = None) -> Member:
    """Apply a partial update. ``extra`` merges key by key; a key set to null is removed.
    Plugins hear what changed, who changed it and when (``after_member_updated``)."""
    if not isinstance(data, dict):
        raise Invalid("the update must be a JSON object")
    values = _clean(data, config, partial=True, current_extra=member.extra)
    changes = _changes(member, values)
    _save_or_conflict(session, member, values)
    if changes:
        config.hook("after_member_updated")(session=session, member=member, changes=changes,
                                            config=config, staff_id=staff_id, now=now or now_utc())
    return member


def _changes(member: Member, values: dict) -> dict:
    """{key: {"from", "to"}} for every property (``extra`` key by key) the update changes."""
    changes = {}
    for key, value in values.items():
        if key == "extra":
            before = member.extra or {}
            for extra_key in sorted(set(before) | set(value)):
                if before.get(extra_key) != value.get(extra_key):
                    changes[f"extra.{extra_key}"] = {"from": before.get(extra_key),
                                                     "to": value.get(extra_key)}
        elif getattr(member, key) != value:
            changes[key] = {"from": _plain(getattr(member, key)), "to": _plain(value)}
    return changes


def _plain(value):
    """JSON-ready: a plugin may store the change as it is (dates as ISO text)."""
    return value.isoformat() if isinstance(value, date) else value


def get_member(session: Session, merchant_id: int, member_id: int) -> Member:
    member = session.scalar(select(Member).where(Member.id == member_id,
                                                 Member.merchant_id == merchant_id))
    if member is None:
        raise NotFound(f"member {member_id} does not exist")
    return member


def _save_or_conflict(session: Session, member: Member, values: dict) -> None:
    """Write inside a savepoint, so a taken phone leaves the member as it was."""
    phone = values.get("phone", member.phone)
    try:
        with session.begin_nested():
            for key, value in values.items():
                setattr(member, key, value)
            session.add(member)
            session.flush()
    except IntegrityError:
        raise Conflict(f"phone {phone} belongs to another member",
                       code="phone_taken") from None


def _clean(data: dict, config: MerchantConfig, *, partial: bool,
           current_extra: dict | None = None) -> dict:
    problems = []
    unknown = set(data) - set(_FIXED) - {"extra"}
    problems += [problem(f"/{key}", "unknown property") for key in sorted(unknown)]
    values: dict = {}

    for key, limit in _TEXT_LIMITS.items():
        if key in data:
            value = data[key]
            if not isinstance(value, str) or len(value.strip()) > limit:
                problems.append(problem(f"/{key}", f"text of at most {limit} characters"))
            elif (wrong := name_problem(value) if key == "name" else text_problem(value)):
                problems.append(problem(f"/{key}", wrong))
            else:
                values[key] = value.strip()
    if not partial or "name" in data:
        if not values.get("name") and not any(p["pointer"] == "/name" for p in problems):
            problems.append(problem("/name", "name is required"))
    if not partial or "phone" in data:
        phone = data.get("phone")
        if not isinstance(phone, str) or not _PHONE.match(phone.strip()):
            problems.append(problem("/phone", "an 11-digit mainland mobile number, e.g. 13800138000"))
        else:
            values["phone"] = phone.strip()
    if "gender" in data:
        if data["gender"] not in GENDERS:
            problems.append(problem("/gender", "male, female or unspecified"))
        else:
            values["gender"] = data["gender"]
    if "channel" in data:
        if not isinstance(data["channel"], str) or not re.match(r"^[a-z][a-z0-9_]{0,19}$", data["channel"]):
            problems.append(problem("/channel", "a short slug such as counter or online"))
        else:
            values["channel"] = data["channel"]
    problems += _clean_birthday(data, values)
    if "extra" in data or not partial:
        extra = data.get("extra", {})
        if not isinstance(extra, dict):
            problems.append(problem("/extra", "an object of field values"))
        else:
            merged = {k: v for k, v in {**(current_extra or {}), **extra}.items() if v is not None}
            problems += [problem(f"/extra{p.pointer}", p.message)
                         for p in validate_against(merged, config.member_extra_schema)]
            values["extra"] = merged
    if problems:
        raise Invalid("the member data is not valid; nothing was saved", details=problems)
    return values


def _clean_birthday(data: dict, values: dict) -> list[dict]:
    problems = []
    if "birthday_calendar" in data:
        if data["birthday_calendar"] not in CALENDARS:
            problems.append(problem("/birthday_calendar", "solar or lunar"))
        else:
            values["birthday_calendar"] = data["birthday_calendar"]
    if "birthday_leap_month" in data:
        if not isinstance(data["birthday_leap_month"], bool):
            problems.append(problem("/birthday_leap_month", "true or false"))
        else:
            values["birthday_leap_month"] = data["birthday_leap_month"]
    if "birthday" in data:
        raw = data["birthday"]
        if raw is None:
            values["birthday"] = None
        else:
            try:
                year, month, day = _split_date(raw)
                if values.get("birthday_calendar", "solar") == "lunar":
                    # A lunar month/day is no Gregorian date: 二月三十 exists in some years.
                    if not (1 <= month <= 12 and 1 <= day <= 30):
                        raise ValueError
                    born_year_ok = 1900 <= year <= date.today().year
                else:
                    born = date(year, month, day)
                    born_year_ok = date(1900, 1, 1) <= born <= date.today()
                if not born_year_ok:
                    problems.append(problem("/birthday", "a birthday between 1900 and today"))
                values["birthday"] = f"{year:04d}-{month:02d}-{day:02d}"
            except ValueError:
                problems.append(problem("/birthday", "a date as YYYY-MM-DD"))
    return problems


def _split_date(raw) -> tuple[int, int, int]:
    if not isinstance(raw, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
        raise ValueError(raw)
    year, month, day = (int(part) for part in raw.split("-"))
    return year, month, day
