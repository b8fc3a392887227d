"""Screen arrangements as the editor's rows (L1): a screen document's layout read into one row
per control plus groups, and the rows the merchant submitted turned back into a JSON Forms-style
layout with its show/hide conditions. The pages that show and save them are in ``layouts``.
"""
from __future__ import annotations

import json

from flask import abort
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from ..i18n import label
from ..screens import (
    MoneyError,
    control_kind,
    format_yuan,
    leaf_scopes,
    parse_yuan,
    resolve_scope,
    scope_path,
)

OPERATORS = ("eq", "ne", "in", "filled", "gte", "lte", "contains")
EFFECTS = ("SHOW", "HIDE", "ENABLE", "DISABLE")
BLANK_GROUPS = 2
MAX_GROUPS = 50  # groups on one screen; the form says how many it sends


def operator_labels() -> dict[str, str]:
    return {"eq": _("equals"), "ne": _("does not equal"), "in": _("is one of (comma separated)"),
            "filled": _("is filled in"), "gte": _("is at least"), "lte": _("is at most"),
            "contains": _("includes")}


def effect_labels() -> dict[str, str]:
    return {"": _("always shown"), "SHOW": _("show only when"), "HIDE": _("hide when"),
            "ENABLE": _("editable only when"), "DISABLE": _("read-only when")}


def format_labels() -> dict[str, str]:
    return {"": _("standard"), "textarea": _("several lines"), "password": _("masked (PIN)"),
            "scan": _("scanner / card reader"), "radio": _("buttons (radio)")}


def formats_for(kind: str) -> list[str]:
    if kind in ("select", "radio"):
        return ["", "radio"]
    if kind in ("text", "textarea", "password", "scan"):
        return ["", "textarea", "password", "scan"]
    return [""]


# -- screen document <-> arrangement rows ---------------------------------------------------------

def condition_fields(condition: dict | None, prop: dict | None) -> dict:
    """The (op, value, custom) the form shows for a rule condition schema."""
    if not condition:
        return {"op": "eq", "value": "", "custom": ""}
    schema = condition.get("schema", {})
    money = (prop or {}).get("x-unit") == "fen"

    choices = (prop or {}).get("items", prop or {})
    labels = choices.get("x-enum-labels", {})

    def show(value):
        if isinstance(value, bool):
            return _("yes") if value else _("no")  # read back by _coerce in either language
        if money and isinstance(value, int):
            return format_yuan(value)
        if str(value) in labels:  # the merchant sees the option's label; _coerce reads it back
            return label(labels[str(value)])
        return str(value)

    keys = set(schema)
    if keys == {"const"}:
        return {"op": "eq", "value": show(schema["const"]), "custom": ""}
    if keys == {"not"} and set(schema["not"]) == {"const"}:
        return {"op": "ne", "value": show(schema["not"]["const"]), "custom": ""}
    if keys == {"enum"}:
        return {"op": "in", "value": ", ".join(show(v) for v in schema["enum"]), "custom": ""}
    if schema in ({"minLength": 1}, {"minItems": 1}, {"not": {"const": ""}}):
        return {"op": "filled", "value": "", "custom": ""}
    if keys == {"minimum"}:
        return {"op": "gte", "value": show(schema["minimum"]), "custom": ""}
    if keys == {"maximum"}:
        return {"op": "lte", "value": show(schema["maximum"]), "custom": ""}
    if keys == {"contains"} and set(schema["contains"]) == {"const"}:
        return {"op": "contains", "value": show(schema["contains"]["const"]), "custom": ""}
    return {"op": "custom", "value": "", "custom": json.dumps(schema, ensure_ascii=False)}


