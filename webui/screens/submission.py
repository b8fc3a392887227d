"""Reading a submitted screen form back as JSON data of its data schema (``parse_submission``).

Yuan become integer fen, whole numbers integers, checkboxes booleans, multiple choices lists;
values under elements hidden or disabled by a rule are dropped; the result is checked with
``core.schemas.validate_against`` and every problem carries a JSON pointer that
``render_screen(errors=...)`` understands.
"""
from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from flask_babel import gettext as _

from core.fields import PHONE_PATTERN
from core.schemas import SchemaProblem, validate_against

from .layout import control_kind, input_name, resolve_scope, scope_of, scope_path, walk
from .money import MoneyError, parse_yuan
from .rules import MISSING, active_scopes, value_at, with_defaults

__all__ = ["parse_submission"]

_INTEGER = re.compile(r"^[+-]?\d{1,15}\Z")
_REQUIRED = re.compile(r"^'([^']+)' is a required property\Z")


def _set(data: dict, path: list[str], value: Any) -> None:
    for part in path[:-1]:
        data = data.setdefault(part, {})
    data[path[-1]] = value


def _parse_value(kind: str, prop: dict, formdata, name: str) -> tuple[Any, str | None]:
    """(value or MISSING, error message or None) of one control."""
    if kind == "boolean":
        return formdata.get(name) in ("true", "on", "1", "y"), None
    if kind == "multi_enum":
        chosen = [v for v in formdata.getlist(name) if v != ""]
        items = prop.get("items", {})
        if items.get("type") == "integer":
            chosen = [int(v) if _INTEGER.match(v) else v for v in chosen]
        return (chosen if chosen else MISSING), None
    raw = formdata.get(name)
    if raw is None or raw.strip() == "":
        return MISSING, None
    raw = raw.strip()
    if kind == "money":
        try:
            return parse_yuan(raw), None
        except MoneyError as error:
            return MISSING, str(error)
    if kind == "integer" or (kind in ("select", "radio") and prop.get("type") == "integer"):
        normalised = unicodedata.normalize("NFKC", raw)
        if not _INTEGER.match(normalised):
            return MISSING, _("Enter a whole number.")
        return int(normalised), None
    if kind == "json":
        try:
            return json.loads(raw), None
        except json.JSONDecodeError:
            return MISSING, _("This is not valid JSON.")
    return raw, None


def _plain_message(screen: dict, pointer: str, message: str) -> str:
    """Words for the schema messages cashiers meet most (a raw regex helps nobody)."""
    prop = resolve_scope(screen["data_schema"], scope_of(pointer.strip("/").split("/"))) or {}
    if prop.get("pattern") == PHONE_PATTERN and "does not match" in message:
        return _("Enter an 11-digit mobile number, such as 13800138000.")
    if prop.get("format") == "date" and "is not a 'date'" in message:
        return _("Enter a date as YYYY-MM-DD, such as 2026-05-01.")
    return message


def parse_submission(screen: dict, formdata, *, prefix: str = "") -> tuple[dict, list[SchemaProblem]]:
    """The submitted values of ``screen`` as data, and every problem with them (see module doc)."""
    data: dict = {}
    problems: list[SchemaProblem] = []
    controls = [e for e in walk(screen["ui"]) if e.get("type") == "Control"]
    for control in controls:
        prop = resolve_scope(screen["data_schema"], control["scope"])
        if prop is None:
            continue
        path = scope_path(control["scope"])
        value, error = _parse_value(control_kind(prop, control.get("options", {})), prop, formdata,
                                    input_name(path, prefix))
        if error:
            problems.append(SchemaProblem("/" + "/".join(path), error))
        elif value is not MISSING:
            _set(data, path, value)
    for scope, active in active_scopes(screen["ui"], with_defaults(screen["data_schema"], data)):
        if not active:  # hidden or disabled by a rule: not part of the submission
            path = scope_path(scope)
            parent = value_at(data, scope_of(path[:-1])) if len(path) > 1 else data
            if isinstance(parent, dict):
                parent.pop(path[-1], None)
    failed = {p.pointer for p in problems}
    for problem in validate_against(data, screen["data_schema"]):
        match = _REQUIRED.match(problem.message)
        pointer = f"{problem.pointer}/{match.group(1)}" if match else problem.pointer
        if pointer not in failed:
            message = _("This is required.") if match else _plain_message(screen, pointer, problem.message)
            problems.append(SchemaProblem(pointer, message))
    return data, sorted(set(problems), key=lambda p: (p.pointer, p.message))
