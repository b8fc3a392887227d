"""Every API error is JSON: {"error": {"code", "message", "details"}} with the right status."""
from __future__ import annotations

from flask import current_app, jsonify, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.exceptions import NotFound as NotFoundError
from werkzeug.routing import RequestRedirect

from core.db import is_busy
from core.errors import Busy, Conflict, Forbidden, HuikaError, Invalid, NotFound

from ..error_pages import error_page
from ..errors_i18n import error_text
from ..i18n import current_locale
from .blueprint import bp
from ..throttle import TokenGuessing
from .handlers import PreconditionRequired
from .operations import BadRequest, Unauthorized
from .routing import concrete_path_allow

_HTTP_MESSAGES = {
    400: _l("The request is not valid."),
    404: _l("No such address in the API."),
    405: _l("This address does not take this method."),
    413: _l("The request body is too large."),
}

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
    return error_response(status, error.code, in_client_language(error), error.details)


def in_client_language(error: HuikaError) -> str:
    """The core's English message, or Chinese (money in yuan) for a client that asks zh."""
    return error.message if current_locale() == "en" else error_text(error)


@bp.errorhandler(OperationalError)
def handle_database_busy(error: OperationalError):
    if is_busy(error):  # still busy after webui/busy.py ran the request again for seconds
        current_app.logger.warning("database still busy, answering 503: %s", error.orig)
        message = "the database is busy; retry in a moment"
        return error_response(503, "busy", message if current_locale() == "en" else
                              str(_l("The database is busy; submit again in a moment.")))
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
        return error_page(error)
    if isinstance(error, MethodNotAllowed) and not _exists_for_any(error.valid_methods or ()):
        # Werkzeug checks the method before the converters, so PATCH /members/0 meets GET's
        # rule by its pattern alone; no id 0 exists under any method: that is a 404.
        error = NotFoundError()
    code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
            413: "payload_too_large"}.get(error.code, "http_error")
    message = error.description or error.name
    if current_locale() != "en":
        message = f"{_HTTP_MESSAGES.get(error.code, _HTTP_MESSAGES[400])}（{message}）"
    response = error_response(error.code or 500, code, message)
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
    message = "an unexpected error happened; nothing was saved"
    return error_response(500, "internal_error", message if current_locale() == "en" else
                          str(_l("An unexpected error happened; nothing was saved.")))
