"""A merchant's configuration document and what follows from it.

The document (see docs/formats.md) says which plugins are enabled with which settings, the
merchant's own fields, tiers, card kinds, policies and screens. ``MerchantConfig`` reads it
together with the plugin registry: effective settings (defaults filled in), every member
field (merchant's plus enabled plugins'), and the JSON Schema for a member's ``extra`` data.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Iterable, Protocol

from .fields import fields_schema
from .schemas import apply_defaults, validate_against, validate_document


class PluginSource(Protocol):
    """What a configuration reads of the plugin registry (core.plugins.PluginRegistry). A
    protocol, not an import: the registry loads the built-in hooks, which read configurations."""

    plugins: dict[str, Any]
    refused: dict[str, Any]

    def get(self, plugin_id: str) -> Any: ...

    def hook(self, name: str, enabled: Iterable[str]) -> Any: ...


SCHEMA_VERSION = 1

DEFAULT_CARD_KINDS = [
    {"key": "standard", "name": {"zh-CN": "会员卡", "en": "Membership card"}, "earns_points": True}
]
DEFAULT_POLICIES = {"cards_per_member": 1, "allow_replacement": True}


def empty_document() -> dict:
    """What a new merchant starts from: nothing enabled, one card kind, default policies."""
    return {
        "schema_version": SCHEMA_VERSION,
        "plugins": [],
        "fields": [],
        "tiers": [],
        "card_kinds": copy.deepcopy(DEFAULT_CARD_KINDS),
        "policies": dict(DEFAULT_POLICIES),
        "screens": [],
    }


@dataclass
class MerchantConfig:
    """A (published or draft) configuration document read against the installed plugins."""

    document: dict
    registry: PluginSource
    version: int | None = None

    @property
    def enabled_plugins(self) -> list[str]:
        """Enabled plugin ids that are installed and valid, in document order."""
        return [entry["id"] for entry in self.document.get("plugins", [])
                if entry["id"] in self.registry.plugins]

    def is_enabled(self, plugin_id: str) -> bool:
        return plugin_id in self.enabled_plugins

    def settings_for(self, plugin_id: str) -> dict:
        """The plugin's settings with schema defaults filled in ({} if not enabled).

        A published version never changes, so its settings are worked out once (treat the
        result as read-only); a draft's are worked out on every call.
        """
        return self._once("_settings_cache", plugin_id, lambda: self._settings(plugin_id))

    def _settings(self, plugin_id: str) -> dict:
        info = self.registry.get(plugin_id)
        for entry in self.document.get("plugins", []):
            if entry["id"] == plugin_id and info is not None:
                return apply_defaults(info.settings_schema, entry.get("settings", {}))
        return {}

    def settings_pointer(self, plugin_id: str) -> str:
        """JSON pointer of the plugin's settings in the document, for validate_config problems."""
        ids = [entry["id"] for entry in self.document.get("plugins", [])]
        return f"/plugins/{ids.index(plugin_id)}/settings"

    @property
    def policies(self) -> dict:
        return {**DEFAULT_POLICIES, **self.document.get("policies", {})}

    @property
    def card_kinds(self) -> list[dict]:
        return self.document.get("card_kinds") or copy.deepcopy(DEFAULT_CARD_KINDS)

    def card_kind(self, key: str) -> dict | None:
        return next((kind for kind in self.card_kinds if kind["key"] == key), None)

    @property
    def tiers(self) -> list[dict]:
        return sorted(self.document.get("tiers", []), key=lambda tier: tier["rank"])

    @cached_property
    def member_fields(self) -> list[dict]:
        """The merchant's member fields followed by each enabled plugin's, in order."""
        fields = [f for f in self.document.get("fields", []) if f.get("applies_to", "member") == "member"]
        for plugin_id in self.enabled_plugins:
            fields += [dict(f, plugin=plugin_id) for f in self.registry.plugins[plugin_id].fields
                       if f.get("applies_to", "member") == "member"]
        return fields

    @cached_property
    def member_extra_schema(self) -> dict:
        return fields_schema(self.member_fields)

    def hook(self, name: str):
        """Call hook ``name`` on the built-ins and this merchant's enabled plugins."""
        # A subset hook caller costs more to build than to call.
        return self._once("_hook_cache", name,
                          lambda: self.registry.hook(name, self.enabled_plugins))

    def memo(self, key: str, work):
        """``work()`` once per published version and rules stamp (see core.tenancy.rules_changed).

        For facts a plugin derives from its own rule rows on a hot path; the plugin must call
        ``rules_changed`` whenever it writes those rows. Treat the result as read-only.
        """
        return self._once("_memo_cache", key, work)

    def _once(self, cache: str, key: str, work):
        """``work()`` once per key for a published version, which never changes; on every
        call for a draft, which may."""
        if self.version is None:
            return work()
        found = self.__dict__.setdefault(cache, {})
        if key not in found:
            found[key] = work()
        return found[key]


def validate_config(document, registry: PluginSource) -> list[dict]:
    """Every problem that stops ``document`` from being published, as {"pointer", "message"}."""
    problems = [
        {"pointer": p.pointer, "message": p.message}
        for p in validate_document(document, "merchant-config")
    ]
    if problems:
        return problems  # the rest assumes the document has the right shape
    config = MerchantConfig(document, registry)
    for index, entry in enumerate(document.get("plugins", [])):
        info = registry.get(entry["id"])
        if info is None:
            refused = registry.refused.get(entry["id"])
            reason = "is refused: " + "; ".join(refused.problems) if refused else "is not installed"
            problems.append({"pointer": f"/plugins/{index}/id",
                             "message": f"plugin {entry['id']!r} {reason}"})
            continue
        settings = apply_defaults(info.settings_schema, entry.get("settings", {}))
        problems += [
            {"pointer": f"/plugins/{index}/settings{p.pointer}", "message": p.message}
            for p in validate_against(settings, info.settings_schema)
        ]
    if problems:
        return problems  # plugins' cross-checks assume settings that match their schemas
    for results in config.hook("validate_config")(config=config, document=document):
        problems += results or []
    return problems
