"""Checking a Huika document (a manifest, a merchant configuration, a screen...): its
meta-schema, then the few checks JSON Schema cannot express (unique keys inside lists of
objects, scopes that must name a property of the data schema, defaults that must satisfy their
own schema, consistent bounds and enum labels).
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable, Iterator

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing.exceptions import Unresolvable

from .problems import SchemaProblem, escape_pointer, merge_problems, number_problems, problem_from_error
from .validation import compile_validator, meta_validator

__all__ = ["validate_document"]


def validate_document(document: Any, kind: str) -> list[SchemaProblem]:
    """Every problem of ``document`` as a document of ``kind``, sorted by pointer.

    First the meta-schema of ``kind``; then the checks JSON Schema cannot express (see
    docs/formats.md, "Checks beyond JSON Schema"). An empty list means the document is valid.
    Raises ``ValueError`` for an unknown kind.
    """
    validator = meta_validator(kind)
    problems = [problem_from_error(error, document, meta=True) for error in validator.iter_errors(document)]
    extra = list(number_problems(document, ""))
    extra += list(_EXTRA_CHECKS.get(kind, _no_checks)(document))
    return merge_problems(problems, extra)


def _no_checks(document: Any) -> Iterator[SchemaProblem]:
    return iter(())


def _duplicates(items: Any, pointer: str, key: str, what: str) -> Iterator[SchemaProblem]:
    """One problem per repeated ``item[key]`` in the list ``items`` at ``pointer``."""
    if not isinstance(items, list):
        return
    first: dict[Any, int] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict) or key not in item:
            continue
        value = item[key]
        marker = json.dumps(value, sort_keys=True)  # hashable, and 1 != True
        if marker in first:
            yield SchemaProblem(
                f"{pointer}/{index}/{escape_pointer(key)}",
                f"duplicate {what} {value!r} (first at {pointer}/{first[marker]})",
            )
        else:
            first[marker] = index


def _check_field(field: Any, pointer: str = "") -> Iterator[SchemaProblem]:
    if not isinstance(field, dict):
        return
    yield from _duplicates(field.get("options"), f"{pointer}/options", "value", "option value")
    low, high = field.get("min"), field.get("max")
    if _is_int(low) and _is_int(high) and low > high:
        yield SchemaProblem(f"{pointer}/max", f"max {high} is less than min {low}")


def _check_manifest(manifest: Any) -> Iterator[SchemaProblem]:
    if not isinstance(manifest, dict):
        return
    yield from _duplicates(manifest.get("assets"), "/assets", "key", "asset key")
    yield from _duplicates(manifest.get("jobs"), "/jobs", "id", "job id")
    yield from _duplicates(manifest.get("reports"), "/reports", "id", "report id")
    dependencies = manifest.get("dependencies")
    if isinstance(dependencies, list) and manifest.get("id") in dependencies:
        index = dependencies.index(manifest["id"])
        yield SchemaProblem(f"/dependencies/{index}", "a plugin cannot depend on itself")


def _check_settings(schema: Any) -> Iterator[SchemaProblem]:
    yield from _check_value_schema(schema, "")


def _check_rules(document: Any) -> Iterator[SchemaProblem]:
    if not isinstance(document, dict):
        return
    rule_types = document.get("rule_types")
    yield from _duplicates(rule_types, "/rule_types", "type", "rule type")
    if isinstance(rule_types, list):
        for index, rule_type in enumerate(rule_types):
            if isinstance(rule_type, dict):
                yield from _check_value_schema(rule_type.get("params"),
                                               f"/rule_types/{index}/params")


def _check_screen(screen: Any, pointer: str = "") -> Iterator[SchemaProblem]:
    if not isinstance(screen, dict):
        return
    data_schema = screen.get("data_schema")
    yield from _check_value_schema(data_schema, f"{pointer}/data_schema")
    yield from _check_scopes(screen.get("ui"), data_schema, f"{pointer}/ui")


def _check_merchant_config(document: Any) -> Iterator[SchemaProblem]:
    if not isinstance(document, dict):
        return
    yield from _duplicates(document.get("plugins"), "/plugins", "id", "plugin id")
    yield from _duplicates(document.get("fields"), "/fields", "key", "field key")
    yield from _duplicates(document.get("tiers"), "/tiers", "key", "tier key")
    yield from _duplicates(document.get("tiers"), "/tiers", "rank", "tier rank")
    yield from _duplicates(document.get("card_kinds"), "/card_kinds", "key", "card kind key")
    yield from _duplicates(document.get("screens"), "/screens", "id", "screen id")
    for name, check in (("fields", _check_field), ("screens", _check_screen)):
        items = document.get(name)
        if isinstance(items, list):
            for index, item in enumerate(items):
                yield from check(item, f"/{name}/{index}")


_EXTRA_CHECKS: dict[str, Callable[[Any], Iterator[SchemaProblem]]] = {
    "field": _check_field,
    "manifest": _check_manifest,
    "settings": _check_settings,
    "rules": _check_rules,
    "screen": _check_screen,
    "merchant-config": _check_merchant_config,
}

_BOUNDS = (("minimum", "maximum"), ("minLength", "maxLength"), ("minItems", "maxItems"))
_TYPE_TESTS = {
    "integer": lambda value: _is_int(value),
    "string": lambda value: isinstance(value, str),
}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_value_schema(schema: Any, pointer: str) -> Iterator[SchemaProblem]:
    """Consistency of a (settings, params or data) value schema and of everything inside it."""
    if not isinstance(schema, dict):
        return
    properties = schema.get("properties")
    if isinstance(properties, dict):
        required = schema.get("required")
        if isinstance(required, list):
            for index, key in enumerate(required):
                if isinstance(key, str) and key not in properties:
                    yield SchemaProblem(f"{pointer}/required/{index}",
                                        f"{key!r} is required but is not one of the properties")
        for key, subschema in properties.items():
            yield from _check_value_schema(subschema, f"{pointer}/properties/{escape_pointer(key)}")
    yield from _check_value_schema(schema.get("items"), f"{pointer}/items")

    enum = schema.get("enum")
    kind = schema.get("type")
    test = _TYPE_TESTS.get(kind) if isinstance(kind, str) else None
    if isinstance(enum, list) and test is not None:
        for index, value in enumerate(enum):
            if not test(value):
                yield SchemaProblem(f"{pointer}/enum/{index}",
                                    f"{value!r} is not of the property's type {kind!r}")
    labels = schema.get("x-enum-labels")
    if isinstance(enum, list) and isinstance(labels, dict):
        names = [str(value) for value in enum]
        for key in labels:
            if key not in names:
                yield SchemaProblem(f"{pointer}/x-enum-labels/{escape_pointer(key)}",
                                    f"{key!r} is not one of the enum values")
        missing = [name for name in names if name not in labels]
        if missing:
            yield SchemaProblem(f"{pointer}/x-enum-labels",
                                f"no label for enum value(s) {', '.join(map(repr, missing))}")
    for low_key, high_key in _BOUNDS:
        low, high = schema.get(low_key), schema.get(high_key)
        if _is_int(low) and _is_int(high) and low > high:
            yield SchemaProblem(f"{pointer}/{high_key}", f"{high_key} {high} is less than "
                                                         f"{low_key} {low}")
    if "default" in schema:
        yield from _check_default(schema, pointer)


def _check_default(schema: dict, pointer: str) -> Iterator[SchemaProblem]:
    """The default must satisfy the schema it is the default of."""
    try:
        Draft202012Validator.check_schema(schema)
        validator = compile_validator(schema)
        errors = list(validator.iter_errors(schema["default"]))
    except (SchemaError, re.error, Unresolvable):
        return  # the meta-schema reports what is wrong with the schema itself
    for error in errors:
        problem = problem_from_error(error, schema["default"], prefix=f"{pointer}/default")
        yield SchemaProblem(problem.pointer, f"the default is invalid: {problem.message}")


def _scope_target(data_schema: Any, scope: str) -> dict | None:
    """The subschema a ``#/properties/a/properties/b`` scope names, or None."""
    target = data_schema
    for part in scope[2:].split("/")[1::2]:
        properties = target.get("properties") if isinstance(target, dict) else None
        if not isinstance(properties, dict) or not isinstance(properties.get(part), dict):
            return None
        target = properties[part]
    return target


def _check_scopes(element: Any, data_schema: Any, pointer: str) -> Iterator[SchemaProblem]:
    """Every Control scope and rule condition scope must name a property of the data schema."""
    if not isinstance(element, dict) or not isinstance(data_schema, dict):
        return
    scopes = []
    if element.get("type") == "Control":
        scopes.append((element.get("scope"), f"{pointer}/scope"))
    rule = element.get("rule")
    if isinstance(rule, dict) and isinstance(rule.get("condition"), dict):
        scopes.append((rule["condition"].get("scope"), f"{pointer}/rule/condition/scope"))
    for scope, where in scopes:
        if isinstance(scope, str) and scope.startswith("#/properties/") \
                and _scope_target(data_schema, scope) is None:
            yield SchemaProblem(where, f"scope {scope!r} names no property of the data schema")
    children = element.get("elements")
    if isinstance(children, list):
        for index, child in enumerate(children):
            yield from _check_scopes(child, data_schema, f"{pointer}/elements/{index}")
