"""A campaign's segment: which members it reaches (R3, M5), as one SQL query.

A segment is JSON; every filter given must hold (AND), a filter left out does not narrow:

- ``tiers``: tier keys; members holding an active card of one of them
- ``stores``: store ids; members registered at one of them
- ``rfm``: ``{"segments": [...], "days": 365}``; the member_rfm report's segments over the
  last ``days`` local days (its scores, its cut points: core.reports.member_rfm)
- ``dormant_days``: no purchase in the last N days (members who joined before then)
- ``birthday_month``: ``{"month": 1-12, "year": optional}``; birthdays, solar or lunar, whose
  solar date in that year (default: this year) falls in that month (core.birthdays)
- ``spend``: ``{"min_fen", "max_fen", "days": 365}``; net spend (returns deducted) over the
  last ``days`` local days, both bounds included
- ``fields``: ``[{"key", "op", "value"}]``; members' own and plugins' fields (``extra``),
  typed by the published member fields: tags are a multi-choice field (op ``has_any``)

``segment_query`` compiles it to one SELECT of member ids; nothing loops over members in
Python (the RFM cut points come from the report's own pass over the period's buyers).
"""
from __future__ import annotations

import calendar
from datetime import date, timedelta

from sqlalchemy import and_, false, func, literal, or_, select, true
from sqlalchemy.orm import Session

from ..birthdays import SOLAR, birthday_keys_on
from ..clock import local_day_bounds
from ..errors import Invalid, problem
from ..fields import value_schema
from ..merchant_config import MerchantConfig
from ..messaging import mask_phone
from ..models import Card, Checkout, Member, Store, Tier
from ..reports.member_purchases import net_spend_per_member, period_facts, period_refunds
from ..reports.member_rfm import HIGH_SCORE, NO_PURCHASE, SEGMENT_KEYS, SEGMENTS, Buyers
from ..schemas import validate_against
from ..text import INT64_MAX
from .json_fields import json_array_has, json_number, json_present, json_text, json_true

MAX_DAYS = 3650
DAYS = {"type": "integer", "minimum": 1, "maximum": MAX_DAYS}
FEN = {"type": "integer", "minimum": 0, "maximum": INT64_MAX}
FIELD_OPS = ("eq", "in", "contains", "gte", "lte", "has_any", "set", "unset")
SEGMENT_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "tiers": {"type": "array", "minItems": 1, "maxItems": 50, "uniqueItems": True,
                  "items": {"type": "string", "minLength": 1, "maxLength": 40},
                  "description": "tier keys: members holding an active card of one of them"},
        "stores": {"type": "array", "minItems": 1, "maxItems": 200, "uniqueItems": True,
                   "items": {"type": "integer", "minimum": 1, "maximum": INT64_MAX},
                   "description": "store ids: members registered at one of them"},
        "rfm": {"type": "object", "additionalProperties": False, "required": ["segments"],
                "properties": {"segments": {"type": "array", "minItems": 1, "uniqueItems": True,
                                            "items": {"enum": SEGMENT_KEYS}},
                               "days": {**DAYS, "description": "the period, in local days up to today (365)"}},
                "description": "member_rfm segments over the last `days` days"},
        "dormant_days": {**DAYS, "description": "no purchase in the last N days"},
        "birthday_month": {"type": "object", "additionalProperties": False, "required": ["month"],
                           "properties": {"month": {"type": "integer", "minimum": 1, "maximum": 12},
                                          "year": {"type": "integer", "minimum": 1901, "maximum": 2099}},
                           "description": "solar or lunar birthdays falling in this solar month"},
        "spend": {"type": "object", "additionalProperties": False,
                  "properties": {"min_fen": FEN, "max_fen": FEN, "days": DAYS},
                  "description": "net spend over the last `days` days (365), bounds included"},
        "fields": {"type": "array", "maxItems": 20, "items": {
            "type": "object", "additionalProperties": False, "required": ["key", "op"],
            "properties": {"key": {"type": "string", "minLength": 1, "maxLength": 40},
                           "op": {"enum": list(FIELD_OPS)}, "value": {}}},
            "description": "conditions on members' extra fields (tags: a multi_choice field, op has_any)"},
    },
}
# Which operators each field type takes, and the schema of the value each wants.
_OPS_BY_TYPE = {
    "text": ("eq", "in", "contains", "set", "unset"), "phone": ("eq", "in", "set", "unset"),
    "choice": ("eq", "in", "set", "unset"), "multi_choice": ("has_any", "set", "unset"),
    "number": ("eq", "gte", "lte", "set", "unset"), "date": ("eq", "gte", "lte", "set", "unset"),
    "boolean": ("eq", "set", "unset"),
}


