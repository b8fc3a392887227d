"""Plugin discovery, validation and hook calls.

Plugins (built-in or third-party alike) are found through the ``huika.plugins`` entry-point
group. Each is validated against the meta-schemas before it is registered; an invalid one is
refused with its id, file and JSON pointer and the others keep working. Every valid plugin
stays registered: enabling one is merchant data, so hook calls are filtered per merchant.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any, Iterable

import pluggy
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from . import builtin_hooks, hookspecs
from .schemas import validate_document

ENTRY_POINT_GROUP = "huika.plugins"
SUPPORTED_API = 1


@dataclass
class PluginInfo:
    """What the core knows of one installed plugin, from its manifest and files."""

    id: str
    module_name: str
    path: Path | None
    manifest: dict = field(default_factory=dict)
    settings_schema: dict = field(default_factory=dict)
    fields: list = field(default_factory=list)
    rules: dict = field(default_factory=dict)
    screens: list = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    module: ModuleType | None = None

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def version(self) -> str:
        return self.manifest.get("version", "?")

    @property
    def dependencies(self) -> list[str]:
        return list(self.manifest.get("dependencies", []))

    @property
    def assets(self) -> list[dict]:
        return list(self.manifest.get("assets", []))

    def title(self, locale: str = "zh-CN") -> str:
        return self.manifest.get("title", {}).get(locale, self.id)


class PluginRefused(Exception):
    """Raised while loading a plugin; collected into ``PluginInfo.problems``."""


class PluginRegistry:
    """The pluggy manager plus the manifest data of every discovered plugin."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager("huika")
        self.pm.add_hookspecs(hookspecs)
        self.pm.register(builtin_hooks, name="huika.builtin")
        self.plugins: dict[str, PluginInfo] = {}
        self.refused: dict[str, PluginInfo] = {}

    # -- loading ---------------------------------------------------------------------
    def load_entry_points(self) -> None:
        for entry_point in sorted(
            importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name
        ):
            self.load(entry_point.name, entry_point.value)

    def load(self, plugin_id: str, module_name: str) -> PluginInfo:
        """Import, validate and register one plugin; refuse it (recorded) if anything is wrong."""
        info = PluginInfo(id=plugin_id, module_name=module_name, path=None)
        if plugin_id in self.plugins or plugin_id in self.refused:
            info.problems.append(f"plugin {plugin_id!r}: another plugin already has this id")
            self.refused[f"{plugin_id}@{module_name}"] = info
            return info
        try:
            info.module = importlib.import_module(module_name)
            info.path = Path(info.module.__file__).parent
            _read_plugin_files(info)
            self._register(info)
        except PluginRefused as refused:
            info.problems.append(str(refused))
        except Exception as error:  # a plugin's import error must not stop the others
            info.problems.append(f"plugin {plugin_id!r}: cannot be loaded: {error!r}")
        (self.plugins if info.valid else self.refused)[plugin_id] = info
        return info

    def _register(self, info: PluginInfo) -> None:
        try:
            self.pm.register(info.module, name=info.id)
        except pluggy.PluginValidationError as error:
            raise PluginRefused(f"plugin {info.id!r}: {info.module_name}: {error}") from error
        unknown = [
            caller.name for caller in self.pm.get_hookcallers(info.module) or []
            if not caller.has_spec()
        ]
        if unknown:
            self.pm.unregister(info.module)
            raise PluginRefused(
                f"plugin {info.id!r}: {info.module_name}: implements unknown hooks {sorted(unknown)}"
            )

    # -- queries ---------------------------------------------------------------------
    def get(self, plugin_id: str) -> PluginInfo | None:
        return self.plugins.get(plugin_id)

    def asset_kinds(self) -> dict[str, dict]:
        """Every asset kind declared by a valid plugin, keyed by asset key."""
        return {
            asset["key"]: dict(asset, plugin=info.id)
            for info in self.plugins.values()
            for asset in info.assets
        }

    def hook(self, name: str, enabled: Iterable[str]) -> pluggy.HookCaller:
        """The hook caller for ``name`` limited to the built-ins and the enabled plugins."""
        enabled = set(enabled)
        disabled = [info.module for pid, info in self.plugins.items() if pid not in enabled]
        if not disabled:
            return getattr(self.pm.hook, name)
        return self.pm.subset_hook_caller(name, remove_plugins=disabled)

    def call(self, name: str, enabled: Iterable[str], **kwargs: Any) -> list:
        return self.hook(name, enabled)(**kwargs)

    def api_operations(self) -> list:
        """Every valid plugin's ApiOperations, each tagged with its plugin's id."""
        return self._tagged("register_api_operations")

    def jobs(self) -> list:
        """The core's scheduled jobs (tagged "core"), then every valid plugin's, each tagged
        with its plugin's id."""
        plugin_modules = [info.module for info in self.plugins.values()]
        core = self.pm.subset_hook_caller("register_jobs", remove_plugins=plugin_modules)
        built_in = [job for group in core() for job in group or []]
        for job in built_in:
            job.plugin = "core"
        return built_in + self._tagged("register_jobs")

    def reports(self) -> list:
        """Every valid plugin's reports, tagged with its plugin's id, after the core's own."""
        plugin_modules = [info.module for info in self.plugins.values()]
        core = self.pm.subset_hook_caller("register_reports", remove_plugins=plugin_modules)
        built_in = [report for group in core() for report in group or []]
        for report in built_in:
            report.plugin = "core"
        return built_in + self._tagged("register_reports")

    def _tagged(self, hook_name: str) -> list:
        """Call a ``register_*`` hook plugin by plugin and set ``.plugin`` on what each returns."""
        items = []
        for plugin_id in self.plugins:
            others = [info.module for pid, info in self.plugins.items() if pid != plugin_id]
            caller = self.pm.subset_hook_caller(hook_name, remove_plugins=[*others, builtin_hooks])
            for group in caller():
                for item in group or []:
                    item.plugin = plugin_id
                    items.append(item)
        return items

    def call_all(self, name: str, **kwargs: Any) -> list:
        """Call a hook on every valid plugin: for process-wide hooks such as register_commands."""
        return getattr(self.pm.hook, name)(**kwargs)


