"""Walking JSON Forms-style layouts: scopes, controls, and keeping a layout true to its schema.

A scope (``#/properties/a/properties/b``) names a property of the screen's data schema; a
``Control`` shows one, ``VerticalLayout``/``HorizontalLayout``/``Group`` hold ``elements``.
"""
from __future__ import annotations

import copy
import re
from typing import Any, Iterator

__all__ = [
    "control_kind",
    "dom_id",
    "ensure_required_controls",
    "input_name",
    "leaf_scopes",
    "prune_layout",
    "resolve_scope",
    "scope_of",
    "scope_path",
    "walk",
]


def scope_path(scope: str) -> list[str]:
    """``#/properties/a/properties/b`` -> ["a", "b"]."""
    return scope[2:].split("/")[1::2] if isinstance(scope, str) and scope.startswith("#/") else []


def scope_of(path: list[str]) -> str:
    return "#" + "".join(f"/properties/{part}" for part in path)


def resolve_scope(data_schema: dict, scope: str) -> dict | None:
    """The property schema a scope names, or None."""
    target = data_schema
    path = scope_path(scope)
    if not path:
        return None
    for part in path:
        properties = target.get("properties") if isinstance(target, dict) else None
        if not isinstance(properties, dict) or not isinstance(properties.get(part), dict):
            return None
        target = properties[part]
    return target


def leaf_scopes(data_schema: dict, path: tuple = ()) -> Iterator[tuple[str, dict, bool]]:
    """(scope, property schema, required in its parent) of every non-object property, in order."""
    required = set(data_schema.get("required", []))
    for key, prop in data_schema.get("properties", {}).items():
        if prop.get("type") == "object" and isinstance(prop.get("properties"), dict):
            yield from leaf_scopes(prop, (*path, key))
        else:
            yield scope_of([*path, key]), prop, key in required


def walk(element: Any) -> Iterator[dict]:
    """Every element of a layout, depth first, the root included."""
    if isinstance(element, dict):
        yield element
        for child in element.get("elements", []) or []:
            yield from walk(child)


def prune_layout(element: Any, data_schema: dict) -> dict | None:
    """A copy of ``element`` without controls or rules whose scope names no property."""
    if not isinstance(element, dict):
        return None
    element = copy.deepcopy(element)
    rule = element.get("rule")
    if rule and resolve_scope(data_schema, rule.get("condition", {}).get("scope")) is None:
        element.pop("rule")
    if element.get("type") == "Control":
        return element if resolve_scope(data_schema, element.get("scope")) is not None else None
    children = [c for c in (prune_layout(child, data_schema) for child in element.get("elements", []))
                if c is not None]
    if not children:
        return None
    element["elements"] = children
    return element


def ensure_required_controls(ui: dict, data_schema: dict) -> dict:
    """``ui`` with a control appended for every required property it does not show."""
    shown = {e.get("scope") for e in walk(ui) if e.get("type") == "Control"}
    missing = [scope for scope, _prop, required in leaf_scopes(data_schema)
               if required and scope not in shown]
    if not missing:
        return ui
    if ui.get("type") not in ("VerticalLayout", "Group"):
        ui = {"type": "VerticalLayout", "elements": [ui]}
    ui["elements"] = [*ui["elements"], *({"type": "Control", "scope": s} for s in missing)]
    return ui


def control_kind(prop: dict, options: dict) -> str:
    """Which input a property gets (a dispatch key for screens/form.html and for parsing)."""
    fmt = (options or {}).get("format")
    kind = prop.get("type")
    if kind == "boolean":
        return "boolean"
    if kind == "array":
        return "multi_enum" if "enum" in prop.get("items", {}) else "json"
    if "enum" in prop:
        return "radio" if fmt == "radio" else "select"
    if kind == "integer":
        return "money" if prop.get("x-unit") == "fen" else "integer"
    if kind == "string":
        if fmt in ("textarea", "password", "scan"):
            return fmt
        if prop.get("format") == "date":
            return "date"
        return "text"
    return "json"


def input_name(path: list[str], prefix: str) -> str:
    """The form input name of a property: its dotted path after ``prefix``."""
    return prefix + ".".join(path)


def dom_id(name: str) -> str:
    return "hk-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)
