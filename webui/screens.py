"""Cashier screens: which screens a configuration has, and rendering them as HTML forms.

A screen (docs/formats.md, "Screen") is a data schema (what) plus a JSON Forms-style UI layout
(how): ``VerticalLayout``, ``HorizontalLayout``, ``Group`` and ``Control`` elements, each with
an optional ``rule`` (``SHOW``/``HIDE``/``ENABLE``/``DISABLE`` when a condition schema holds for
the value at a scope). The merchant editor's preview and the cashier use the same code here.

The API is small on purpose:

``effective_screens(config)`` / ``effective_screen(config, screen_id)``
    The screens the cashier shows for a configuration (a ``MerchantConfig``, draft or
    published): the core member screen (``member_screen``) and every enabled plugin's screens,
    each with the merchant's arrangement applied, followed by any screen of the merchant's own.
    A screen in the configuration's ``screens`` list whose ``id`` is one of those screens is
    an *arrangement* of it: its ``ui`` (and ``title``) replace the shipped ones, while the data
    schema and action always stay the shipped ones; controls and rules whose scope no longer
    names a property are dropped, and every required property still gets a control.

``render_screen(screen, values=None, locale=None, *, errors=None, prefix="", evaluate_rules=True)``
    ``Markup`` with the screen's inputs (not the ``<form>`` tag, CSRF token or submit button:
    the caller owns those). Input names are the dotted path of the scope
    (``payment.method``, ``extra.skin_type``), after ``prefix``. Money (``x-unit: fen``) is
    shown and typed in yuan. ``errors`` maps JSON pointers (``/payment/method``) to messages
    (a list of ``SchemaProblem`` or ``{"pointer", "message"}`` works too). Rules are evaluated
    on ``values`` on the server (hidden elements carry the ``hidden`` attribute) and written
    into ``data-hk-rule`` attributes; include ``screens/runtime.html`` once in the page
    (``{% include "screens/runtime.html" %}``) to re-evaluate them as the user types.

``parse_submission(screen, formdata, *, prefix="")``
    ``(data, problems)``: the submitted form (a werkzeug ``MultiDict``) as JSON data of the
    data schema (yuan -> integer fen, whole numbers, booleans, lists), without values under
    elements hidden or disabled by a rule, checked with ``core.schemas.validate_against``.
    Problems are ``SchemaProblem``s whose pointers ``render_screen(errors=...)`` understands.

``parse_yuan(text) -> int`` / ``format_yuan(fen) -> str`` / ``format_zhe(permille) -> str``
    Exact money and discount text: ``parse_yuan("88.5") == 8850`` (decimal strings, never
    floats; more than two decimals is refused with ``MoneyError``), ``format_yuan(8850) ==
    "88.50"``, ``format_zhe(880) == "8.8折"``.

Helpers for walking screens: ``walk(element)`` (every layout element, depth first),
``scope_path("#/properties/a/properties/b") == ["a", "b"]``, ``resolve_scope(data_schema,
scope)`` (the property schema or None), ``leaf_scopes(data_schema)`` ((scope, schema, required)
of every input), ``MEMBER_SCREEN_ID`` (``"member"``).

Rule semantics (the same on the server and in the browser): the condition's schema is
checked against the value at its scope, after the data schema's defaults are filled in; a
missing value never satisfies a condition.
"""
from __future__ import annotations

import copy
import json
import re
import unicodedata
from typing import Any, Iterator

from flask import render_template
from flask_babel import gettext as _
from jsonschema import Draft202012Validator
from markupsafe import Markup

from core.fields import PHONE_PATTERN
from core.schemas import SchemaProblem, validate_against

from .i18n import current_locale, label

__all__ = [
    "MEMBER_SCREEN_ID",
    "MoneyError",
    "base_screens",
    "effective_screen",
    "effective_screens",
    "format_yuan",
    "format_zhe",
    "leaf_scopes",
    "member_screen",
    "parse_submission",
    "parse_yuan",
    "render_screen",
    "resolve_scope",
    "scope_path",
    "walk",
]

MEMBER_SCREEN_ID = "member"

# -- money and discounts --------------------------------------------------------------------


class MoneyError(ValueError):
    """An amount typed in yuan that is not exactly a number of fen."""


_AMOUNT = re.compile(r"^(\d*)(?:\.(\d*))?\Z")
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d*)?\Z")
MAX_YUAN_DIGITS = 10  # 9,999,999,999.99 yuan is more than any membership card holds