def rows_from_screen(screen: dict) -> tuple[list[dict], list[dict], dict]:
    """(control rows, groups, title) of a screen's layout, hidden properties at the end."""
    data_schema = screen["data_schema"]
    groups: list[dict] = []
    rows: list[dict] = []

    def visit(element: dict, group: int | None, inherited: dict | None, same_row: bool) -> None:
        rule = element.get("rule") or inherited
        kind = element.get("type")
        if kind == "Control":
            prop = resolve_scope(data_schema, element["scope"]) or {}
            condition = (rule or {}).get("condition")
            rows.append({"scope": element["scope"], "show": True,
                         "label_zh": (element.get("label") or prop.get("x-label") or {}).get("zh-CN", ""),
                         "label_en": (element.get("label") or prop.get("x-label") or {}).get("en", ""),
                         "group": "" if group is None else str(group), "same_row": same_row,
                         "format": (element.get("options") or {}).get("format", ""),
                         "options": {k: v for k, v in (element.get("options") or {}).items() if k != "format"},
                         "effect": (rule or {}).get("effect", ""),
                         "when": condition.get("scope", "") if condition else "",
                         **condition_fields(condition, resolve_scope(data_schema, condition["scope"])
                                            if condition else None)})
            return
        if kind == "Group":
            groups.append({"zh": element["label"]["zh-CN"], "en": element["label"]["en"]})
            group = len(groups) - 1
        for index, child in enumerate(element.get("elements", [])):
            visit(child, group, rule if kind != "Control" else None,
                  kind == "HorizontalLayout" and index > 0)

    visit(screen["ui"], None, None, False)
    shown = {row["scope"] for row in rows}
    for scope, prop, _required in leaf_scopes(data_schema):
        if scope not in shown:
            rows.append({"scope": scope, "show": False, "label_zh": (prop.get("x-label") or {}).get("zh-CN", ""),
                         "label_en": (prop.get("x-label") or {}).get("en", ""), "group": "", "same_row": False,
                         "format": "", "options": {}, "effect": "", "when": "", "op": "eq", "value": "",
                         "custom": ""})
    return rows, groups, {"zh": screen["title"]["zh-CN"], "en": screen["title"]["en"]}


def rows_from_form(form: MultiDict) -> tuple[list[dict], list[dict], dict]:
    """The rows, groups and title as submitted (raw text kept, in the submitted order)."""
    rows = []
    for index in form.getlist("row"):
        get = lambda name, i=index: (form.get(f"{name}-{i}") or "").strip()  # noqa: E731
        try:
            options = json.loads(form.get(f"options-{index}") or "{}")
        except json.JSONDecodeError:
            options = {}
        rows.append({"id": index, "scope": get("scope"), "show": bool(form.get(f"show-{index}")), "label_zh": get("label_zh"),
                     "label_en": get("label_en"), "group": get("group"), "same_row": bool(form.get(f"same_row-{index}")),
                     "format": get("format"), "options": options if isinstance(options, dict) else {},
                     "effect": get("effect"), "when": get("when"), "op": get("op") or "eq", "value": get("value"),
                     "custom": get("custom")})
    groups = []
    for index in range(_group_count(form.get("group_count"))):
        groups.append({"zh": (form.get(f"group_zh-{index}") or "").strip(),
                       "en": (form.get(f"group_en-{index}") or "").strip()})
    return rows, groups, {"zh": (form.get("title_zh") or "").strip(), "en": (form.get("title_en") or "").strip()}


def _group_count(raw: str | None) -> int:
    """The form's hidden group count: a small whole number (a huge one would loop for ever)."""
    if not raw:
        return 0
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_GROUPS:
        abort(400, description=f"group_count is a whole number from 0 to {MAX_GROUPS}")
    return int(raw)


def _coerce(prop: dict, text: str, *, item: bool = False):
    """A condition value typed in the form, as the property's JSON type (or raises ValueError)."""
    schema = prop.get("items", {}) if item else prop
    kind = schema.get("type")
    if kind == "boolean":
        lowered = text.lower()
        if lowered in ("true", "yes", "是", "1", "checked"):
            return True
        if lowered in ("false", "no", "否", "0"):
            return False
        raise ValueError(_("Use true or false."))
    if kind == "integer":
        if schema.get("x-unit") == "fen":
            try:
                return parse_yuan(text)
            except MoneyError as error:
                raise ValueError(str(error)) from None
        try:
            return int(text)
        except ValueError:
            raise ValueError(_("Enter a whole number.")) from None
    if "enum" in schema:
        labels = schema.get("x-enum-labels", {})
        for value in schema["enum"]:
            names = {str(value), *(t for t in labels.get(str(value), {}).values())}
            if text in names:
                return value
        raise ValueError(_("Choose one of: %(values)s.", values=", ".join(
            label(labels.get(str(v))) or str(v) for v in schema["enum"])))
    return text


