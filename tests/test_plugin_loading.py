"""Plugins come from the huika.plugins entry points; an invalid one is refused precisely."""
from __future__ import annotations

import sys

import pytest

from core.plugins import build_registry
from tests.support.plugin_factory import install_plugin, manifest

BUILT_INS = {"points", "stored_value", "training_courses", "service_packages", "cosmetics_profile", "hotel_rooms"}


@pytest.fixture
def site(tmp_path, monkeypatch):
    path = tmp_path / "site"
    path.mkdir()
    monkeypatch.syspath_prepend(str(path))
    yield path
    for name in [m for m in sys.modules if m.startswith("huika_test_")]:
        del sys.modules[name]


def test_the_six_built_ins_load_as_valid_plugins():
    registry = build_registry()
    assert BUILT_INS <= set(registry.plugins)
    assert not (BUILT_INS & set(registry.refused))
    for plugin_id in BUILT_INS:
        info = registry.plugins[plugin_id]
        assert info.manifest["id"] == plugin_id and info.settings_schema["type"] == "object"
        assert info.screens, plugin_id


def test_asset_kinds_come_from_the_manifests():
    kinds = build_registry().asset_kinds()
    assert kinds["points"]["plugin"] == "points"
    assert {"stored_value_principal", "stored_value_bonus", "course_sessions", "room_vouchers"} <= set(kinds)


def test_broken_manifest_is_refused_with_id_file_and_pointer_and_others_load(site):
    bad = manifest("broken")
    bad["title"] = {"zh-CN": "坏插件"}  # the English title is missing
    install_plugin(site, "broken", manifest_doc=bad)
    registry = build_registry()
    message = registry.refused["broken"].problems[0]
    assert "'broken'" in message and "plugin.json" in message and "/title" in message
    assert BUILT_INS <= set(registry.plugins)
    assert "broken" not in registry.plugins
    assert registry.pm.get_plugin("broken") is None  # never registered with pluggy


def test_broken_settings_schema_names_the_file_and_pointer(site):
    install_plugin(site, "badsettings", files={"schemas/settings.schema.json": {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:huika:badsettings:settings:main:v1",
        "type": "object", "additionalProperties": False,
        "properties": {"rate": {"type": "integer", "default": 1.5,
                                "x-label": {"zh-CN": "费率", "en": "Rate"}}}}})
    message = build_registry().refused["badsettings"].problems[0]
    assert "schemas/settings.schema.json" in message and "/properties/rate" in message


@pytest.mark.parametrize("case, code, manifest_doc, files, expected", [
    ("import error", "raise RuntimeError('boom')", None, None, "cannot be loaded"),
    ("unknown hook", "from core.hookspecs import hookimpl\n@hookimpl\ndef no_such_hook():\n    pass\n",
     None, None, "unknown hooks ['no_such_hook']"),
    ("bad hook argument", "from core.hookspecs import hookimpl\n@hookimpl\ndef validate_config(bogus):\n    return []\n",
     None, None, "bogus"),
    ("missing file", "", manifest("caseplugin", screens=["schemas/screens/nope.json"]), None,
     "schemas/screens/nope.json: file not found"),
    ("escaping path", "", manifest("caseplugin", fields="../../etc/passwd"), None,
     "plugin.json at /fields"),
    ("not json", "", manifest("caseplugin", fields="schemas/fields.json"),
     {"schemas/fields.json": "{not json"}, "not valid JSON"),
    ("bad field", "", manifest("caseplugin", fields="schemas/fields.json"),
     {"schemas/fields.json": [{"key": "Bad Key", "type": "text", "label": {"zh-CN": "x", "en": "x"}}]},
     "schemas/fields.json at /0/key"),
    ("duplicate field", "", manifest("caseplugin", fields="schemas/fields.json"),
     {"schemas/fields.json": [{"key": "a", "type": "text", "label": {"zh-CN": "甲", "en": "A"}},
                              {"key": "a", "type": "boolean", "label": {"zh-CN": "乙", "en": "B"}}]},
     "schemas/fields.json at /1/key: key 'a' is used twice"),
    ("id mismatch", "", manifest("other"), None, "does not match the entry-point name"),
])
def test_each_kind_of_broken_plugin_is_refused(site, case, code, manifest_doc, files, expected):
    install_plugin(site, "caseplugin", code=code, manifest_doc=manifest_doc, files=files)
    registry = build_registry()
    assert "caseplugin" in registry.refused, case
    assert expected in registry.refused["caseplugin"].problems[0], registry.refused["caseplugin"].problems
    assert BUILT_INS <= set(registry.plugins)


def test_a_valid_third_party_plugin_loads_like_a_built_in(site):
    install_plugin(site, "thirdparty", code="from core.hookspecs import hookimpl\n"
                   "@hookimpl\ndef validate_config(config, document):\n    return []\n")
    registry = build_registry()
    assert registry.plugins["thirdparty"].valid and registry.pm.get_plugin("thirdparty") is not None


def test_two_plugins_with_one_id_keep_the_first(site):
    install_plugin(site, "dup")
    install_plugin(site, "dup2", manifest_doc=manifest("dup"), entry_name="dup")
    registry = build_registry()
    assert "dup" in registry.plugins
    assert any("another plugin already has this id" in p for info in registry.refused.values()
               for p in info.problems)
