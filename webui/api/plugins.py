"""Installed plugins and whether this merchant enabled them."""
from __future__ import annotations

from core.config_versions import published_config

from . import schemas
from ..extension import huika
from .operations import caller, operation


@operation("/plugins", "GET", operation_id="listPlugins", tag="plugins",
           summary="List installed plugins", responses={200: ("Valid and refused plugins", schemas.PLUGIN_LIST)})
def list_plugins():
    registry = huika().plugins
    with huika().db.read() as session:
        enabled = set(published_config(session, caller().merchant_id, registry).enabled_plugins)
    items = []
    for info in [*registry.plugins.values(), *registry.refused.values()]:
        items.append({
            "id": info.id,
            "version": info.version,
            "title": info.manifest.get("title", {"zh-CN": info.id, "en": info.id}),
            "valid": info.valid,
            "enabled": info.id in enabled,
            "dependencies": info.dependencies,
            "assets": info.assets,
            "problems": info.problems,
            "settings_schema": info.settings_schema,
        })
    return {"items": items}
