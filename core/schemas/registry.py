"""Huika's meta-schemas, offline: one ``referencing.Registry`` keyed by URN ``$id``.

Every document format (docs/formats.md) has a JSON Schema 2020-12 meta-schema in ``schemas/``
whose ``$id`` is an offline URN (``urn:huika:core:<kind>:v1``). They are loaded once into a
registry that has no retrieval function, so a ``$ref`` is resolved from the registry or fails:
nothing is ever fetched over the network.
"""
from __future__ import annotations

import copy
import functools
import json

from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from schemas import SCHEMA_DIR

__all__ = ["META_KINDS", "load_registry", "meta_schema", "meta_schema_id"]

META_KINDS: tuple[str, ...] = (
    "i18n-text",
    "field",
    "manifest",
    "settings",
    "rules",
    "screen",
    "merchant-config",
    "starter",
)


def meta_schema_id(kind: str) -> str:
    """The ``$id`` of the meta-schema of ``kind`` (one of ``META_KINDS``)."""
    if kind not in META_KINDS:
        raise ValueError(f"unknown document kind {kind!r}; expected one of {', '.join(META_KINDS)}")
    return f"urn:huika:core:{kind}:v1"


@functools.cache
def load_registry() -> Registry:
    """A registry holding every meta-schema of ``schemas/``, keyed by its URN ``$id``.

    The registry has no retrieval function: a reference that is not in it raises
    ``referencing.exceptions.Unresolvable`` instead of reaching for the network.
    """
    resources: list[tuple[str, Resource]] = []
    for kind in META_KINDS:
        path = SCHEMA_DIR / f"{kind}.schema.json"
        contents = json.loads(path.read_text(encoding="utf-8"))
        expected = meta_schema_id(kind)
        if contents.get("$id") != expected:
            raise RuntimeError(f"{path}: $id is {contents.get('$id')!r}, expected {expected!r}")
        resources.append((expected, DRAFT202012.create_resource(contents)))
    return Registry().with_resources(resources).crawl()


def meta_schema(kind: str) -> dict:
    """A copy of the meta-schema of ``kind`` (one of ``META_KINDS``)."""
    return copy.deepcopy(load_registry().contents(meta_schema_id(kind)))
