"""The OpenAPI 3.1 document, built from the declared operations."""
from __future__ import annotations

import re

from flask import current_app, request

from core.schemas import load_registry, validate_against

from . import bp, schemas
from ..extension import huika
from .operations import operation

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
_PARAM_TYPES = {"int": {"type": "integer"}, None: {"type": "string"}, "string": {"type": "string"}}


def openapi_path(rule: str) -> str:
    """Flask's ``/members/<int:member_id>`` as OpenAPI's ``/members/{member_id}``."""
    return _CONVERTER.sub(lambda m: "{" + m.group(2) + "}", rule)


def build_document() -> dict:
    paths: dict = {}
    for op in huika().operations:
        path = bp.url_prefix + openapi_path(op.rule)
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": _PARAM_TYPES.get(kind, {"type": "string"})}
            for kind, name in _CONVERTER.findall(op.rule)
        ]
        parameters += [{"name": name, "in": "query", "required": False, "schema": schema,
                        "description": description} for name, schema, description in op.query]
        responses = {
            str(status): {"description": description,
                          **({"content": {"application/json": {"schema": schema}}} if schema else {})}
            for status, (description, schema) in sorted(op.responses.items())
        }
        if not op.public:
            responses.setdefault("401", {"description": "Missing or unknown token",
                                         "content": {"application/json": {"schema": schemas.ERROR}}})
            responses.setdefault("403", {"description": "The caller's role may not do this",
                                         "content": {"application/json": {"schema": schemas.ERROR}}})
        for status, description in edge_responses(op).items():  # webui/guards.py, before the view
            responses.setdefault(str(status), {"description": description,
                                               "content": {"application/json": {"schema": schemas.ERROR}}})
        responses.setdefault("429", {
            "description": "Too many requests with a refused token from this client; retry after "
                           "the Retry-After header's seconds",
            "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
            "content": {"application/json": {"schema": schemas.ERROR}}})
        entry = {"operationId": op.operation_id, "summary": op.summary, "tags": [op.tag],
                 "responses": responses}
        if parameters:
            entry["parameters"] = parameters
        if op.idempotent:
            entry["parameters"] = [*entry.get("parameters", []), {
                "name": "Idempotency-Key", "in": "header", "required": True,
                "schema": {"type": "string", "maxLength": 100},
                "description": "a new random value per operation; the same value when retrying it"}]
        if op.plugin:
            entry["x-huika-plugin"] = op.plugin
        if op.request_schema is not None:
            entry["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": op.request_schema}}}
        if op.public:
            entry["security"] = []
        paths.setdefault(path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "Huika (会卡) API", "version": "1",
                 "description": "Membership cards, members, tiers and merchant configuration. "
                                "Money is integer fen. Errors: {\"error\": {code, message, details}}."},
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            # The meta-schemas carry their URN $id, so "$ref": "urn:huika:…" resolves in here.
            "schemas": _meta_schemas(),
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }


def edge_responses(op) -> dict:
    """What webui/guards.py answers before ``op`` runs: 413 for a body past the limit, 422 for
    a query parameter out of its declared range."""
    found = {}
    if op.request_schema is not None:
        found[413] = "The body is larger than the server's limit (1 MB by default)"
    if op.query:
        found[422] = "A query parameter is out of its range or holds a control character"
    return found


def _meta_schemas() -> dict:
    registry = load_registry()
    return {uri.split(":")[-2]: registry[uri].contents for uri in sorted(registry)
            if uri.startswith("urn:huika:")}


@operation("/openapi.json", "GET", operation_id="openapi", tag="meta", public=True,
           summary="This document", responses={200: ("OpenAPI 3.1 document", {"type": "object"})})
def openapi():
    return build_document()


class ResponseMismatch(AssertionError):
    """A response the OpenAPI document does not describe (raised only with VALIDATE_RESPONSES)."""


@bp.after_request
def check_response_against_document(response):
    """With VALIDATE_RESPONSES (the tests), every JSON answer must match its documented schema."""
    if not current_app.config.get("VALIDATE_RESPONSES") or request.url_rule is None:
        return response
    endpoint = request.url_rule.endpoint.removeprefix("api.")
    op = next((o for o in huika().operations if o.operation_id == endpoint), None)
    if op is None:
        return response
    statuses = {*op.responses, *(() if op.public else (401, 403)), *edge_responses(op), 400, 429, 500, 503}
    if op.request_schema is not None:
        statuses.add(422)
    if response.status_code not in statuses:
        raise ResponseMismatch(f"{op.operation_id} answered {response.status_code}, "
                               f"documented: {sorted(statuses)}")
    description = op.responses.get(response.status_code)
    schema = description[1] if description else schemas.ERROR
    if schema is None:
        return response
    problems = validate_against(response.get_json(), {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema})
    if problems:
        raise ResponseMismatch(f"{op.operation_id} {response.status_code}: {problems[:3]}")
    return response

