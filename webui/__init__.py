"""Huika web UI and API: the Flask application factory."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from core.db import Database, default_sqlite_url
from core.plugins import build_registry

from flask_wtf import CSRFProtect

from . import i18n, throttle
from .auth import HttpsAwareSessions, current_staff
from .extension import Huika

csrf = CSRFProtect()

DEFAULT_SECRET_KEY = "dev-only-not-secret"


class InsecureConfiguration(RuntimeError):
    """Raised at start-up when production would run with a publicly known secret key."""


def create_app(test_config: dict | None = None) -> Flask:
    """Build an app: its own database handle and plugin registry in app.extensions['huika']."""
    app = Flask(__name__, instance_path=os.environ.get("HUIKA_INSTANCE_PATH") or None,
                instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("HUIKA_SECRET_KEY", DEFAULT_SECRET_KEY),
        DATABASE_URL=os.environ.get("DATABASE_URL") or default_sqlite_url(app.instance_path),
        HUIKA_ENV=os.environ.get("HUIKA_ENV", "development"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=12 * 3600,  # one working day at the counter
        WTF_CSRF_TIME_LIMIT=None,  # a till stays open all day; the token is tied to the session
    )
    if test_config is not None:
        app.config.from_mapping(test_config)
    if app.config["HUIKA_ENV"] == "production" and app.config["SECRET_KEY"] in (DEFAULT_SECRET_KEY, "", None):
        raise InsecureConfiguration("set HUIKA_SECRET_KEY to a long random value before running in production")
    app.json.ensure_ascii = False
    app.session_interface = HttpsAwareSessions()
    csrf.init_app(app)
    i18n.init_app(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    registry = app.config.get("PLUGIN_REGISTRY") or build_registry()
    app.extensions["huika"] = Huika(db=Database.from_url(app.config["DATABASE_URL"]),
                                    plugins=registry)

    from .api import bp as api_bp
    from .api.handlers import serve
    from .api.money import CORE_OPERATIONS
    from .api.operations import OPERATIONS
    from .auth import bp as auth_bp
    from .cashier import bp as cashier_bp
    from .editor import bp as editor_bp
    from .home import bp as home_bp
    from .member import bp as member_bp

    csrf.exempt(api_bp)  # the API authenticates with bearer tokens, never cookies
    app.register_blueprint(api_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(cashier_bp)
    app.register_blueprint(member_bp)
    app.register_blueprint(editor_bp)

    @app.context_processor
    def inject_staff():
        return {"staff": current_staff()}

    # The money path and every plugin endpoint run through the same handler wrapper.
    handler_operations = [*CORE_OPERATIONS, *registry.api_operations()]
    described = [serve(app, api_op) for api_op in handler_operations]
    app.extensions["huika"].operations = [*OPERATIONS, *described]
    app.extensions["huika"].handlers = {op.operation_id: op for op in handler_operations}
    throttle.init_app(app)  # last: it wraps the views registered above
    return app