def build_registry(load_entry_points: bool = True) -> PluginRegistry:
    registry = PluginRegistry()
    if load_entry_points:
        registry.load_entry_points()
    return registry


# -- manifest and file validation ----------------------------------------------------

def _read_plugin_files(info: PluginInfo) -> None:
    manifest = _read_json(info, "plugin.json")
    _check(info, "plugin.json", validate_document(manifest, "manifest"))
    if manifest["id"] != info.id:
        raise PluginRefused(
            f"plugin {info.id!r}: plugin.json at /id: id {manifest['id']!r} does not match "
            f"the entry-point name {info.id!r}"
        )
    if manifest["huika_api"] != SUPPORTED_API:
        raise PluginRefused(
            f"plugin {info.id!r}: plugin.json at /huika_api: this Huika speaks API {SUPPORTED_API}"
        )
    info.manifest = manifest

    info.settings_schema = _read_referenced(info, manifest["settings"], "settings")
    try:
        Draft202012Validator.check_schema(info.settings_schema)
    except SchemaError as error:
        pointer = "/" + "/".join(str(p) for p in error.absolute_path)
        raise PluginRefused(
            f"plugin {info.id!r}: {manifest['settings']} at {pointer if pointer != '/' else ''}: "
            f"{error.message}"
        ) from error
    if "fields" in manifest:
        fields = _read_json(info, manifest["fields"])
        if not isinstance(fields, list):
            raise PluginRefused(f"plugin {info.id!r}: {manifest['fields']} at : must be an array")
        seen = set()
        for index, definition in enumerate(fields):
            problems = validate_document(definition, "field")
            _check(info, manifest["fields"], problems, prefix=f"/{index}")
            if definition["key"] in seen:
                raise PluginRefused(f"plugin {info.id!r}: {manifest['fields']} at /{index}/key: "
                                    f"key {definition['key']!r} is used twice")
            seen.add(definition["key"])
        info.fields = fields
    if "rules" in manifest:
        info.rules = _read_referenced(info, manifest["rules"], "rules")
    info.screens = [_read_referenced(info, path, "screen") for path in manifest.get("screens", [])]


def _read_referenced(info: PluginInfo, relative: str, kind: str) -> Any:
    document = _read_json(info, relative)
    _check(info, relative, validate_document(document, kind))
    return document


def _read_json(info: PluginInfo, relative: str) -> Any:
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts:
        raise PluginRefused(f"plugin {info.id!r}: {relative}: path must stay inside the plugin")
    path = info.path / pure
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PluginRefused(f"plugin {info.id!r}: {relative}: file not found") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PluginRefused(f"plugin {info.id!r}: {relative}: not valid JSON: {error}") from None


def _check(info: PluginInfo, relative: str, problems, prefix: str = "") -> None:
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise PluginRefused(
            f"plugin {info.id!r}: {relative} at {prefix}{first.pointer or ''}: {first.message}{more}"
        )
