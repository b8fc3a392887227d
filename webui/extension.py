"""The per-app state: database and plugin registry (never module globals)."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app

from core.db import Database
from core.plugins import PluginRegistry


@dataclass
class Huika:
    db: Database
    plugins: PluginRegistry
    operations: list = field(default_factory=list)  # every API operation this app serves
    handlers: dict = field(default_factory=dict)  # operation id -> core.operations.ApiOperation


def huika() -> Huika:
    return current_app.extensions["huika"]
