"""Route the API the way its OpenAPI document reads: a concrete path is its own resource.

Werkzeug lets a templated rule answer for a concrete path that does not offer the method
(``GET /room-vouchers/expire`` reached ``GET /room-vouchers/{voucher_code}``), and its
automatic OPTIONS lists the methods of both. OpenAPI matches concrete paths first, so here
such a request answers 405 with the concrete path's Allow, and OPTIONS lists exactly the
methods of the path it names.
"""
from __future__ import annotations

from flask import current_app, request
from werkzeug.exceptions import MethodNotAllowed

from .blueprint import bp
from ..extension import huika


def _documented_methods() -> dict[str, set[str]]:
    """Flask rule (with the /api/v1 prefix) -> the methods the document lists for it; built
    once per app (every API request asks), like guards' declared integers."""
    extension = huika()
    methods = getattr(extension, "_documented_methods", None)
    if methods is None:
        methods = {}
        for op in extension.operations:
            methods.setdefault(bp.url_prefix + op.rule, set()).add(op.method)
        extension._documented_methods = methods
    return methods


def _allow(methods: set[str]) -> list[str]:
    return sorted(methods | {"OPTIONS"} | ({"HEAD"} if "GET" in methods else set()))


def concrete_path_allow(path: str) -> list[str] | None:
    """The Allow of a concrete documented path (None for other paths: Werkzeug's is right)."""
    methods = _documented_methods().get(path)
    return _allow(methods) if methods is not None else None


@bp.before_app_request
def route_like_the_document():
    req = request._get_current_object()  # one proxy lookup: this runs before every request
    rule = req.url_rule
    if rule is None or not rule.endpoint.startswith("api."):
        return None
    documented = _documented_methods()
    concrete = documented.get(req.path) if rule.arguments else None
    if req.method == "OPTIONS":
        response = current_app.response_class(status=200)
        response.headers["Allow"] = ", ".join(_allow(concrete or documented.get(rule.rule, set())))
        return response
    if concrete is not None:
        raise MethodNotAllowed(valid_methods=_allow(concrete))
    return None