def _condition_schema(row: dict, prop: dict, errors: dict, index: str) -> dict | None:
    op, text = row["op"], row["value"]
    if op == "custom":
        try:
            schema = json.loads(row["custom"])
        except json.JSONDecodeError:
            schema = None
        if not isinstance(schema, dict) or not schema:
            errors[f"value-{index}"] = _("Choose a condition.")
            return None
        return schema
    if op == "filled":
        if prop.get("type") == "array":
            return {"minItems": 1}
        if prop.get("type") == "string":
            return {"minLength": 1}
        return {"not": {"const": ""}}
    if op not in OPERATORS:
        errors[f"value-{index}"] = _("Choose a condition.")
        return None
    if not text:
        errors[f"value-{index}"] = _("Enter the value to compare with.")
        return None
    try:
        if op == "in":
            values = [_coerce(prop, part.strip()) for part in text.replace("，", ",").split(",") if part.strip()]
            return {"enum": list(dict.fromkeys(values))}
        if op == "contains":
            if prop.get("type") != "array":
                raise ValueError(_("“includes” works with multiple-choice fields only."))
            return {"contains": {"const": _coerce(prop, text, item=True)}}
        if op in ("gte", "lte"):
            if prop.get("type") != "integer":
                raise ValueError(_("“at least” and “at most” work with numbers only."))
            return {"minimum" if op == "gte" else "maximum": _coerce(prop, text)}
        value = _coerce(prop, text)
        if isinstance(value, list):
            raise ValueError(_("Choose a condition."))
        return {"const": value} if op == "eq" else {"not": {"const": value}}
    except ValueError as error:
        errors[f"value-{index}"] = str(error)
        return None


def layout_from_rows(screen: dict, rows: list[dict], groups: list[dict]) -> tuple[dict | None, dict]:
    """The UI layout the rows describe, and errors keyed by input name (``value-3``, ``group_zh-1``)."""
    data_schema = screen["data_schema"]
    errors: dict[str, str] = {}
    required = {scope for scope, _p, req in leaf_scopes(data_schema) if req}
    root: list[dict] = []
    group_elements: dict[int, dict] = {}
    previous_container = None
    for position, row in enumerate(rows):
        index = str(position)
        prop = resolve_scope(data_schema, row["scope"])
        if prop is None:
            continue
        if not row["show"] and row["scope"] not in required:
            continue
        control: dict = {"type": "Control", "scope": row["scope"]}
        default_label = prop.get("x-label") or {}
        if (row["label_zh"] or row["label_en"]) and (row["label_zh"], row["label_en"]) != (
                default_label.get("zh-CN", ""), default_label.get("en", "")):
            if not (row["label_zh"] and row["label_en"]):
                errors[f"label_en-{index}" if row["label_zh"] else f"label_zh-{index}"] = \
                    _("Write the label in both languages, or leave both as they were.")
            else:
                control["label"] = {"zh-CN": row["label_zh"], "en": row["label_en"]}
        elif not default_label:
            control["label"] = {"zh-CN": scope_path(row["scope"])[-1], "en": scope_path(row["scope"])[-1]}
        options = dict(row.get("options") or {})
        if row["format"] and row["format"] in formats_for(control_kind(prop, {})):
            options["format"] = row["format"]
        if options:
            control["options"] = options
        if row["effect"]:
            when = resolve_scope(data_schema, row["when"]) if row["when"] else None
            if row["effect"] not in EFFECTS:
                errors[f"effect-{index}"] = _("Choose when the control shows.")
            elif when is None:
                errors[f"when-{index}"] = _("Choose the field the condition looks at.")
            elif row["when"] == row["scope"]:
                errors[f"when-{index}"] = _("A control cannot depend on itself.")
            else:
                schema = _condition_schema(row, when, errors, index)
                if schema is not None:
                    control["rule"] = {"effect": row["effect"], "condition": {"scope": row["when"], "schema": schema}}
        container = root
        if row["group"] != "":
            try:
                group_index = int(row["group"])
                group = groups[group_index]
            except (ValueError, IndexError):
                errors[f"group-{index}"] = _("Choose a group.")
                group_index, group = None, None
            if group is not None:
                if not (group["zh"] and group["en"]):
                    errors[f"group_zh-{group_index}"] = _("Give the group a name in both languages.")
                if group_index not in group_elements:
                    group_elements[group_index] = {"type": "Group", "label": {"zh-CN": group["zh"] or "—",
                                                                              "en": group["en"] or "—"},
                                                   "elements": []}
                    root.append(group_elements[group_index])
                container = group_elements[group_index]["elements"]
        if row["same_row"] and container is previous_container and container:
            last = container[-1]
            if last["type"] == "HorizontalLayout":
                last["elements"].append(control)
            else:
                container[-1] = {"type": "HorizontalLayout", "elements": [last, control]}
        else:
            container.append(control)
        previous_container = container
    if not root:
        errors["form"] = _("Show at least one control.")
        return None, errors
    return {"type": "VerticalLayout", "elements": root}, errors
