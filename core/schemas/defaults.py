"""Filling in a schema's defaults (``apply_defaults``), following ``$ref``s through the registry."""
from __future__ import annotations

import copy
from typing import Any

from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from .registry import load_registry

__all__ = ["apply_defaults"]


def apply_defaults(schema: dict, data: dict) -> dict:
    """A copy of ``data`` where every missing property that has a ``default`` takes it.

    Recurses into object values (given or just defaulted) whose schema has ``properties``,
    and into the elements of arrays whose schema has ``items``, so nested defaults are filled
    in too. ``$ref``s are followed through the registry (so this also works with the
    meta-schemas, e.g. for a merchant configuration). ``data`` itself is never modified; a
    value that is not an object is returned as a copy, unchanged, for validation to report.
    """
    result = copy.deepcopy(data)
    resolver = load_registry().resolver(base_uri=_base_uri(schema))
    _fill_defaults(schema, resolver, result, depth=0)
    return result


_MAX_DEPTH = 50  # against reference cycles in a schema


def _base_uri(schema: Any) -> str:
    return schema.get("$id", "") if isinstance(schema, dict) else ""


def _layers(schema: Any, resolver, depth: int) -> list[tuple[dict, Any]]:
    """``schema`` and what its ``$ref`` chain points to, each with the resolver to use there."""
    layers = []
    while isinstance(schema, dict) and len(layers) < _MAX_DEPTH - depth:
        if "$id" in schema:
            resolver = resolver.in_subresource(DRAFT202012.create_resource(schema))
        layers.append((schema, resolver))
        ref = schema.get("$ref")
        if not isinstance(ref, str):
            break
        try:
            resolved = resolver.lookup(ref)
        except Unresolvable:
            break
        schema, resolver = resolved.contents, resolved.resolver
    return layers


def _fill_defaults(schema: Any, resolver, value: Any, depth: int) -> None:
    if depth >= _MAX_DEPTH:
        return
    layers = _layers(schema, resolver, depth)
    if isinstance(value, dict):
        seen: set[str] = set()
        for layer, layer_resolver in layers:
            properties = layer.get("properties")
            if not isinstance(properties, dict):
                continue
            for key, subschema in properties.items():
                if key in seen:
                    continue
                seen.add(key)
                sub_layers = _layers(subschema, layer_resolver, depth + 1)
                if key not in value:
                    default = next((s["default"] for s, _ in sub_layers if "default" in s), _MISSING)
                    if default is _MISSING:
                        continue
                    value[key] = copy.deepcopy(default)
                _fill_defaults(subschema, layer_resolver, value[key], depth + 1)
    elif isinstance(value, list):
        for layer, layer_resolver in layers:
            items = layer.get("items")
            if isinstance(items, dict):
                for element in value:
                    _fill_defaults(items, layer_resolver, element, depth + 1)
                break


_MISSING = object()
