"""Layout rules (``SHOW``/``HIDE``/``ENABLE``/``DISABLE``) evaluated on the server.

The semantics are the same here and in the browser (screens/runtime.html): the condition's
schema is checked against the value at its scope, after the data schema's defaults are filled
in; a missing value never satisfies a condition.
"""
from __future__ import annotations

import copy
from typing import Any, Iterator

from jsonschema import Draft202012Validator

from .layout import leaf_scopes, scope_path

__all__ = ["MISSING", "active_scopes", "condition_holds", "rule_state", "value_at", "with_defaults"]

MISSING = object()  # no value at a scope (None is a value)


def value_at(data: Any, scope: str) -> Any:
    """The value at ``scope`` inside ``data``, or ``MISSING``."""
    for part in scope_path(scope):
        if not isinstance(data, dict) or part not in data:
            return MISSING
        data = data[part]
    return data


def condition_holds(condition: dict, data: dict) -> bool:
    value = value_at(data, condition.get("scope", ""))
    if value is MISSING or value is None:
        return False
    return Draft202012Validator(condition.get("schema", {})).is_valid(value)


def rule_state(element: dict, data: dict) -> tuple[bool, bool]:
    """(visible, enabled) of one element by its own rule."""
    rule = element.get("rule")
    if not rule:
        return True, True
    holds = condition_holds(rule["condition"], data)
    effect = rule["effect"]
    return ({"SHOW": holds, "HIDE": not holds}.get(effect, True),
            {"ENABLE": holds, "DISABLE": not holds}.get(effect, True))


def active_scopes(element: dict, data: dict, active: bool = True) -> Iterator[tuple[str, bool]]:
    """(scope, shown and enabled) of every control, taking the rules of its ancestors into account."""
    visible, enabled = rule_state(element, data)
    active = active and visible and enabled
    if element.get("type") == "Control":
        yield element["scope"], active
    for child in element.get("elements", []) or []:
        yield from active_scopes(child, data, active)


def with_defaults(data_schema: dict, values: dict) -> dict:
    """A copy of ``values`` where every leaf property with a ``default`` that is missing takes it."""
    result = copy.deepcopy(values)
    for scope, prop, _required in leaf_scopes(data_schema):
        if "default" in prop and value_at(result, scope) is MISSING:
            path = scope_path(scope)
            parent = result
            for part in path[:-1]:
                parent = parent.setdefault(part, {})
                if not isinstance(parent, dict):
                    break
            else:
                parent[path[-1]] = copy.deepcopy(prop["default"])
    return result
