"""Every API error is JSON: {"error": {"code", "message", "details"}} with the right status."""
from __future__ import annotations

from flask import current_app, jsonify, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.exceptions import NotFound as NotFoundError
from werkzeug.routing import RequestRedirect

from core.db import is_busy
from core.errors import Busy, Conflict, Forbidden, HuikaError, Invalid, NotFound

from .blueprint import bp
from ..throttle import TokenGuessing
from .handlers import PreconditionRequired
from .operations import BadRequest, Unauthorized
from .routing import concrete_path_allow

STATUS_BY_ERROR = [
    (NotFound, 404),
    (Invalid, 422),
    (Conflict, 409),
    (Forbidden, 403),
    (Unauthorized, 401),
    (BadRequest, 400),
    (Busy, 503),
    (PreconditionRequired, 428),
]


def error_response(status: int, code: str, message: str, details=None):
    response = jsonify({"error": {"code": code, "message": message, "details": details}})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="huika"'
    if status == 503:
        response.headers["Retry-After"] = "1"
    return response


@bp.errorhandler(HuikaError)
def handle_domain_error(error: HuikaError):
    status = next((s for cls, s in STATUS_BY_ERROR if isinstance(error, cls)), 400)
    return error_response(status, error.code, error.message, error.details)


@bp.errorhandler(OperationalError)
def handle_database_busy(error: OperationalError):
    if is_busy(error):  # still busy after webui/busy.py ran the request again for seconds
        current_app.logger.warning("database still busy, answering 503: %s", error.orig)
        return error_response(503, "busy", "the database is busy; retry in a moment")
    raise error


@bp.errorhandler(TokenGuessing)
def handle_rate_limited(error: TokenGuessing):
    """Too many refused bearer tokens from this client (webui/throttle.py)."""
    seconds = error.retry_after
    response = error_response(429, "rate_limited", "too many requests with an unknown or revoked "
                              f"token from this client; retry in {seconds} seconds",
                              {"retry_after": seconds})
    response.headers["Retry-After"] = str(seconds)
    return response


def handle_http_error(error: HTTPException):
    """Unknown API paths and wrong methods answer JSON too (registered on the app)."""
    if not request.path.startswith(bp.url_prefix):
        return error
    if isinstance(error, MethodNotAllowed) and not _exists_for_any(error.valid_methods or ()):
        # Werkzeug checks the method before the converters, so PATCH /members/0 meets GET's
        # rule by its pattern alone; no id 0 exists under any method: that is a 404.
        error = NotFoundError()
    code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
            413: "payload_too_large"}.get(error.code, "http_error")
    response = error_response(error.code or 500, code, error.description or error.name)
    # Keep what the exception says about itself, above all a 405's Allow (RFC 9110 15.5.6).
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    if error.code == 405 and (allow := concrete_path_allow(request.path)) is not None:
        response.headers["Allow"] = ", ".join(allow)
    return response


def _exists_for_any(methods) -> bool:
    """Does the path name a resource under one of ``methods`` (converters included)?"""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for method in methods:
        if method in ("HEAD", "OPTIONS"):
            continue
        try:
            adapter.match(request.path, method=method)
            return True
        except (HTTPException, RequestRedirect):
            continue
    return False


@bp.record_once
def _register_app_handlers(state) -> None:
    state.app.register_error_handler(HTTPException, handle_http_error)


@bp.errorhandler(Exception)
def handle_unexpected(error: Exception):
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    current_app.logger.exception("unexpected error in %s %s", request.method, request.path)
    return error_response(500, "internal_error", "an unexpected error happened; nothing was saved")
