"""JSON Schemas of API bodies, shared by the OpenAPI document and the response checks."""
from __future__ import annotations

from core.fields import PHONE_PATTERN

I18N = {"type": "object", "required": ["zh-CN", "en"],
        "properties": {"zh-CN": {"type": "string"}, "en": {"type": "string"}}}
NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_INT = {"type": ["integer", "null"]}
DATE_TIME = {"type": "string", "format": "date-time"}

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["code", "message", "details"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {}},
    }},
}

MEMBER_FIXED = {
    "name": {"type": "string", "minLength": 1, "maxLength": 60},
    "phone": {"type": "string", "pattern": PHONE_PATTERN},
    "gender": {"enum": ["male", "female", "unspecified"]},
    "birthday": {"type": ["string", "null"], "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                 "description": "YYYY-MM-DD in the calendar named by birthday_calendar"},
    "birthday_calendar": {"enum": ["solar", "lunar"]},
    "birthday_leap_month": {"type": "boolean"},
    "address": {"type": "string", "maxLength": 200},
    "occupation": {"type": "string", "maxLength": 60},
    "income_band": {"type": "string", "maxLength": 20},
    "channel": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,19}$"},
    "extra": {"type": "object",
              "description": "values of the merchant's and enabled plugins' member fields"},
}
MEMBER_INPUT = {"type": "object", "required": ["name", "phone"], "properties": MEMBER_FIXED,
                "additionalProperties": False}
MEMBER_PATCH = {"type": "object", "properties": MEMBER_FIXED, "additionalProperties": False,
                "minProperties": 1}

CARD_SUMMARY = {
    "type": "object",
    "required": ["number", "kind", "status", "tier", "member_id"],
    "properties": {
        "number": {"type": "string"},
        "kind": {"type": "string"},
        "status": {"enum": ["issued", "active", "lost", "frozen", "replaced", "expired"]},
        "tier": NULLABLE_STRING,
        "member_id": NULLABLE_INT,
        "expires_on": NULLABLE_STRING,
        "issued_at": DATE_TIME,
        "activated_at": {"type": ["string", "null"]},
        "has_pin": {"type": "boolean"},
        "pin_blocked": {"type": "boolean", "description": "too many wrong PINs in total: a manager "
                                                          "resets or unblocks it (C6)"},
        "pin_locked_until": {**NULLABLE_STRING, "description": "stored-value payment locked until (C6)"},
        "balances": {"type": "object", "additionalProperties": {"type": "integer"}},
    },
}
MEMBER = {
    "type": "object",
    "required": ["id", "name", "phone", "extra", "cards", "created_at"],
    "properties": {"id": {"type": "integer"}, **MEMBER_FIXED, "cards": {"type": "array", "items": CARD_SUMMARY},
                   "created_at": DATE_TIME, "updated_at": DATE_TIME,
                   "summary": {"type": "object"}},
}


def page_of(item_schema: dict) -> dict:
    return {
        "type": "object",
        "required": ["items", "total", "page", "per_page"],
        "properties": {"items": {"type": "array", "items": item_schema},
                       "total": {"type": "integer"}, "page": {"type": "integer"},
                       "per_page": {"type": "integer"}},
    }


CARD_INPUT = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "number": {"type": "string", "pattern": "^[0-9A-Za-z]{4,32}$",
                   "description": "omit to get a random 16-digit number with a Luhn check digit"},
        "kind": {"type": "string"},
        "tier": {"type": "string", "description": "tier key; default: the lowest-ranked tier"},
        "member_id": {"type": "integer", "description": "bind at once to this member"},
        "pin": {"type": "string", "pattern": "^[0-9]{6}$"},
        "expires_on": {"type": "string", "format": "date"},
        "batch": {"type": "string", "maxLength": 40},
    },
}
BIND_INPUT = {"type": "object", "required": ["member_id"], "additionalProperties": False,
              "properties": {"member_id": {"type": "integer"}}}

TIER = {
    "type": "object",
    "required": ["key", "name", "rank", "discount_permille", "active"],
    "properties": {"key": {"type": "string"}, "name": I18N, "rank": {"type": "integer"},
                   "discount_permille": {"type": "integer", "minimum": 1, "maximum": 1000},
                   "upgrade": {"type": "array"}, "active": {"type": "boolean"}},
}
TIER_LIST = {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": TIER}}}

CONFIG_DOCUMENT = {"$ref": "urn:huika:core:merchant-config:v1"}
DRAFT = {
    "type": "object",
    "required": ["document", "based_on_version"],
    "properties": {"document": {"type": "object"}, "based_on_version": NULLABLE_INT,
                   "updated_at": DATE_TIME},
}
VERSION_SUMMARY = {
    "type": "object",
    "required": ["version", "published_at", "note"],
    "properties": {"version": {"type": "integer"}, "published_at": DATE_TIME,
                   "note": {"type": "string"}, "rolled_back_from": NULLABLE_INT,
                   "published_by": NULLABLE_INT},
}
VERSION = {**VERSION_SUMMARY, "required": [*VERSION_SUMMARY["required"], "document"],
           "properties": {**VERSION_SUMMARY["properties"], "document": {"type": "object"}}}
VERSION_LIST = {"type": "object", "required": ["items"],
                "properties": {"items": {"type": "array", "items": VERSION_SUMMARY}}}
PUBLISH_INPUT = {"type": "object", "additionalProperties": False,
                 "properties": {"note": {"type": "string", "maxLength": 200}}}
PUBLISHED = {
    "type": "object",
    "required": ["version", "document", "enabled_plugins", "member_fields", "member_extra_schema"],
    "properties": {"version": NULLABLE_INT, "document": {"type": "object"},
                   "enabled_plugins": {"type": "array", "items": {"type": "string"}},
                   "settings": {"type": "object"},
                   "member_fields": {"type": "array"}, "member_extra_schema": {"type": "object"}},
}

PLUGIN = {
    "type": "object",
    "required": ["id", "version", "title", "valid", "enabled"],
    "properties": {"id": {"type": "string"}, "version": {"type": "string"}, "title": I18N,
                   "valid": {"type": "boolean"}, "enabled": {"type": "boolean"},
                   "dependencies": {"type": "array"}, "assets": {"type": "array"},
                   "problems": {"type": "array", "items": {"type": "string"}},
                   "settings_schema": {"type": "object"}},
}
PLUGIN_LIST = {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": PLUGIN}}}

ME = {
    "type": "object",
    "required": ["staff_id", "username", "role", "merchant"],
    "properties": {"staff_id": {"type": "integer"}, "username": {"type": "string"},
                   "role": {"enum": ["owner", "manager", "cashier"]}, "store_id": NULLABLE_INT,
                   "merchant": {"type": "object", "required": ["id", "name"],
                                "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                                               "code": {**NULLABLE_STRING,
                                                        "description": "the 6-digit sign-in code"}}}},
}