def segment_problems(session: Session, config: MerchantConfig, merchant_id: int, segment) -> list[dict]:
    """Every problem of ``segment`` for this merchant ({"pointer", "message"}), or []."""
    problems = [problem(f"/segment{p.pointer}", p.message) for p in validate_against(segment, SEGMENT_SCHEMA)]
    if problems:
        return problems
    known_tiers = {tier["key"] for tier in config.tiers}
    for index, key in enumerate(segment.get("tiers", [])):
        if key not in known_tiers:
            problems.append(problem(f"/segment/tiers/{index}", f"no tier {key!r} (tiers: {', '.join(sorted(known_tiers)) or 'none'})"))
    if segment.get("stores"):
        own = set(session.scalars(select(Store.id).where(Store.merchant_id == merchant_id,
                                                         Store.id.in_(segment["stores"]))))
        problems += [problem(f"/segment/stores/{index}", f"no store {store_id}")
                     for index, store_id in enumerate(segment["stores"]) if store_id not in own]
    spend = segment.get("spend")
    if spend is not None and spend.get("max_fen") is not None and spend.get("min_fen", 0) > spend["max_fen"]:
        problems.append(problem("/segment/spend/max_fen", "at least min_fen"))
    fields = {field["key"]: field for field in config.member_fields}
    for index, condition in enumerate(segment.get("fields", [])):
        problems += _field_problems(fields, condition, f"/segment/fields/{index}")
    return problems


def _field_problems(fields: dict, condition: dict, pointer: str) -> list[dict]:
    field = fields.get(condition["key"])
    if field is None:
        return [problem(f"{pointer}/key", f"no member field {condition['key']!r}")]
    op, kind = condition["op"], field["type"]
    if op not in _OPS_BY_TYPE[kind]:
        return [problem(f"{pointer}/op", f"a {kind} field takes {', '.join(_OPS_BY_TYPE[kind])}")]
    if op in ("set", "unset"):
        return [] if "value" not in condition else [problem(f"{pointer}/value", f"no value with {op}")]
    if "value" not in condition:
        return [problem(f"{pointer}/value", "a value is required")]
    return [problem(f"{pointer}/value{p.pointer}", p.message)
            for p in validate_against(condition["value"], _value_schema(field, op))]


def _value_schema(field: dict, op: str) -> dict:
    single = value_schema(field)
    single.pop("title", None)
    if field["type"] == "multi_choice":
        return {"type": "array", "minItems": 1, "maxItems": 200, "items": single["items"]}
    if op == "in":
        return {"type": "array", "minItems": 1, "maxItems": 200, "items": single}
    if op == "contains":
        return {"type": "string", "minLength": 1, "maxLength": 200}
    if field["type"] == "number":
        single.pop("minimum", None), single.pop("maximum", None)  # a bound may lie outside the range
    return single


def check_segment(session: Session, config: MerchantConfig, merchant_id: int, segment) -> dict:
    problems = segment_problems(session, config, merchant_id, segment)
    if problems:
        raise Invalid("the segment is not valid", details=problems)
    return segment


def segment_query(session: Session, config: MerchantConfig, merchant_id: int, segment: dict, today: date):
    """SELECT members.id of the members in ``segment`` (checked), in id order."""
    statement = select(Member.id).where(Member.merchant_id == merchant_id)
    conditions = []
    if segment.get("tiers"):
        conditions.append(Member.id.in_(
            select(Card.member_id).join(Tier, Tier.id == Card.tier_id)
            .where(Card.merchant_id == merchant_id, Card.status == "active",
                   Tier.merchant_id == merchant_id, Tier.key.in_(segment["tiers"]))))
    if segment.get("stores"):
        conditions.append(Member.registered_store_id.in_(segment["stores"]))
    if segment.get("rfm"):
        conditions.append(_rfm_condition(session, merchant_id, segment["rfm"], today))
    if segment.get("dormant_days"):
        since = _first_day(today, segment["dormant_days"])
        start = local_day_bounds(since)[0]
        conditions.append(Member.created_at < start)
        # NOT EXISTS: an anti-join on the checkouts' (merchant, member, time) index on both databases
        conditions.append(~select(Checkout.id).where(Checkout.merchant_id == merchant_id,
                                                     Checkout.member_id == Member.id,
                                                     Checkout.created_at >= start).exists())
    if segment.get("birthday_month"):
        conditions.append(_birthday_condition(segment["birthday_month"], today))
    if segment.get("spend") is not None:
        statement, spend_condition = _with_spend(statement, merchant_id, segment["spend"], today)
        conditions.append(spend_condition)
    fields = {field["key"]: field for field in config.member_fields}
    for condition in segment.get("fields", []):
        # A field removed or retyped since the campaign was saved matches nobody (never a bad cast).
        fits = not _field_problems(fields, condition, "")
        conditions.append(_field_condition(fields[condition["key"]], condition) if fits else false())
    return statement.where(*conditions).order_by(Member.id)


def _first_day(today: date, days: int) -> date:
    return today - timedelta(days=days - 1)


