"""Starter templates (L2): ready configurations a merchant can start from in the editor.

A starter is a JSON file ``{"id", "title", "description", "document"}`` (meta-schema kind
``starter``, ``urn:huika:core:starter:v1``) found by convention:

- ``plugins/<plugin_id>/starters/<id>.json``: shipped by an installed, valid plugin (any
  plugin found through the ``huika.plugins`` entry points: the folder next to its module);
- ``schemas/starters/<id>.json``: core-level starters that need no plugin.

Each file is checked against the meta-schema and its ``document`` with
``core.merchant_config.validate_config`` (so every plugin it enables must be installed and
its settings valid). A starter that fails is skipped, with a logged warning naming the file
and the JSON pointer of each problem; the other starters keep working.
"""
from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from schemas import SCHEMA_DIR

from .merchant_config import validate_config
from .schemas import validate_document

if TYPE_CHECKING:
    from .plugins import PluginRegistry

log = logging.getLogger("huika.starters")

CORE_STARTER_DIR = SCHEMA_DIR / "starters"
STARTER_FOLDER = "starters"


@dataclass(frozen=True)
class Starter:
    """One valid starter template."""

    id: str
    title: dict  # {"zh-CN", "en"}
    description: dict
    document: dict  # a merchant configuration document, ``template`` set to ``id``
    path: Path
    plugin: str | None  # the plugin that ships it; None for a core starter

    def new_document(self) -> dict:
        """A fresh copy of the document to put in a draft (``template`` names this starter)."""
        document = copy.deepcopy(self.document)
        document["template"] = self.id
        return document


def starter_files(registry: "PluginRegistry") -> list[tuple[Path, str | None]]:
    """(path, plugin id or None) of every starter file: core ones first, then plugin by plugin."""
    found: list[tuple[Path, str | None]] = [(path, None) for path in sorted(CORE_STARTER_DIR.glob("*.json"))]
    for plugin_id, info in registry.plugins.items():
        if info.path is not None:
            found += [(path, plugin_id) for path in sorted((info.path / STARTER_FOLDER).glob("*.json"))]
    return found


def read_starter(path: Path, plugin: str | None, registry: "PluginRegistry") -> tuple[Starter | None, list[str]]:
    """The starter in ``path``, or None and the reasons (``"<pointer>: <message>"``) it is invalid."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        return None, [f": not valid JSON: {error}"]
    problems = [f"{p.pointer}: {p.message}" for p in validate_document(data, "starter")]
    if problems:
        return None, problems
    if data["id"] != path.stem:
        return None, [f"/id: id {data['id']!r} does not match the file name {path.stem!r}"]
    template = data["document"].get("template")
    if template is not None and template != data["id"]:
        return None, [f"/document/template: {template!r} is not this starter's id {data['id']!r}"]
    problems = [f"/document{p['pointer']}: {p['message']}" for p in validate_config(data["document"], registry)]
    if problems:
        return None, problems
    document = copy.deepcopy(data["document"])
    document["template"] = data["id"]
    return Starter(id=data["id"], title=data["title"], description=data["description"],
                   document=document, path=path, plugin=plugin), []


def load_starters(registry: "PluginRegistry") -> list[Starter]:
    """Every valid starter, core ones first; invalid or duplicate ones are logged and skipped."""
    starters: list[Starter] = []
    seen: dict[str, Path] = {}
    for path, plugin in starter_files(registry):
        starter, problems = read_starter(path, plugin, registry)
        if starter is None:
            for problem in problems:
                pointer, _, message = problem.partition(": ")
                log.warning("starter %s skipped: at %s: %s", path, pointer or '""', message)
            continue
        if starter.id in seen:
            log.warning("starter %s skipped: at /id: id %r is already used by %s",
                        path, starter.id, seen[starter.id])
            continue
        seen[starter.id] = path
        starters.append(starter)
    return starters


def get_starter(registry: "PluginRegistry", starter_id: str) -> Starter | None:
    return next((s for s in load_starters(registry) if s.id == starter_id), None)
