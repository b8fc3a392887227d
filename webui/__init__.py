"""Huika web UI and API: the Flask application factory."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from core.db import Database, default_sqlite_url
from core.plugins import build_registry

from .extension import Huika

DEFAULT_SECRET_KEY = "dev-only-not-secret"


def create_app(test_config: dict | None = None) -> Flask:
    """Build an app: its own database handle and plugin registry in app.extensions['huika']."""
    app = Flask(__name__, instance_path=os.environ.get("HUIKA_INSTANCE_PATH") or None,
                instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("HUIKA_SECRET_KEY", DEFAULT_SECRET_KEY),
        DATABASE_URL=os.environ.get("DATABASE_URL") or default_sqlite_url(app.instance_path),
        JSON_AS_ASCII=False,
    )
    if test_config is not None:
        app.config.from_mapping(test_config)
    app.json.ensure_ascii = False
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    registry = app.config.get("PLUGIN_REGISTRY") or build_registry()
    app.extensions["huika"] = Huika(db=Database.from_url(app.config["DATABASE_URL"]),
                                    plugins=registry)

    from .api import bp as api_bp
    from .api.handlers import serve
    from .api.money import CORE_OPERATIONS
    from .api.operations import OPERATIONS
    from .home import bp as home_bp

    app.register_blueprint(api_bp)
    app.register_blueprint(home_bp)
    # The money path and every plugin endpoint run through the same handler wrapper.
    described = [serve(app, api_op) for api_op in [*CORE_OPERATIONS, *registry.api_operations()]]
    app.extensions["huika"].operations = [*OPERATIONS, *described]
    return app