def _rfm_condition(session: Session, merchant_id: int, rfm: dict, today: date):
    """The report's segments: its cut points, then the same high/low tests as SQL."""
    start = _first_day(today, rfm.get("days", 365))
    buyers = Buyers(session.connection(), merchant_id, start, today, None)
    facts = period_facts(merchant_id, start, today).order_by(None).subquery("rfm_facts")
    wanted = set(rfm["segments"])
    if not len(buyers):
        return true() if NO_PURCHASE[0] in wanted else false()
    refunds = period_refunds(merchant_id, start, today).subquery("rfm_refunds")
    monetary = facts.c.gross_fen - func.coalesce(refunds.c[1], 0)
    # A score is HIGH_SCORE or more exactly when the figure exceeds the cut point below it.
    high = {"r": facts.c.last_day > buyers.r_cuts[HIGH_SCORE - 2],
            "f": facts.c.frequency > buyers.f_cuts[HIGH_SCORE - 2],
            "m": monetary > buyers.m_cuts[HIGH_SCORE - 2]}
    patterns = [and_(*(high[letter] if is_high else ~high[letter] for letter, is_high in zip("rfm", pattern)))
                for pattern, (key, _, _) in SEGMENTS.items() if key in wanted]
    options = []
    if patterns:
        options.append(Member.id.in_(select(facts.c.member_id)
                                     .outerjoin(refunds, refunds.c.member_id == facts.c.member_id)
                                     .where(or_(*patterns))))
    if NO_PURCHASE[0] in wanted:
        options.append(Member.id.not_in(select(facts.c.member_id)))
    return or_(*options)


def _birthday_condition(wanted: dict, today: date):
    """Stored birthdays whose solar date in the month falls in it: the keys of its days."""
    year, month = wanted.get("year") or today.year, wanted["month"]
    keys: dict[tuple, set] = {}
    for day in range(1, calendar.monthrange(year, month)[1] + 1):
        for key in birthday_keys_on(date(year, month, day)):
            leaps = (False, True) if key.leap_month is None else (key.leap_month,)
            for leap in leaps:
                keys.setdefault((key.calendar, leap), set()).add(f"{key.month:02d}-{key.day:02d}")
    month_day = func.substr(Member.birthday, 6, 5)
    options = []
    for (calendar_name, leap), month_days in sorted(keys.items()):
        leap_test = Member.birthday_leap_month.is_(True) if leap else Member.birthday_leap_month.is_not(True)
        if calendar_name == SOLAR:
            leap_test = true()  # a solar birthday has no leap month, whatever the flag says
        options.append(and_(Member.birthday_calendar == calendar_name, leap_test,
                            month_day.in_(sorted(month_days))))
    return and_(Member.birthday.is_not(None), or_(*options))


def _with_spend(statement, merchant_id: int, spend: dict, today: date):
    start = _first_day(today, spend.get("days", 365))
    net = net_spend_per_member(merchant_id, start, today).subquery("spend")
    figure = func.coalesce(net.c.net_fen, 0)
    statement = statement.outerjoin(net, net.c.member_id == Member.id)
    bounds = [figure >= spend.get("min_fen", 0)]
    if spend.get("max_fen") is not None:
        bounds.append(figure <= spend["max_fen"])
    return statement, and_(*bounds)


def _field_condition(field: dict, condition: dict):
    key, op, value, kind = field["key"], condition["op"], condition.get("value"), field["type"]
    if op == "set":
        return json_present(Member.extra, key)
    if op == "unset":
        return ~json_present(Member.extra, key)
    if kind == "boolean":
        return json_true(Member.extra, key) if value else ~json_true(Member.extra, key)
    if kind == "multi_choice":
        return or_(*(json_array_has(Member.extra, key, literal(item)) for item in value))
    stored = json_number(Member.extra, key) if kind == "number" else json_text(Member.extra, key)
    if op == "eq":
        return stored == value
    if op == "in":
        return stored.in_(value)
    if op == "gte":
        return stored >= value
    if op == "lte":
        return stored <= value
    # contains: a substring, LIKE wildcards taken literally
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return stored.like(f"%{escaped}%", escape="\\")


def preview(session: Session, config: MerchantConfig, merchant_id: int, segment: dict, today: date,
            sample: int = 10) -> dict:
    """How many members the segment reaches now, and the first few (id, name, masked phone)."""
    query = segment_query(session, config, merchant_id, segment, today).subquery("segment")
    count = session.scalar(select(func.count()).select_from(query))
    rows = session.execute(select(Member.id, Member.name, Member.phone)
                           .where(Member.id.in_(select(query.c.id)))
                           .order_by(Member.id).limit(sample)).all()
    return {"count": count, "sample": [{"member_id": member_id, "name": name, "phone": mask_phone(phone)}
                                       for member_id, name, phone in rows]}
