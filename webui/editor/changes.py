"""What changed between two configuration documents, and where a JSON pointer points, in words.

``describe_changes(old, new)`` lists the differences a merchant cares about (plugins enabled
or disabled, settings, fields added/removed/relabelled, tier discounts, card kinds, policies,
screens) for the overview and the publish page. ``describe_pointer(document, pointer)`` turns
a problem's JSON pointer (``/tiers/1/discount_permille``) into a readable place
("等级「金卡」 › 折扣") with a link to the page that fixes it. Both need a request context.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from core.merchant_config import DEFAULT_POLICIES, empty_document
from core.schemas import apply_defaults

from ..i18n import label
from ..screens import format_yuan, format_zhe
from .common import plugin_title, registry, template_title

SECTIONS = ("template", "plugins", "settings", "fields", "tiers", "card_kinds", "policies", "screens")


@dataclass(frozen=True)
class Change:
    section: str  # one of SECTIONS
    kind: str  # added, removed, changed
    text: str  # Markup when it holds data (keys, labels as typed) marked translate="no"

    @property
    def section_title(self) -> str:
        return section_title(self.section)


def section_title(section: str) -> str:
    return {
        "template": _("Template"), "plugins": _("Plugins"), "settings": _("Plugin settings"),
        "fields": _("Member fields"), "tiers": _("Tiers"), "card_kinds": _("Card kinds"),
        "policies": _("Card policies"), "screens": _("Cashier screens"),
    }[section]


def as_data(value) -> Markup:
    """Data shown inside a sentence (a stored key, a label as the owner typed it): marked
    translate="no", so neither a browser's translator nor the zh-UI test takes it for UI text."""
    return Markup('<span translate="no">{}</span>').format(value)


def _sentence(text: str) -> Markup:
    """A translated sentence whose values were escaped (or marked as data) before formatting."""
    return Markup(text)


def _by_key(items: list[dict] | None, key: str = "key") -> dict:
    return {item[key]: item for item in items or [] if isinstance(item, dict) and key in item}


def upgrade_text(condition: dict) -> Markup:
    kind = condition.get("kind")
    if kind == "single_purchase":
        return _("one purchase of at least %(amount)s yuan", amount=format_yuan(condition["amount_fen"]))
    if kind == "cumulative_spend":
        return _("spend of %(amount)s yuan within %(days)s days", amount=format_yuan(condition["amount_fen"]),
                 days=condition["period_days"])
    if kind == "stored_amount":
        return _("stored amount of at least %(amount)s yuan", amount=format_yuan(condition["amount_fen"]))
    if kind == "channel":
        return _sentence(_("registering through %(channel)s", channel=as_data(condition["channel"])))
    return as_data(condition)


def value_text(value, schema: dict | None = None) -> str:
    """A setting's value for people: money in yuan, rates with 折, yes/no, enum labels."""
    schema = schema or {}
    unit = schema.get("x-unit")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int) and unit == "fen":
        return _("%(amount)s yuan", amount=format_yuan(value))
    if isinstance(value, int) and unit == "permille":  # a share (60%), not a discount: no 折 here
        whole, tenth = divmod(value, 10)
        return f"{value}‰ ({whole}{'.' + str(tenth) if tenth else ''}%)"
    if "x-enum-labels" in schema and str(value) in schema["x-enum-labels"]:
        return label(schema["x-enum-labels"][str(value)])
    if isinstance(value, (list, dict)):
        return _("%(count)s item(s)", count=len(value))
    return str(value)


