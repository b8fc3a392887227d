"""A report's query string, checked: the period, the store and the report's own parameters.

Query values arrive as strings; each is converted to the type its JSON Schema declares and
then validated, so a handler only ever sees well-typed values. Every problem is named by
its parameter in one 422 (``core.errors.Invalid``); nothing reaches SQL unchecked.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Mapping

from ..clock import local_date, parse_date
from ..errors import Forbidden, Invalid, problem
from ..schemas import validate_against
from ..text import INT64_MAX
from .types import Report, ReportQuery

# Parameters of the serving layer itself (format, paging, sorting, language): not the report's.
SERVING_PARAMETERS = frozenset({"format", "sort", "offset", "limit", "lang"})
MAX_PERIOD_DAYS = 3660  # ten years: a longer range is a typo, not a question
# Days a report may ask about: beyond them a local day has no UTC instant in Python's range
# (year 1, year 9999) and no merchant has figures anyway.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)
_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")


def common_parameters(report: Report) -> dict:
    """JSON Schema properties of the parameters every report of this shape takes."""
    properties = {}
    if report.period:
        properties["from"] = {"type": "string", "format": "date",
                              "description": "first local day, YYYY-MM-DD (default: "
                                             f"{report.default_days - 1} days before 'to')"}
        properties["to"] = {"type": "string", "format": "date",
                            "description": "last local day, YYYY-MM-DD (default: today)"}
    if report.by_store:
        properties["store"] = {"type": "integer", "minimum": 1,
                               "description": "one store's figures (default: every store you may see)"}
    return properties


def parameters_schema(report: Report) -> dict:
    """The whole query of a report as one JSON Schema object (what GET /reports lists)."""
    return {"type": "object", "additionalProperties": False,
            "properties": {**common_parameters(report), **report.parameters}}


def parse_query(report: Report, args: Mapping[str, str], *, merchant_id: int, config,
                now: datetime, store_ids: set[int], own_store_id: int | None) -> ReportQuery:
    """``args`` (the query string) as a ReportQuery, or Invalid naming every bad parameter.

    ``store_ids`` are the merchant's stores; ``own_store_id`` is set when the caller may see
    only that store (a store's manager, A1): asking for another one is Forbidden.
    """
    problems: list[dict] = []
    known = set(common_parameters(report)) | set(report.parameters) | SERVING_PARAMETERS
    for name in sorted(set(args) - known):
        problems.append(problem(f"/{name}", f"unknown parameter; this report takes "
                                            f"{', '.join(sorted(known - SERVING_PARAMETERS)) or 'none'}"))
    start = end = None
    if report.period:
        today = local_date(now)
        end = _date(args, "to", today, problems)
        start = _date(args, "from", (end or today) - timedelta(days=report.default_days - 1), problems)
        if start and end:
            if start > end:
                problems.append(problem("/from", "must not be after 'to'"))
            elif (end - start).days >= MAX_PERIOD_DAYS:
                problems.append(problem("/from", f"the period may span at most {MAX_PERIOD_DAYS} days"))
    store_id = None
    if report.by_store:
        store_id = _integer(args, "store", problems)
        if store_id is not None and store_id not in store_ids:
            problems.append(problem("/store", "no such store"))
    params = _own_parameters(report, args, problems)
    if problems:
        raise Invalid("the report's parameters are not valid; nothing was run", details=problems)
    if own_store_id is not None and report.by_store:
        if store_id is not None and store_id != own_store_id:
            raise Forbidden("you may see only your own store's figures")
        store_id = own_store_id
    return ReportQuery(merchant_id=merchant_id, config=config, now=now, start=start, end=end,
                       store_id=store_id, params=params)


def _date(args, name: str, default: date, problems: list) -> date | None:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        day = parse_date(raw)
    except ValueError:
        problems.append(problem(f"/{name}", "a date as YYYY-MM-DD"))
        return None
    if not FIRST_DAY <= day <= LAST_DAY:
        problems.append(problem(f"/{name}", f"a day from {FIRST_DAY} to {LAST_DAY}"))
        return None
    return day


def _integer(args, name: str, problems: list) -> int | None:
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    if _INTEGER.fullmatch(raw) and 1 <= int(raw) <= INT64_MAX:
        return int(raw)
    problems.append(problem(f"/{name}", "a positive integer"))
    return None


def _own_parameters(report: Report, args, problems: list) -> dict:
    values = {}
    for name, schema in report.parameters.items():
        raw = args.get(name)
        if raw is None or raw == "":
            if "default" in schema:
                values[name] = schema["default"]
            continue
        value = _convert(raw, schema.get("type"))
        if value is None:
            problems.append(problem(f"/{name}", f"must be a {schema.get('type', 'value')}"))
            continue
        for found in validate_against(value, schema):
            problems.append(problem(f"/{name}", found.message))
        values[name] = value
    return values


def _convert(raw: str, declared):
    if declared == "integer":
        return int(raw) if _INTEGER.fullmatch(raw) else None
    if declared == "boolean":
        return {"true": True, "1": True, "false": False, "0": False}.get(raw.lower())
    if declared == "number":
        return None  # reports take no floats: money and rates are integers
    return raw if len(raw) <= 200 else None
