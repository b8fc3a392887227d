"""Installing a throwaway plugin package for a test, with a real entry point.

It writes ``<name>/__init__.py``, ``<name>/plugin.json`` and its schemas, plus a
``*.dist-info`` folder whose entry_points.txt registers it in the ``huika.plugins`` group,
so ``importlib.metadata`` finds it exactly as it would find a pip-installed plugin.
"""
from __future__ import annotations

import importlib
import json
import sys
import textwrap
from pathlib import Path

SETTINGS_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:huika:{id}:settings:main:v1",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "greeting": {"type": "string", "default": "你好",
                     "x-label": {"zh-CN": "问候语", "en": "Greeting"}},
    },
}


def manifest(plugin_id: str, **overrides) -> dict:
    document = {
        "id": plugin_id,
        "version": "1.0.0",
        "huika_api": 1,
        "title": {"zh-CN": "测试插件", "en": "Test plugin"},
        "description": {"zh-CN": "测试用", "en": "For tests"},
        "dependencies": [],
        "assets": [],
        "settings": "schemas/settings.schema.json",
    }
    document.update(overrides)
    return document


def install_plugin(site: Path, plugin_id: str, code: str = "", manifest_doc: dict | None = None,
                   files: dict[str, object] | None = None, entry_name: str | None = None) -> Path:
    """Write the plugin into ``site`` (a sys.path entry) and return its folder."""
    folder = site / f"huika_test_{plugin_id}"
    (folder / "schemas").mkdir(parents=True, exist_ok=True)
    (folder / "__init__.py").write_text(textwrap.dedent(code), encoding="utf-8")
    (folder / "plugin.json").write_text(
        json.dumps(manifest_doc if manifest_doc is not None else manifest(plugin_id),
                   ensure_ascii=False), encoding="utf-8")
    settings = json.loads(json.dumps(SETTINGS_SCHEMA).replace("{id}", plugin_id))
    all_files = {"schemas/settings.schema.json": settings, **(files or {})}
    for relative, content in all_files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content, ensure_ascii=False),
                        encoding="utf-8")
    dist = site / f"huika_test_{plugin_id}-1.0.0.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: huika-test-{plugin_id}\nVersion: 1.0.0\n")
    (dist / "entry_points.txt").write_text(
        f"[huika.plugins]\n{entry_name or plugin_id} = huika_test_{plugin_id}\n")
    if str(site) not in sys.path:
        sys.path.insert(0, str(site))
    importlib.invalidate_caches()
    sys.modules.pop(f"huika_test_{plugin_id}", None)
    return folder
