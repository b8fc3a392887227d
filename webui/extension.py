"""The per-app state: database and plugin registry (never module globals)."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from core.db import Database
from core.plugins import PluginRegistry


@dataclass
class Huika:
    db: Database
    plugins: PluginRegistry


def huika() -> Huika:
    return current_app.extensions["huika"]
