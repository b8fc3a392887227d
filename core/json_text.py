"""The text of JSON columns, written by orjson.

SQLAlchemy writes a JSON column's value with ``json.dumps``; a checkout stores four such
documents (its memo, lines, the recorded answer …), which cost about as much CPU as the
statements that store them (issue 11, item 2). orjson writes the same values a tenth as
dear: compact, and UTF-8 text instead of ``\\uXXXX`` escapes, which reads back the same.

What ``json.dumps`` refuses or writes otherwise is left to it, so an odd value is stored as
before or refused as before: dates and datetimes, dataclasses, keys that are not strings,
integers past 64 bits, lone surrogates. NaN and infinities, which JSON has no words for, are
stored as null; a UUID or an Enum as its text or value, where ``json.dumps`` refused them.
"""
from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _refuse(value: Any):
    raise TypeError  # passed through on purpose: json.dumps decides (core.json_text)


def dumps(value: Any) -> str:
    """``value`` as JSON text for a column (the engine's ``json_serializer``)."""
    try:
        return orjson.dumps(value, default=_refuse, option=_OPTIONS).decode("utf-8")
    except orjson.JSONEncodeError:
        return json.dumps(value)