def parse_yuan(text: str) -> int:
    """Integer fen from an amount typed in yuan, exactly: "88.5" -> 8850, "1,000" -> 100000.

    Decimal strings only, never floats. Accepts full-width digits, a leading ¥ and a trailing
    元; refuses negative amounts, more than two decimals and anything else with ``MoneyError``.
    """
    cleaned = unicodedata.normalize("NFKC", str(text)).strip().replace(" ", "")
    cleaned = cleaned.removeprefix("¥").removesuffix("元").strip()
    if _THOUSANDS.match(cleaned):
        cleaned = cleaned.replace(",", "")
    match = _AMOUNT.match(cleaned)
    if not cleaned or not match or not (match.group(1) or match.group(2)):
        raise MoneyError(_("Enter an amount in yuan, such as 88 or 88.50."))
    whole, fraction = match.group(1) or "0", match.group(2) or ""
    if len(fraction) > 2:
        raise MoneyError(_("At most two decimals: the smallest unit is one fen (0.01 yuan)."))
    if len(whole.lstrip("0")) > MAX_YUAN_DIGITS:
        raise MoneyError(_("This amount is too large."))
    return int(whole) * 100 + int(fraction.ljust(2, "0"))


def format_yuan(fen: int | None) -> str:
    """Fen as yuan text: 8850 -> "88.50", 10000 -> "100" (no thousands separators)."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole}" if cents == 0 else f"{sign}{whole}.{cents:02d}"


def format_zhe(permille: int | None) -> str:
    """A discount rate as Chinese 折: 880 -> "8.8折", 905 -> "9.05折", 1000 -> no discount."""
    if permille is None or permille >= 1000:
        return _("no discount")
    whole, rest = divmod(int(permille), 100)
    text = str(whole) if rest == 0 else f"{whole}.{f'{rest:02d}'.rstrip('0')}"
    return f"{text}折"


# -- which screens a configuration has ------------------------------------------------------

def _t(zh: str, en: str) -> dict:
    return {"zh-CN": zh, "en": en}


_FIXED_MEMBER_PROPERTIES: dict[str, dict] = {
    "name": {"type": "string", "minLength": 1, "maxLength": 60, "x-label": _t("姓名", "Name")},
    "phone": {"type": "string", "pattern": PHONE_PATTERN, "x-label": _t("手机号", "Mobile")},
    "gender": {"type": "string", "enum": ["female", "male", "unspecified"], "default": "unspecified",
               "x-label": _t("性别", "Gender"),
               "x-enum-labels": {"female": _t("女", "Female"), "male": _t("男", "Male"),
                                 "unspecified": _t("不填", "Not given")}},
    "birthday": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                 "x-label": _t("生日", "Birthday"),
                 "x-help": _t("年-月-日，农历生日按农历填写（R1）。",
                              "Year-month-day; a lunar birthday is entered as the lunar date (R1).")},
    "birthday_calendar": {"type": "string", "enum": ["solar", "lunar"], "default": "solar",
                          "x-label": _t("生日历法", "Calendar"),
                          "x-enum-labels": {"solar": _t("公历", "Solar"), "lunar": _t("农历", "Lunar")}},
    "birthday_leap_month": {"type": "boolean", "x-label": _t("闰月", "Leap month")},
    "address": {"type": "string", "maxLength": 200, "x-label": _t("地址", "Address")},
    "occupation": {"type": "string", "maxLength": 60, "x-label": _t("职业", "Occupation")},
    "income_band": {"type": "string", "maxLength": 20, "x-label": _t("收入水平", "Income band")},
}


def _field_value_schema(field: dict) -> dict:
    """A member field definition as a screen data-schema property (single type, labels)."""
    kind = field["type"]
    if kind == "text":
        schema = {"type": "string", "maxLength": field.get("max_length", 200)}
    elif kind == "number":
        schema = {"type": "integer"}
        schema.update({"minimum": field["min"]} if "min" in field else {})
        schema.update({"maximum": field["max"]} if "max" in field else {})
    elif kind == "date":
        schema = {"type": "string", "format": "date"}
    elif kind == "phone":
        schema = {"type": "string", "pattern": PHONE_PATTERN}
    elif kind == "boolean":
        schema = {"type": "boolean"}
    else:  # choice, multi_choice
        choice = {"type": "string", "enum": [o["value"] for o in field["options"]],
                  "x-enum-labels": {o["value"]: o["label"] for o in field["options"]}}
        schema = choice if kind == "choice" else {"type": "array", "uniqueItems": True, "items": choice}
    schema["x-label"] = field["label"]
    if field.get("help"):
        schema["x-help"] = field["help"]
    return schema


def member_screen(config) -> dict:
    """The core member screen of ``config``: fixed member properties plus its member fields.

    Member fields (the merchant's, then each enabled plugin's) sit under ``extra``; the action
    registers a member (``createMember``). Its default layout groups the basics, the contact
    details and the member fields.
    """
    properties = copy.deepcopy(_FIXED_MEMBER_PROPERTIES)
    fields = config.member_fields
    elements: list[dict] = [
        {"type": "Group", "label": _t("基本资料", "Basics"), "elements": [
            {"type": "HorizontalLayout", "elements": [_control("name"), _control("phone")]},
            {"type": "HorizontalLayout", "elements": [_control("gender"), _control("birthday"),
                                                      _control("birthday_calendar", radio=True)]},
            {**_control("birthday_leap_month"), "rule": {
                "effect": "SHOW", "condition": {"scope": "#/properties/birthday_calendar",
                                                "schema": {"const": "lunar"}}}},
        ]},
        {"type": "Group", "label": _t("联系与背景", "Contact and background"), "elements": [
            _control("address"),
            {"type": "HorizontalLayout", "elements": [_control("occupation"), _control("income_band")]},
        ]},
    ]
    if fields:
        properties["extra"] = {
            "type": "object", "additionalProperties": False,
            "x-label": _t("会员资料", "Member details"),
            "properties": {f["key"]: _field_value_schema(f) for f in fields},
        }
        required = [f["key"] for f in fields if f.get("required")]
        if required:
            properties["extra"]["required"] = required
        elements.append({"type": "Group", "label": _t("会员资料", "Member details"), "elements": [
            {"type": "Control", "scope": f"#/properties/extra/properties/{f['key']}"} for f in fields]})
    return {
        "id": MEMBER_SCREEN_ID,
        "title": _t("会员资料", "Member profile"),
        "description": _t("登记新会员：基本资料加上商户和已启用插件的会员字段。",
                          "Register a member: the basics plus the merchant's and enabled plugins' member fields."),
        "data_schema": {"type": "object", "additionalProperties": False, "properties": properties,
                        "required": ["name", "phone"]},
        "ui": {"type": "VerticalLayout", "elements": elements},
        "action": {"operation_id": "createMember", "method": "POST", "path": "/api/v1/members"},
    }


def _control(key: str, radio: bool = False) -> dict:
    control = {"type": "Control", "scope": f"#/properties/{key}"}
    if radio:
        control["options"] = {"format": "radio"}
    return control


def base_screens(config) -> list[dict]:
    """The member screen, then the screens of every enabled plugin, as shipped (copies)."""
    screens = [member_screen(config)]
    for plugin_id in config.enabled_plugins:
        screens += [dict(copy.deepcopy(s), plugin=plugin_id)
                    for s in config.registry.plugins[plugin_id].screens]
    return screens


def effective_screens(config) -> list[dict]:
    """The screens the cashier shows: shipped screens with the merchant's arrangement applied.

    Plugin screens carry an extra ``plugin`` key (the plugin id), the member screen does not.
    """
    custom = {s["id"]: s for s in config.document.get("screens", [])}
    result = []
    for base in base_screens(config):
        arranged = custom.pop(base["id"], None)
        result.append(apply_arrangement(base, arranged) if arranged else base)
    shipped_elsewhere = {s["id"] for info in config.registry.plugins.values() for s in info.screens}
    result += [copy.deepcopy(s) for sid, s in custom.items() if sid not in shipped_elsewhere]
    return result


def effective_screen(config, screen_id: str) -> dict | None:
    return next((s for s in effective_screens(config) if s["id"] == screen_id), None)


def apply_arrangement(base: dict, arranged: dict) -> dict:
    """``base`` with the ``ui`` and ``title`` of the merchant's ``arranged`` copy of it."""
    screen = copy.deepcopy(base)
    ui = prune_layout(arranged.get("ui"), base["data_schema"])
    if ui is None:
        return screen
    screen["ui"] = ensure_required_controls(ui, base["data_schema"])
    if arranged.get("title"):
        screen["title"] = copy.deepcopy(arranged["title"])
    return screen


