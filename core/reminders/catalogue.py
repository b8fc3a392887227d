"""Which reminder kinds a merchant has, and each kind's settings from its configuration.

The configuration document's ``reminders`` section maps a kind's id to its settings plus an
``enabled`` flag: ``{"birthday": {"enabled": true, "days_before": 3}}``. A kind missing from
the section runs with its schema's defaults; settings of a kind whose plugin is disabled are
kept (enabling the plugin again restores them).
"""
from __future__ import annotations

import copy

from ..schemas import apply_defaults, validate_against
from .types import ReminderKind

ENABLED = {"type": "boolean", "default": True,
           "x-label": {"zh-CN": "启用这种提醒", "en": "Use this reminder"}}
# Read by the daily member-care job (core.inbox): queue a message to each member reminded.
MESSAGE = {"type": "boolean", "default": False,
           "x-label": {"zh-CN": "同时给会员发消息（按消息设置的渠道）", "en": "Also message the member"}}


def implemented_kinds(registry) -> list[ReminderKind]:
    """Every kind of the core and of every valid plugin; cached on the registry (plugins load once)."""
    cached = getattr(registry, "_huika_reminder_kinds", None)
    if cached is None:
        cached = registry.reminder_kinds()
        registry._huika_reminder_kinds = cached
    return cached


def available_kinds(config) -> dict[str, ReminderKind]:
    """The kinds this configuration gives the merchant (core ones first), by id.

    Plugins may share a kind: service_packages and training_courses both remind of
    ``package_expiry``, hotel_rooms and coupons of ``voucher_expiry``. The merchant sees one
    kind with one set of settings (the first plugin's title; every plugin's settings) whose
    scan runs each plugin's in turn.
    """
    groups: dict[str, list[ReminderKind]] = {}
    for kind in implemented_kinds(config.registry):
        if kind.plugin == "core" or config.is_enabled(kind.plugin):
            groups.setdefault(kind.id, []).append(kind)
    return {kind_id: shared(group) for kind_id, group in groups.items()}


def shared(group: list[ReminderKind]) -> ReminderKind:
    """One kind standing for the plugins that register the same id."""
    if len(group) == 1:
        return group[0]
    first = group[0]
    schema = copy.deepcopy(first.settings_schema)
    for other in group[1:]:
        for name, prop in other.settings_schema.get("properties", {}).items():
            schema.setdefault("properties", {}).setdefault(name, prop)
    scans = [kind.scan for kind in group]

    def scan_all(session, config, merchant_id, on, settings, store_id=None):
        for scan in scans:
            yield from scan(session=session, config=config, merchant_id=merchant_id, on=on,
                            settings=settings, store_id=store_id)

    return ReminderKind(id=first.id, title=first.title, settings_schema=schema, scan=scan_all,
                        description=first.description, plugin="+".join(kind.plugin for kind in group))


def entry_schema(kind: ReminderKind) -> dict:
    """The schema of the kind's entry in the ``reminders`` section: ``enabled``, ``message`` (the
    member-care job messages the member) plus its settings."""
    schema = copy.deepcopy(kind.settings_schema)
    schema["properties"] = {"enabled": ENABLED, "message": MESSAGE, **schema.get("properties", {})}
    return schema


def kind_entry(config, kind: ReminderKind) -> dict:
    """The kind's effective entry: stored values over the schema's defaults (``enabled`` included)."""
    stored = (config.document.get("reminders") or {}).get(kind.id) or {}
    return apply_defaults(entry_schema(kind), stored)


def kind_settings(config, kind: ReminderKind) -> dict:
    """The settings a scan gets: the entry without ``enabled``."""
    return {key: value for key, value in kind_entry(config, kind).items() if key != "enabled"}


def section_problems(config, document: dict) -> list[dict]:
    """Problems of the ``reminders`` section against the kinds' schemas (for publishing)."""
    problems = []
    for kind_id, stored in (document.get("reminders") or {}).items():
        kind = available_kinds(config).get(kind_id)
        if kind is None:
            continue  # a disabled plugin's kind: kept as it was, checked when enabled again
        entry = apply_defaults(entry_schema(kind), stored)
        problems += [{"pointer": f"/reminders/{kind_id}{p.pointer}", "message": p.message}
                     for p in validate_against(entry, entry_schema(kind))]
    return problems
