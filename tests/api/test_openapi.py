"""The OpenAPI 3.1 document matches the routes the app serves."""
from __future__ import annotations

import re

from jsonschema import Draft202012Validator


def served_operations(app) -> set[tuple[str, str]]:
    operations = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        operations |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return operations


def test_document_lists_exactly_the_served_operations(app, client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"] == "3.1.0"
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert documented == served_operations(app)


def test_operation_ids_are_unique_and_path_parameters_declared(client):
    document = client.get("/api/v1/openapi.json").json
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    for path, item in document["paths"].items():
        names = set(re.findall(r"{(\w+)}", path))
        for op in item.values():
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == names, (path, op["operationId"])


def test_every_schema_in_the_document_is_valid_json_schema(client):
    document = client.get("/api/v1/openapi.json").json
    for item in document["paths"].values():
        for op in item.values():
            bodies = [op.get("requestBody", {}).get("content", {}).get("application/json", {})]
            bodies += [r.get("content", {}).get("application/json", {}) for r in op["responses"].values()]
            for body in bodies:
                if "schema" in body:
                    Draft202012Validator.check_schema(body["schema"])
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_urn_references_resolve_inside_the_document(client):
    document = client.get("/api/v1/openapi.json").json
    ids = {schema["$id"] for schema in document["components"]["schemas"].values()}
    refs = set(_refs(document))
    assert "urn:huika:core:merchant-config:v1" in refs
    for ref in refs:
        assert ref.startswith("#") or ref.split("#")[0] in ids, ref


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_responses_are_checked_against_the_document(app, client):
    # The tests run with VALIDATE_RESPONSES: an undocumented status is an error.
    assert app.config["VALIDATE_RESPONSES"] is True
    response = client.get("/api/v1/members")
    assert response.status_code == 401 and set(response.json["error"]) == {"code", "message", "details"}
