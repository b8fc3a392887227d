"""A report page's filter form, drawn from the report's description alone (issue 12, G1).

The period becomes two date inputs with quick ranges (plain links, so they work without
JavaScript), ``by_store`` a store select (a store's manager sees only theirs), an ``enum``
parameter a select, an integer a number input, a boolean a yes/no select, anything else a
text input. Labels come from the parameter's ``x-label`` (or ``title``), option texts from
``x-enum-labels``, both {"zh-CN", "en"} dicts as elsewhere in Huika.

The core checks the query (core.reports.parameters) and names each bad parameter in English
for API clients; the page says the same in the owner's language, worked out again here from
the submitted values, so nothing depends on the core's wording.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.clock import parse_date
from core.reports import Report
from core.reports.parameters import MAX_PERIOD_DAYS, common_parameters

from ..i18n import label

MAX_TEXT = 200  # what the core accepts for a text parameter

QUICK_RANGES = (("today", _l("Today")), ("yesterday", _l("Yesterday")), ("week", _l("This week")),
                ("month", _l("This month")), ("last_month", _l("Last month")),
                ("last_30", _l("Last 30 days")))


@dataclass
class FilterField:
    """One input of the filter form, ready for the template."""

    name: str
    kind: str  # date, select, number, text
    label: str
    value: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, text) for selects
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    help: str = ""


def filter_names(report: Report) -> list[str]:
    """The query parameters the report takes: the period, the store and its own."""
    return [*common_parameters(report), *report.parameters]


def submitted(report: Report, args: Mapping[str, str]) -> dict[str, str]:
    """The report's own query parameters from a page's query string; the page's other
    arguments (paging, sorting, the language) and anything unknown are left out."""
    values = {}
    for name in filter_names(report):
        raw = args.get(name)
        if raw is not None and raw != "":
            values[name] = raw
    return values


def quick_range(key: str, today: date) -> tuple[date, date]:
    if key == "yesterday":
        day = today - timedelta(days=1)
        return day, day
    if key == "week":
        return today - timedelta(days=today.weekday()), today
    if key == "month":
        return today.replace(day=1), today
    if key == "last_month":
        last_day = today.replace(day=1) - timedelta(days=1)
        return last_day.replace(day=1), last_day
    if key == "last_30":
        return today - timedelta(days=29), today
    return today, today


def quick_ranges(today: date) -> list[tuple[str, date, date]]:
    """(text, from, to) of each quick range, in the merchant's calendar."""
    return [(str(text), *quick_range(key, today)) for key, text in QUICK_RANGES]


def form_fields(report: Report, values: Mapping[str, str], *, stores: list[tuple[int, str]],
                all_stores: bool) -> list[FilterField]:
    """The form's inputs with ``values`` filled in. ``stores`` are the stores the viewer may
    pick; ``all_stores`` offers "every store" too (the owner, a manager of no one store)."""
    fields: list[FilterField] = []
    if report.period:
        fields.append(FilterField("from", "date", _("First day"), values.get("from", "")))
        fields.append(FilterField("to", "date", _("Last day"), values.get("to", "")))
    if report.by_store:
        options = ([("", _("All stores"))] if all_stores else []) + [(str(i), n) for i, n in stores]
        fields.append(FilterField("store", "select", _("Store"), values.get("store", ""), options))
    for name, schema in report.parameters.items():
        fields.append(_own_field(name, schema, values.get(name)))
    return fields


def _own_field(name: str, schema: dict, value: str | None) -> FilterField:
    text = parameter_label(name, schema)
    help_text = label(schema.get("x-help") or schema.get("description") or "")
    shown = "" if value is None else value
    if value is None and "default" in schema:
        shown = query_text(schema["default"])
    if "enum" in schema:
        names = schema.get("x-enum-labels") or {}
        options = [("", _("Any"))] if "default" not in schema else []
        options += [(query_text(choice), label(names.get(str(choice), str(choice))))
                    for choice in schema["enum"]]
        return FilterField(name, "select", text, shown, options, help=help_text)
    if schema.get("type") == "boolean":
        options = ([("", _("Any"))] if "default" not in schema else []) + [("true", _("yes")), ("false", _("no"))]
        return FilterField(name, "select", text, shown, options, help=help_text)
    if schema.get("format") == "date":
        return FilterField(name, "date", text, shown, help=help_text)
    if schema.get("type") == "integer":
        return FilterField(name, "number", text, shown, minimum=schema.get("minimum"),
                           maximum=schema.get("maximum"), help=help_text)
    return FilterField(name, "text", text, shown, max_length=min(schema.get("maxLength", MAX_TEXT), MAX_TEXT),
                       help=help_text)


def query_text(value) -> str:
    """A parameter's value as the query string (and the form) writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parameter_label(name: str, schema: dict) -> str:
    return label(schema.get("x-label") or schema.get("title") or "") or name


def problem_messages(report: Report, values: Mapping[str, str], details: list[dict]) -> list[str]:
    """The core's problems with the query (``Invalid.details``) in the UI language, one per
    parameter, in the order of the form."""
    named = {detail.get("pointer", "").lstrip("/") for detail in details}
    messages = []
    for name in [*filter_names(report), *sorted(named - set(filter_names(report)))]:
        if name in named:
            messages.append(_message_for(report, name, values))
    return messages


def _message_for(report: Report, name: str, values: Mapping[str, str]) -> str:
    if name in ("from", "to"):
        start, end = _day(values.get("from")), _day(values.get("to"))
        if values.get(name) and (start if name == "from" else end) is None:
            return _("%(what)s: enter a date as YYYY-MM-DD.",
                     what=_("First day") if name == "from" else _("Last day"))
        if start and end and start > end:
            return _("The first day may not be after the last day.")
        return _("A period may span at most %(days)s days; export the years one at a time.",
                 days=MAX_PERIOD_DAYS)
    if name == "store":
        return _("Choose one of your stores.")
    schema = report.parameters.get(name)
    if schema is None:
        return _("%(what)s is not a filter of this report.", what=name)
    what = parameter_label(name, schema)
    if "enum" in schema or schema.get("type") == "boolean":
        return _("%(what)s: choose one of the options.", what=what)
    if schema.get("type") == "integer":
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is not None and high is not None:
            return _("%(what)s: enter a whole number from %(low)s to %(high)s.", what=what, low=low, high=high)
        if low is not None:
            return _("%(what)s: enter a whole number of at least %(low)s.", what=what, low=low)
        if high is not None:
            return _("%(what)s: enter a whole number of at most %(high)s.", what=what, high=high)
        return _("%(what)s: enter a whole number.", what=what)
    limit = min(schema.get("maxLength", MAX_TEXT), MAX_TEXT)
    return _("%(what)s: this value is not accepted (at most %(limit)s characters).", what=what, limit=limit)


def _day(raw: str | None) -> date | None:
    try:
        return parse_date(raw) if raw else None
    except ValueError:
        return None
