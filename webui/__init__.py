"""Huika web UI and API: the Flask application factory."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from core.db import Database, default_sqlite_url
from core.jobs import DEFAULT_CATCH_UP_DAYS
from core.plugins import build_registry
from core.wal_sync import AFTER_COMMIT

from flask_wtf import CSRFProtect

from . import busy, guards, i18n, security_headers, throttle
from .app_class import HuikaFlask
from .auth import HttpsAwareSessions, current_staff
from .extension import Huika
from .imports_service import DEFAULT_MAX_IMPORT_BYTES
from .instance_secrets import InsecureConfiguration, check_production_key, instance_secret_key, pin_peppers

csrf = CSRFProtect()

__all__ = ["create_app", "InsecureConfiguration"]


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a positive whole number, not {raw!r}")
    return int(raw)


def create_app(test_config: dict | None = None) -> Flask:
    """Build an app: its own database handle and plugin registry in app.extensions['huika']."""
    app = HuikaFlask(__name__, instance_path=os.environ.get("HUIKA_INSTANCE_PATH") or None,
                instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("HUIKA_SECRET_KEY") or None,
        DATABASE_URL=os.environ.get("DATABASE_URL") or default_sqlite_url(app.instance_path),
        HUIKA_ENV=os.environ.get("HUIKA_ENV", "development"),
        PROXY_HOPS=os.environ.get("HUIKA_PROXY_HOPS", "0"),
        PIN_PEPPER=os.environ.get("HUIKA_PIN_PEPPER") or None,
        PIN_PEPPER_RETIRED=os.environ.get("HUIKA_PIN_PEPPER_RETIRED") or None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=12 * 3600,  # one working day at the counter
        WTF_CSRF_TIME_LIMIT=None,  # a till stays open all day; the token is tied to the session
        MAX_CONTENT_LENGTH=_env_int("HUIKA_MAX_CONTENT_LENGTH", guards.DEFAULT_MAX_CONTENT_LENGTH),
        HUIKA_MAX_IMPORT_BYTES=_env_int("HUIKA_MAX_IMPORT_BYTES", DEFAULT_MAX_IMPORT_BYTES),
        HUIKA_MAX_JSON_DEPTH=_env_int("HUIKA_MAX_JSON_DEPTH", guards.DEFAULT_MAX_JSON_DEPTH),
        HUIKA_BUSY_RETRY_SECONDS=_env_int("HUIKA_BUSY_RETRY_SECONDS", busy.DEFAULT_RETRY_SECONDS),
        HUIKA_JOB_CATCH_UP_DAYS=_env_int("HUIKA_JOB_CATCH_UP_DAYS", DEFAULT_CATCH_UP_DAYS),
        HUIKA_SCHEDULER_LOCK_RETRY_SECONDS=_env_int("HUIKA_SCHEDULER_LOCK_RETRY_SECONDS", 5),
        HUIKA_SQLITE_SYNC=os.environ.get("HUIKA_SQLITE_SYNC", "").strip() or AFTER_COMMIT,
    )
    if test_config is not None:
        app.config.from_mapping(test_config)
    if app.config["HUIKA_ENV"] == "production":
        check_production_key(app.config["SECRET_KEY"])
    elif not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)
    peppers = pin_peppers(app.config["PIN_PEPPER"], app.config["PIN_PEPPER_RETIRED"],
                          production=app.config["HUIKA_ENV"] == "production",
                          instance_path=app.instance_path)
    trust_proxies(app)
    app.json.ensure_ascii = False
    app.session_interface = HttpsAwareSessions()
    csrf.init_app(app)
    guards.init_app(app)  # before any route: it installs the id converter
    i18n.init_app(app)
    security_headers.init_app(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    registry = app.config.get("PLUGIN_REGISTRY") or build_registry()
    database = Database.from_url(app.config["DATABASE_URL"], pin_peppers=peppers,
                                 sqlite_sync=app.config["HUIKA_SQLITE_SYNC"])
    from .api.operations import give_back_request_connection
    database.before_session = give_back_request_connection
    app.extensions["huika"] = Huika(db=database, plugins=registry)

    from .api import bp as api_bp
    from .api.handlers import serve
    from .api.money import CORE_OPERATIONS
    from .api.operations import OPERATIONS
    from .api.pins import PIN_OPERATIONS
    from .auth import bp as auth_bp
    from .cashier import bp as cashier_bp
    from .dashboard import bp as dashboard_bp
    from .editor import bp as editor_bp
    from .home import bp as home_bp
    from .member import bp as member_bp
    from .shifts import bp as shifts_bp
    from .inbox import bp as inbox_bp

    csrf.exempt(api_bp)  # the API authenticates with bearer tokens, never cookies
    app.register_blueprint(api_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(cashier_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(member_bp)
    app.register_blueprint(editor_bp)
    app.register_blueprint(shifts_bp)
    app.register_blueprint(inbox_bp)

    @app.context_processor
    def inject_staff():
        return {"staff": current_staff()}

    # The money path and every plugin endpoint run through the same handler wrapper.
    handler_operations = [*CORE_OPERATIONS, *PIN_OPERATIONS, *registry.api_operations()]
    described = [serve(app, api_op) for api_op in handler_operations]
    app.extensions["huika"].operations = [*OPERATIONS, *described]
    app.extensions["huika"].handlers = {op.operation_id: op for op in handler_operations}
    throttle.init_app(app)  # wraps the views registered above
    # Last, around every view, throttled ones included: a throttle's counter is committed as
    # repeatable (core.db), so it does not stop a busy request's re-run (which counts it again).
    busy.retry_views_when_busy(app)
    return app


def trust_proxies(app: Flask) -> None:
    """Behind PROXY_HOPS reverse proxies, believe their X-Forwarded-For/-Proto/-Host/-Port/-Prefix.

    So QR links and secure cookies know the public scheme and host. Only as many hops as
    really stand in front: a client reaching the app directly could otherwise claim HTTPS or
    another address.
    """
    raw = str(app.config["PROXY_HOPS"]).strip()
    if not raw.isdigit() or int(raw) > 5:
        raise InsecureConfiguration(f"HUIKA_PROXY_HOPS must be a number of proxies from 0 to 5, not {raw!r}")
    hops = int(raw)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops,
                                x_prefix=hops)
