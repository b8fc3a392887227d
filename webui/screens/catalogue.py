"""Which screens a configuration has: the core member screen, the enabled plugins' screens
with the merchant's arrangement applied, and the merchant's own screens.
"""
from __future__ import annotations

import copy

from core.fields import PHONE_PATTERN

from .layout import ensure_required_controls, prune_layout

__all__ = [
    "MEMBER_SCREEN_ID",
    "apply_arrangement",
    "base_screens",
    "effective_screen",
    "effective_screens",
    "member_screen",
]

MEMBER_SCREEN_ID = "member"


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
