"""The OpenAPI 3.1 document, built from the declared operations."""
from __future__ import annotations

import re

from flask import current_app, request

from core.schemas import load_registry, validate_against

from . import schemas
from .blueprint import bp
from ..extension import huika
from .operations import Operation, operation

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
_PARAM_TYPES = {"int": {"type": "integer"}, None: {"type": "string"}, "string": {"type": "string"}}

# Answers every operation of a kind can give, whatever it does. Declarations add their own
# (a 409 for a taken phone …) with a more precise description, which wins.
_BAD_REQUEST = ("The body is not JSON, not sent as application/json, or missing", schemas.ERROR)
_TOO_LARGE = ("The body is larger than the server accepts", schemas.ERROR)
_INVALID = ("Invalid input; details list each problem with its JSON pointer; nothing was changed",
            schemas.ERROR)
_NOT_FOUND = ("No such object for this merchant", schemas.ERROR)
_PLUGIN_NOT_ENABLED = ("Not found, or the plugin is not enabled for this merchant", schemas.ERROR)
_UNAUTHORIZED = ("Missing or unknown token", schemas.ERROR)
_FORBIDDEN = ("The caller's role may not do this", schemas.ERROR)
_KEY_MISSING = ("Idempotency-Key header missing or empty", schemas.ERROR)
_BUSY = ("The database stayed busy; retry with the same Idempotency-Key", schemas.ERROR)
_THROTTLED = ("Too many requests with a refused token from this client (webui/throttle.py); retry "
              "after Retry-After seconds", schemas.ERROR)
_HEADERS = {
    401: {"WWW-Authenticate": {"description": "Bearer realm=\"huika\"", "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
    503: {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
}
IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key", "in": "header", "required": True,
    "description": "a new random value per operation; the same value when retrying it",
}


def openapi_path(rule: str) -> str:
    """Flask's ``/members/<int:member_id>`` as OpenAPI's ``/members/{member_id}``."""
    return _CONVERTER.sub(lambda m: "{" + m.group(2) + "}", rule)


def documented_responses(op: Operation) -> dict[int, tuple[str, dict | None]]:
    """Every status ``op`` can answer, with its description and body schema.

    The single source for the document and for the test-time response check, so the two
    cannot disagree. 405 is not here: it belongs to a path, not to an operation (docs/api.md).
    """
    responses = dict(op.responses)
    standard: list[tuple[int, tuple]] = []
    if op.request_schema is not None or op.reads_body:
        standard += [(400, _BAD_REQUEST), (413, _TOO_LARGE), (422, _INVALID)]
    if op.query:
        standard.append((422, _INVALID))
    if "<" in op.rule:
        standard.append((404, _NOT_FOUND))
    if op.plugin:
        standard.append((404, _PLUGIN_NOT_ENABLED))
    if op.idempotent:
        standard += [(422, _INVALID), (428, _KEY_MISSING)]
    if not op.public:  # every authenticated call reads the database
        standard += [(401, _UNAUTHORIZED), (403, _FORBIDDEN), (503, _BUSY)]
    standard.append((429, _THROTTLED))  # one counter per client over the whole API
    for status, description in standard:
        responses.setdefault(status, description)
    return dict(sorted(responses.items()))


def _response_object(status: int, description: str, schema: dict | None) -> dict:
    entry: dict = {"description": description}
    if schema:
        entry["content"] = {"application/json": {"schema": schema}}
    if status in _HEADERS:
        entry["headers"] = _HEADERS[status]
    return entry


def build_document() -> dict:
    from .handlers import IDEMPOTENCY_KEY_SCHEMA

    paths: dict = {}
    for op in huika().operations:
        path = bp.url_prefix + openapi_path(op.rule)
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": _PARAM_TYPES.get(kind, {"type": "string"})}
            for kind, name in _CONVERTER.findall(op.rule)
        ]
        # An empty value is the same as leaving the parameter out (an HTML form's empty field).
        parameters += [{"name": name, "in": "query", "required": False, "allowEmptyValue": True,
                        "schema": schema, "description": description}
                       for name, schema, description in op.query]
        if op.idempotent:
            parameters.append({**IDEMPOTENCY_PARAMETER, "schema": IDEMPOTENCY_KEY_SCHEMA})
        responses = {str(status): _response_object(status, description, schema)
                     for status, (description, schema) in documented_responses(op).items()}
        entry = {"operationId": op.operation_id, "summary": op.summary, "tags": [op.tag],
                 "responses": responses}
        if parameters:
            entry["parameters"] = parameters
        if op.plugin:
            entry["x-huika-plugin"] = op.plugin
        if op.request_schema is not None:
            entry["requestBody"] = {"required": op.body_required, "content": {
                "application/json": {"schema": op.request_schema}}}
        if op.public:
            entry["security"] = []
        paths.setdefault(path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "Huika (会卡) API", "version": "1",
                 "description": "Membership cards, members, tiers and merchant configuration. "
                                "Money is integer fen. Errors: {\"error\": {code, message, details}}. "
                                "A method a path does not offer answers 405 with an Allow header."},
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            # The meta-schemas carry their URN $id, so "$ref": "urn:huika:…" resolves in here.
            "schemas": _meta_schemas(),
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }


def _meta_schemas() -> dict:
    registry = load_registry()
    return {uri.split(":")[-2]: registry[uri].contents for uri in sorted(registry)
            if uri.startswith("urn:huika:")}


@operation("/openapi.json", "GET", operation_id="openapi", tag="meta", public=True,
           summary="This document", responses={200: ("OpenAPI 3.1 document", {"type": "object"})})
def openapi():
    return build_document()


# What an operation may answer instead of its JSON body: a report exported as a file.
FILE_MEDIA_TYPES = ("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


class ResponseMismatch(AssertionError):
    """A response the OpenAPI document does not describe (raised only with VALIDATE_RESPONSES)."""


@bp.after_request
def check_response_against_document(response):
    """With VALIDATE_RESPONSES (the tests), every answer must be documented for its operation
    (status, body schema, headers) exactly as the document says. A 500 passes through to the
    test that caused it: it is a bug to show with its traceback, not a documentation gap."""
    if not current_app.config.get("VALIDATE_RESPONSES") or request.url_rule is None:
        return response
    endpoint = request.url_rule.endpoint.removeprefix("api.")
    op = next((o for o in huika().operations if o.operation_id == endpoint), None)
    # OPTIONS and 405 belong to the path, not to one operation (routing.py).
    if op is None or request.method != op.method or response.status_code in (405, 500):
        return response
    documented = documented_responses(op)
    if response.status_code not in documented:
        raise ResponseMismatch(f"{op.operation_id} answered {response.status_code}, "
                               f"documented: {sorted(documented)}")
    for header in _HEADERS.get(response.status_code, {}):
        if header not in response.headers:
            raise ResponseMismatch(f"{op.operation_id} {response.status_code} without {header}")
    schema = documented[response.status_code][1]
    if schema is None or response.mimetype in FILE_MEDIA_TYPES:  # a report as a file
        return response
    problems = validate_against(response.get_json(), {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema})
    if problems:
        raise ResponseMismatch(f"{op.operation_id} {response.status_code}: {problems[:3]}")
    return response
