"""Rendering a screen as HTML inputs (``render_screen``), through templates/screens/form.html.

Input names are the dotted path of the scope after a prefix; money (``x-unit: fen``) is shown
in yuan; rules are evaluated on the server and written into ``data-hk-rule`` attributes for
screens/runtime.html to re-evaluate as the user types.
"""
from __future__ import annotations

import json
from typing import Any

from flask import render_template
from markupsafe import Markup

from ..i18n import current_locale, label
from .layout import control_kind, dom_id, input_name, leaf_scopes, resolve_scope, scope_path, walk
from .money import format_yuan
from .rules import MISSING, rule_state, value_at, with_defaults

__all__ = ["render_screen"]

_UNIT_SUFFIX = {
    "fen": ("元", "yuan"), "permille": ("‰", "‰"), "point": ("分", "points"),
    "session": ("次", "sessions"), "minute": ("分钟", "minutes"), "day": ("天", "days"),
    "voucher": ("张", "vouchers"),
}


def _display_value(kind: str, value: Any) -> Any:
    if value is MISSING or value is None:
        return [] if kind == "multi_enum" else ("" if kind != "boolean" else False)
    if kind == "money" and isinstance(value, int) and not isinstance(value, bool):
        return format_yuan(value)
    if kind == "json":
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if kind == "multi_enum":
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]
    if kind == "boolean":
        return value is True or value in ("true", "on", "1")
    return str(value)


def _normalise_errors(errors) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for pointer, messages in errors.items():
            result.setdefault(pointer, []).extend([messages] if isinstance(messages, str) else messages)
        return result
    for item in errors or []:
        pointer = item["pointer"] if isinstance(item, dict) else item.pointer
        message = item["message"] if isinstance(item, dict) else item.message
        result.setdefault(pointer, []).append(message)
    return result


def _rule_attribute(rule: dict | None, prefix: str) -> str | None:
    if not rule:
        return None
    return json.dumps({"effect": rule["effect"],
                       "name": input_name(scope_path(rule["condition"]["scope"]), prefix),
                       "schema": rule["condition"]["schema"]}, ensure_ascii=False)


def _node(element: dict, screen: dict, values: dict, errors: dict, locale: str, prefix: str,
          evaluate: bool, required: set[str]) -> dict:
    visible, enabled = rule_state(element, values) if evaluate else (True, True)
    node = {"type": element["type"], "hidden": not visible, "disabled": not enabled,
            "rule": _rule_attribute(element.get("rule"), prefix),
            "label": label(element.get("label"), locale) if element.get("label") else ""}
    if element["type"] != "Control":
        node["children"] = [_node(child, screen, values, errors, locale, prefix, evaluate, required)
                            for child in element.get("elements", [])]
        return node
    scope = element["scope"]
    path = scope_path(scope)
    prop = resolve_scope(screen["data_schema"], scope) or {}
    options = element.get("options", {})
    kind = control_kind(prop, options)
    name = input_name(path, prefix)
    unit = _UNIT_SUFFIX.get(prop.get("x-unit"))
    enum_labels = (prop.get("items", prop) if kind == "multi_enum" else prop).get("x-enum-labels", {})
    enum_values = (prop.get("items", prop) if kind == "multi_enum" else prop).get("enum", [])
    value = value_at(values, scope)
    node.update({
        "kind": kind, "name": name, "id": dom_id(name), "scope": scope,
        "label": node["label"] or label(prop.get("x-label"), locale) or prop.get("title") or path[-1],
        "help": label(prop.get("x-help"), locale),
        "value": _display_value(kind, value),
        "choices": [(str(v), label(enum_labels.get(str(v)), locale) or str(v)) for v in enum_values],
        "required": scope in required,
        "readonly": bool(options.get("readonly") or prop.get("readOnly")),
        "placeholder": label(options.get("placeholder"), locale) if options.get("placeholder") else "",
        "unit": (unit[0] if locale == "zh_CN" else unit[1]) if unit else "",
        "errors": errors.get("/" + "/".join(path), []),
        "attrs": {k: v for k, v in (("minlength", prop.get("minLength")),
                                    ("maxlength", prop.get("maxLength")),
                                    ("min", prop.get("minimum")), ("max", prop.get("maximum")))
                  if v is not None and kind not in ("money",)},
    })
    return node


def render_screen(screen: dict, values: dict | None = None, locale: str | None = None, *,
                  errors=None, prefix: str = "", evaluate_rules: bool = True) -> Markup:
    """The inputs of ``screen`` as HTML (see the module docstring). Needs an app context."""
    locale = locale or current_locale()
    values = with_defaults(screen["data_schema"], values or {})
    required = {scope for scope, _prop, req in leaf_scopes(screen["data_schema"]) if req}
    normalised = _normalise_errors(errors)
    root = _node(screen["ui"], screen, values, normalised, locale, prefix, evaluate_rules, required)
    shown = {"/" + "/".join(scope_path(e["scope"])) for e in walk(screen["ui"]) if e.get("type") == "Control"}
    other_errors = [m for pointer, messages in normalised.items() if pointer not in shown for m in messages]
    return Markup(render_template("screens/form.html", root=root, screen=screen, locale=locale,
                                  title=label(screen.get("title"), locale), other_errors=other_errors))