def describe_changes(old: dict | None, new: dict) -> list[Change]:
    """Every difference between ``old`` (None: nothing published yet) and ``new``, in order."""
    old = old if old is not None else empty_document()
    changes: list[Change] = []
    if old.get("template") != new.get("template"):
        changes.append(Change("template", "changed", _("Started from template %(name)s",
                                                         name=template_title(new.get("template")) or "—")))
    changes += _plugin_changes(old, new)
    changes += _field_changes(old, new)
    changes += _tier_changes(old, new)
    changes += _card_kind_changes(old, new)
    old_policies = {**DEFAULT_POLICIES, **old.get("policies", {})}
    new_policies = {**DEFAULT_POLICIES, **new.get("policies", {})}
    if old_policies["cards_per_member"] != new_policies["cards_per_member"]:
        changes.append(Change("policies", "changed", _("Cards per member: %(old)s → %(new)s",
                                                       old=old_policies["cards_per_member"],
                                                       new=new_policies["cards_per_member"])))
    if old_policies["allow_replacement"] != new_policies["allow_replacement"]:
        changes.append(Change("policies", "changed", _(
            "Replacing lost cards: %(old)s → %(new)s", old=value_text(old_policies["allow_replacement"]),
            new=value_text(new_policies["allow_replacement"]))))
    changes += _screen_changes(old, new)
    return changes


def _plugin_changes(old: dict, new: dict) -> list[Change]:
    changes = []
    old_plugins, new_plugins = _by_key(old.get("plugins"), "id"), _by_key(new.get("plugins"), "id")
    for plugin_id in new_plugins:
        if plugin_id not in old_plugins:
            changes.append(Change("plugins", "added", _("Enabled %(plugin)s", plugin=label(plugin_title(plugin_id)))))
    for plugin_id in old_plugins:
        if plugin_id not in new_plugins:
            changes.append(Change("plugins", "removed", _("Disabled %(plugin)s", plugin=label(plugin_title(plugin_id)))))
    for plugin_id, entry in new_plugins.items():
        if plugin_id not in old_plugins:
            continue
        info = registry().get(plugin_id)
        schema = info.settings_schema if info else {"properties": {}}
        before = apply_defaults(schema, old_plugins[plugin_id].get("settings", {}))
        after = apply_defaults(schema, entry.get("settings", {}))
        for key in sorted(set(before) | set(after), key=lambda k: list(schema.get("properties", {})).index(k)
                          if k in schema.get("properties", {}) else 999):
            if before.get(key) != after.get(key):
                prop = schema.get("properties", {}).get(key, {})
                changes.append(Change("settings", "changed", _sentence(_(
                    "%(plugin)s: %(setting)s %(old)s → %(new)s", plugin=escape(label(plugin_title(plugin_id))),
                    setting=escape(label(prop.get("x-label"))) or as_data(key),
                    old=escape(value_text(before.get(key), prop)) if key in before else "—",
                    new=escape(value_text(after.get(key), prop)) if key in after else "—"))))
    return changes


def _field_changes(old: dict, new: dict) -> list[Change]:
    changes = []
    old_fields, new_fields = _by_key(old.get("fields")), _by_key(new.get("fields"))
    for key, item in new_fields.items():
        if key not in old_fields:
            changes.append(Change("fields", "added", _sentence(_(
                "Added field %(label)s (%(key)s)", label=escape(label(item["label"])), key=as_data(key)))))
    for key, item in old_fields.items():
        if key not in new_fields:
            changes.append(Change("fields", "removed", _sentence(_(
                "Removed field %(label)s (%(key)s)", label=escape(label(item["label"])), key=as_data(key)))))
    for key, item in new_fields.items():
        before = old_fields.get(key)
        if before is None or before == item:
            continue
        if before["label"] != item["label"]:
            changes.append(Change("fields", "changed", _sentence(_(
                "Relabelled field %(key)s: %(old)s → %(new)s", key=as_data(key),
                old=as_data(f"{before['label']['zh-CN']} / {before['label']['en']}"),
                new=as_data(f"{item['label']['zh-CN']} / {item['label']['en']}")))))
        names = _field_part_names()
        others = [names[name] for name in names if before.get(name) != item.get(name)]
        if others:
            changes.append(Change("fields", "changed", _("Changed field %(label)s: %(what)s",
                                                         label=label(item["label"]), what=_(", ").join(others))))
    common_old = [k for k in old_fields if k in new_fields]
    common_new = [k for k in new_fields if k in old_fields]
    if common_old != common_new:
        changes.append(Change("fields", "changed", _("Changed the order of the fields")))
    return changes