# -- scopes and layouts ---------------------------------------------------------------------

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


# -- rules --------------------------------------------------------------------------------------

_MISSING = object()


def value_at(data: Any, scope: str) -> Any:
    for part in scope_path(scope):
        if not isinstance(data, dict) or part not in data:
            return _MISSING
        data = data[part]
    return data


def condition_holds(condition: dict, data: dict) -> bool:
    value = value_at(data, condition.get("scope", ""))
    if value is _MISSING or value is None:
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


def _active_scopes(element: dict, data: dict, active: bool = True) -> Iterator[tuple[str, bool]]:
    """(scope, shown and enabled) of every control, taking the rules of its ancestors into account."""
    visible, enabled = rule_state(element, data)
    active = active and visible and enabled
    if element.get("type") == "Control":
        yield element["scope"], active
    for child in element.get("elements", []) or []:
        yield from _active_scopes(child, data, active)


# -- rendering --------------------------------------------------------------------------------

_UNIT_SUFFIX = {
    "fen": ("元", "yuan"), "permille": ("‰", "‰"), "point": ("分", "points"),
    "session": ("次", "sessions"), "minute": ("分钟", "minutes"), "day": ("天", "days"),
    "voucher": ("张", "vouchers"),
}


def control_kind(prop: dict, options: dict) -> str:
    """Which input a property gets (a dispatch key for screens/form.html)."""
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


