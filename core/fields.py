"""Field definitions (docs/formats.md) turned into the JSON Schema that checks their values."""
from __future__ import annotations

PHONE_PATTERN = r"^1[3-9][0-9]{9}$"

# One builder per field type: a dispatch table, so a new type is one entry.
_VALUE_SCHEMAS = {
    "text": lambda f: {"type": "string", "maxLength": f.get("max_length", 200)},
    "number": lambda f: {
        "type": "integer",
        **({"minimum": f["min"]} if "min" in f else {}),
        **({"maximum": f["max"]} if "max" in f else {}),
    },
    "date": lambda f: {"type": "string", "format": "date",
                       "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
    "choice": lambda f: {"enum": [option["value"] for option in f["options"]]},
    "multi_choice": lambda f: {
        "type": "array",
        "uniqueItems": True,
        "items": {"enum": [option["value"] for option in f["options"]]},
    },
    "phone": lambda f: {"type": "string", "pattern": PHONE_PATTERN},
    "boolean": lambda f: {"type": "boolean"},
}

FIELD_TYPES = tuple(_VALUE_SCHEMAS)


def value_schema(field: dict) -> dict:
    schema = _VALUE_SCHEMAS[field["type"]](field)
    schema["title"] = field["label"]["zh-CN"]
    return schema


def fields_schema(fields: list[dict]) -> dict:
    """An object schema for values of ``fields``: known keys only, required ones required."""
    required = [f["key"] for f in fields if f.get("required")]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {f["key"]: value_schema(f) for f in fields},
        "required": required,
        "additionalProperties": False,
    }