def _field_part_names() -> dict[str, str]:
    """A field's parts (document keys) as the owner calls them, in the order they are listed."""
    return {"type": _("type"), "required": _("required"), "help": _("help"), "options": _("options"),
            "min": _("minimum"), "max": _("maximum"), "max_length": _("maximum length"),
            "applies_to": _("member or card")}


def _tier_changes(old: dict, new: dict) -> list[Change]:
    changes = []
    old_tiers, new_tiers = _by_key(old.get("tiers")), _by_key(new.get("tiers"))
    for key, tier in new_tiers.items():
        if key not in old_tiers:
            changes.append(Change("tiers", "added", _("Added tier %(name)s at %(discount)s",
                                                      name=label(tier["name"]),
                                                      discount=format_zhe(tier.get("discount_permille", 1000)))))
    for key, tier in old_tiers.items():
        if key not in new_tiers:
            changes.append(Change("tiers", "removed", _("Removed tier %(name)s", name=label(tier["name"]))))
    for key, tier in new_tiers.items():
        before = old_tiers.get(key)
        if before is None or before == tier:
            continue
        name = label(tier["name"])
        old_discount, new_discount = before.get("discount_permille", 1000), tier.get("discount_permille", 1000)
        if old_discount != new_discount:
            changes.append(Change("tiers", "changed", _(
                "Tier %(name)s discount: %(old)s → %(new)s", name=name,
                old=format_zhe(old_discount), new=format_zhe(new_discount))))
        if before["name"] != tier["name"]:
            changes.append(Change("tiers", "changed", _("Renamed tier %(old)s → %(new)s",
                                                        old=label(before["name"]), new=name)))
        if before.get("rank") != tier.get("rank"):
            changes.append(Change("tiers", "changed", _("Tier %(name)s rank: %(old)s → %(new)s", name=name,
                                                        old=before.get("rank"), new=tier.get("rank"))))
        if before.get("upgrade", []) != tier.get("upgrade", []):
            conditions = Markup("; ").join(upgrade_text(c) for c in tier.get("upgrade", [])) or _("none")
            changes.append(Change("tiers", "changed", _sentence(_("Tier %(name)s upgrade conditions: %(conditions)s",
                                                                  name=escape(name), conditions=conditions))))
    return changes


def _card_kind_changes(old: dict, new: dict) -> list[Change]:
    changes = []
    default = empty_document()["card_kinds"]
    old_kinds = _by_key(old.get("card_kinds") or default)
    new_kinds = _by_key(new.get("card_kinds") or default)
    for key, kind in new_kinds.items():
        if key not in old_kinds:
            changes.append(Change("card_kinds", "added", _("Added card kind %(name)s", name=label(kind["name"]))))
        elif old_kinds[key] != kind:
            changes.append(Change("card_kinds", "changed", _("Changed card kind %(name)s", name=label(kind["name"]))))
    for key, kind in old_kinds.items():
        if key not in new_kinds:
            changes.append(Change("card_kinds", "removed", _("Removed card kind %(name)s", name=label(kind["name"]))))
    return changes


def _screen_changes(old: dict, new: dict) -> list[Change]:
    changes = []
    old_screens, new_screens = _by_key(old.get("screens"), "id"), _by_key(new.get("screens"), "id")
    for screen_id, screen in new_screens.items():
        if screen_id not in old_screens:
            changes.append(Change("screens", "added", _("Arranged screen %(title)s", title=label(screen["title"]))))
        elif old_screens[screen_id].get("ui") != screen.get("ui") or \
                old_screens[screen_id].get("title") != screen.get("title"):
            changes.append(Change("screens", "changed", _("Changed the arrangement of %(title)s",
                                                          title=label(screen["title"]))))
    for screen_id, screen in old_screens.items():
        if screen_id not in new_screens:
            changes.append(Change("screens", "removed", _("Screen %(title)s back to its default layout",
                                                          title=label(screen["title"]))))
    return changes


