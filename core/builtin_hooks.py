"""The core's own checks, written as a plugin on the same hooks (as datasette does).

Registered first and always called, whatever the merchant enables.
"""
from __future__ import annotations

from .hookspecs import hookimpl

# Member columns a custom field may not shadow.
RESERVED_FIELD_KEYS = frozenset({
    "id", "name", "phone", "gender", "birthday", "birthday_calendar", "birthday_leap_month",
    "address", "occupation", "income_band", "extra", "cards", "channel", "created_at",
    "updated_at", "merchant_id", "registered_store_id",
})


@hookimpl
def validate_config(config, document):
    """Uniqueness and cross-references that JSON Schema cannot express."""
    problems = []
    problems += _duplicates(document.get("fields", []), "key", "/fields")
    problems += _duplicates(document.get("tiers", []), "key", "/tiers")
    problems += _duplicates(document.get("tiers", []), "rank", "/tiers")
    problems += _duplicates(document.get("card_kinds", []), "key", "/card_kinds")
    problems += _duplicates(document.get("plugins", []), "id", "/plugins")
    problems += _duplicates(document.get("screens", []), "id", "/screens")

    plugin_field_owner = {}
    for plugin_id in config.enabled_plugins:
        for field in config.registry.plugins[plugin_id].fields:
            plugin_field_owner[field["key"]] = plugin_id
    for index, field in enumerate(document.get("fields", [])):
        pointer = f"/fields/{index}/key"
        if field["key"] in RESERVED_FIELD_KEYS:
            problems.append({"pointer": pointer,
                             "message": f"{field['key']!r} is a built-in member property"})
        elif field["key"] in plugin_field_owner:
            problems.append({"pointer": pointer, "message": (
                f"{field['key']!r} is already a field of plugin "
                f"{plugin_field_owner[field['key']]!r}")})

    enabled = {entry["id"] for entry in document.get("plugins", [])}
    for index, entry in enumerate(document.get("plugins", [])):
        info = config.registry.get(entry["id"])
        for dependency in info.dependencies if info else []:
            if dependency not in enabled:
                problems.append({"pointer": f"/plugins/{index}/id", "message": (
                    f"plugin {entry['id']!r} needs plugin {dependency!r} enabled too")})
    return problems


def _duplicates(items: list[dict], key: str, pointer: str) -> list[dict]:
    seen: dict = {}
    problems = []
    for index, item in enumerate(items):
        if key not in item:
            continue
        if item[key] in seen:
            problems.append({"pointer": f"{pointer}/{index}/{key}", "message": (
                f"{key} {item[key]!r} is used twice (first at {pointer}/{seen[item[key]]})")})
        else:
            seen[item[key]] = index
    return problems