def _name(path: list[str], prefix: str) -> str:
    return prefix + ".".join(path)


def _dom_id(name: str) -> str:
    return "hk-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


def _display_value(kind: str, value: Any) -> Any:
    if value is _MISSING or value is None:
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
                       "name": _name(scope_path(rule["condition"]["scope"]), prefix),
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
    name = _name(path, prefix)
    unit = _UNIT_SUFFIX.get(prop.get("x-unit"))
    enum_labels = (prop.get("items", prop) if kind == "multi_enum" else prop).get("x-enum-labels", {})
    enum_values = (prop.get("items", prop) if kind == "multi_enum" else prop).get("enum", [])
    value = value_at(values, scope)
    node.update({
        "kind": kind, "name": name, "id": _dom_id(name), "scope": scope,
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


def with_defaults(data_schema: dict, values: dict) -> dict:
    """A copy of ``values`` where every leaf property with a ``default`` that is missing takes it."""
    result = copy.deepcopy(values)
    for scope, prop, _required in leaf_scopes(data_schema):
        if "default" in prop and value_at(result, scope) is _MISSING:
            path = scope_path(scope)
            parent = result
            for part in path[:-1]:
                parent = parent.setdefault(part, {})
                if not isinstance(parent, dict):
                    break
            else:
                parent[path[-1]] = copy.deepcopy(prop["default"])
    return result


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


# -- submissions ------------------------------------------------------------------------------

_INTEGER = re.compile(r"^[+-]?\d{1,15}\Z")
_REQUIRED = re.compile(r"^'([^']+)' is a required property\Z")


def _set(data: dict, path: list[str], value: Any) -> None:
    for part in path[:-1]:
        data = data.setdefault(part, {})
    data[path[-1]] = value


def _parse_value(kind: str, prop: dict, formdata, name: str) -> tuple[Any, str | None]:
    """(value or _MISSING, error message or None) of one control."""
    if kind == "boolean":
        return formdata.get(name) in ("true", "on", "1", "y"), None
    if kind == "multi_enum":
        chosen = [v for v in formdata.getlist(name) if v != ""]
        items = prop.get("items", {})
        if items.get("type") == "integer":
            chosen = [int(v) if _INTEGER.match(v) else v for v in chosen]
        return (chosen if chosen else _MISSING), None
    raw = formdata.get(name)
    if raw is None or raw.strip() == "":
        return _MISSING, None
    raw = raw.strip()
    if kind == "money":
        try:
            return parse_yuan(raw), None
        except MoneyError as error:
            return _MISSING, str(error)
    if kind == "integer" or (kind in ("select", "radio") and prop.get("type") == "integer"):
        normalised = unicodedata.normalize("NFKC", raw)
        if not _INTEGER.match(normalised):
            return _MISSING, _("Enter a whole number.")
        return int(normalised), None
    if kind == "json":
        try:
            return json.loads(raw), None
        except json.JSONDecodeError:
            return _MISSING, _("This is not valid JSON.")
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
                                    _name(path, prefix))
        if error:
            problems.append(SchemaProblem("/" + "/".join(path), error))
        elif value is not _MISSING:
            _set(data, path, value)
    for scope, active in _active_scopes(screen["ui"], with_defaults(screen["data_schema"], data)):
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
