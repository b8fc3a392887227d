"""What every part of the cosmetics plugin shares: ids, the tracked profile fields, input checks.

The plugin imports only the core (DESIGN.md: webui -> plugins -> core).
"""
from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from core.errors import Invalid, problem

PLUGIN_ID = "cosmetics_profile"
TAG = "cosmetics"
MANAGERS = frozenset({"owner", "manager"})

# K1: the plugin's own member fields (schemas/fields.json) plus the core's background fields
# the history also keeps (age comes from the birthday, which the core keeps).
PLUGIN_FIELDS = tuple(field["key"] for field in json.loads(
    (Path(__file__).parent / "schemas" / "fields.json").read_text(encoding="utf-8")))
CORE_FIELDS = ("occupation", "income_band", "birthday")
TRACKED = tuple(f"extra.{key}" for key in PLUGIN_FIELDS) + CORE_FIELDS

CLASS_ORDER = {"a": 0, "b": 1, "c": 2}  # key members first (K2); unclassified members last



def query_date(query: dict, name: str) -> date | None:
    """An optional YYYY-MM-DD query value, or ``Invalid`` pointing at it."""
    raw = query.get(name)
    if raw in (None, ""):
        return None
    try:
        return date.fromisoformat(raw) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw) else _bad(name)
    except ValueError:
        return _bad(name)


def query_choice(query: dict, name: str, choices) -> str | None:
    raw = query.get(name)
    if raw in (None, ""):
        return None
    if raw not in choices:
        raise Invalid(f"{name} is one of {', '.join(choices)}",
                      details=[problem(f"/{name}", f"one of {', '.join(choices)}")])
    return raw


def _bad(name: str):
    raise Invalid(f"{name} is a date as YYYY-MM-DD", details=[problem(f"/{name}", "YYYY-MM-DD")])