# -- pointers -----------------------------------------------------------------------------------

def _get(document, parts):
    for part in parts:
        try:
            document = document[int(part)] if isinstance(document, list) else document[part]
        except (KeyError, IndexError, ValueError, TypeError):
            return None
    return document


def describe_pointer(document: dict, pointer: str) -> tuple[str, str | None]:
    """(readable place, editor URL or None) of a JSON pointer into a configuration document."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]] if pointer else []
    if not parts:
        return _("The whole configuration"), url_for("editor.index")
    section, rest = parts[0], parts[1:]
    item = _get(document, parts[:2]) if rest else None
    number = int(rest[0]) + 1 if rest and rest[0].isdigit() else None
    if section == "plugins":
        if not isinstance(item, dict):
            return _("Plugins"), url_for("editor.plugins")
        name = label(plugin_title(item.get("id", "")))
        if len(rest) >= 2 and rest[1] == "settings":
            info = registry().get(item.get("id"))
            place = [_("Plugin %(name)s", name=name), _("settings")]
            schema = info.settings_schema if info else {}
            for part in rest[2:]:
                if part.isdigit():
                    place.append(_("row %(number)s", number=int(part) + 1))
                    schema = schema.get("items", {})
                else:
                    schema = schema.get("properties", {}).get(part, {})
                    place.append(label(schema.get("x-label")) or part)
            return " › ".join(place), (url_for("editor.plugin_settings", plugin_id=item["id"])
                                       if info else url_for("editor.plugins"))
        return _("Plugin %(name)s", name=name), url_for("editor.plugins")
    if section == "fields":
        if not isinstance(item, dict):
            return _("Member fields"), url_for("editor.fields")
        place = [_("Field %(label)s", label=label(item.get("label")) or item.get("key", number))]
        names = {"key": _("key"), "label": _("label"), "options": _("options"), "help": _("help"),
                 "min": _("minimum"), "max": _("maximum"), "max_length": _("maximum length"), "type": _("type")}
        place += [names.get(p, _("option %(number)s", number=int(p) + 1) if p.isdigit() else p) for p in rest[1:]]
        url = url_for("editor.field_edit", key=item["key"]) if item.get("key") else url_for("editor.fields")
        return " › ".join(place), url
    if section == "tiers":
        if not isinstance(item, dict):
            return _("Tiers"), url_for("editor.tiers")
        place = [_("Tier %(name)s", name=label(item.get("name")) or item.get("key", number))]
        names = {"discount_permille": _("discount"), "rank": _("rank"), "name": _("name"), "key": _("key"),
                 "upgrade": _("upgrade conditions")}
        place += [names[p] for p in rest[1:2] if p in names]
        return " › ".join(place), url_for("editor.tiers")
    if section == "card_kinds":
        name = label(item.get("name")) if isinstance(item, dict) else ""
        return (_("Card kind %(name)s", name=name) if name else _("Card kinds")), url_for("editor.cards")
    if section == "policies":
        return _("Card policies"), url_for("editor.cards")
    if section == "screens":
        if not isinstance(item, dict):
            return _("Cashier screens"), url_for("editor.screens")
        return (_("Screen %(title)s", title=label(item.get("title")) or item.get("id")),
                url_for("editor.screen_arrange", screen_id=item["id"]) if item.get("id") else url_for("editor.screens"))
    if section == "template":
        return _("Template"), url_for("editor.templates")
    return pointer, None


def readable_problems(document: dict, problems: list[dict]) -> list[dict]:
    """Problems with their readable place and link: {"pointer", "message", "place", "url"}."""
    result = []
    for item in problems:
        place, url = describe_pointer(document, item["pointer"])
        result.append({**item, "place": place, "url": url})
    return result


__all__ = ["Change", "SECTIONS", "as_data", "describe_changes", "describe_pointer", "readable_problems",
           "section_title", "upgrade_text", "value_text"]
