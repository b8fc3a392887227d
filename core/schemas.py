"""The schema registry: Huika's meta-schemas, offline, and validation with JSON Pointers.

Every document format (docs/formats.md) has a JSON Schema 2020-12 meta-schema in ``schemas/``
whose ``$id`` is an offline URN (``urn:huika:core:<kind>:v1``). They are loaded once into a
``referencing.Registry`` that has no retrieval function, so a ``$ref`` is resolved from the
registry or fails: nothing is ever fetched over the network.

``validate_document`` checks a document against the meta-schema of its kind and then runs the
few checks JSON Schema cannot express (unique keys inside lists of objects, scopes that must
name a property of the data schema, defaults that must satisfy their own schema, no floats at
all). Every problem comes back as a ``SchemaProblem`` with the JSON Pointer of the offending
value, so a message can say exactly where to look.
"""
from __future__ import annotations

import copy
import functools
import json
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import SchemaError, ValidationError
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from schemas import SCHEMA_DIR

from .errors import Invalid
from .text import VISIBLE_PATTERN, int64_problem

__all__ = [
    "META_KINDS",
    "SchemaProblem",
    "apply_defaults",
    "load_registry",
    "meta_schema",
    "meta_schema_id",
    "validate_against",
    "validate_document",
]

META_KINDS: tuple[str, ...] = (
    "i18n-text",
    "field",
    "manifest",
    "settings",
    "rules",
    "screen",
    "merchant-config",
    "starter",
)


@dataclass(frozen=True)
class SchemaProblem:
    """One reason a document is invalid.

    ``pointer`` is the JSON Pointer (RFC 6901) of the offending value, ``""`` for the whole
    document; ``message`` says what is wrong with it.
    """

    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer or '(document)'}: {self.message}"


def meta_schema_id(kind: str) -> str:
    """The ``$id`` of the meta-schema of ``kind`` (one of ``META_KINDS``)."""
    if kind not in META_KINDS:
        raise ValueError(f"unknown document kind {kind!r}; expected one of {', '.join(META_KINDS)}")
    return f"urn:huika:core:{kind}:v1"


@functools.cache
def load_registry() -> Registry:
    """A registry holding every meta-schema of ``schemas/``, keyed by its URN ``$id``.

    The registry has no retrieval function: a reference that is not in it raises
    ``referencing.exceptions.Unresolvable`` instead of reaching for the network.
    """
    resources: list[tuple[str, Resource]] = []
    for kind in META_KINDS:
        path = SCHEMA_DIR / f"{kind}.schema.json"
        contents = json.loads(path.read_text(encoding="utf-8"))
        expected = meta_schema_id(kind)
        if contents.get("$id") != expected:
            raise RuntimeError(f"{path}: $id is {contents.get('$id')!r}, expected {expected!r}")
        resources.append((expected, DRAFT202012.create_resource(contents)))
    return Registry().with_resources(resources).crawl()


def meta_schema(kind: str) -> dict:
    """A copy of the meta-schema of ``kind`` (one of ``META_KINDS``)."""
    return copy.deepcopy(load_registry().contents(meta_schema_id(kind)))


def validate_document(document: Any, kind: str) -> list[SchemaProblem]:
    """Every problem of ``document`` as a document of ``kind``, sorted by pointer.

    First the meta-schema of ``kind``; then the checks JSON Schema cannot express (see
    docs/formats.md, "Checks beyond JSON Schema"). An empty list means the document is valid.
    Raises ``ValueError`` for an unknown kind.
    """
    validator = _meta_validator(kind)
    problems = [_problem(error, document, meta=True) for error in validator.iter_errors(document)]
    extra = list(_numbers(document, ""))
    extra += list(_EXTRA_CHECKS.get(kind, _no_checks)(document))
    return _merge(problems, extra)


@functools.cache
def _ecma_regex(pattern: str) -> re.Pattern:
    """``pattern`` with ECMA-262's ``$``: the very end of the text only. Python's ``$`` also
    matches before a final newline, so ``"8001\\n"`` passed ``^[0-9]{4}$`` and a key or card
    number could be stored with a newline no later lookup finds."""
    return re.compile(re.sub(r"(?<!\\)\$", r"\\Z", pattern))


def _ecma_pattern(validator, pattern: str, instance: Any, _schema: dict):
    if validator.is_type(instance, "string") and not _ecma_regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


# JSON Schema's patterns are ECMA-262 regular expressions (2020-12, 6.3.3): one validator
# class that reads them so, for every document the core checks.
Validator = validators.extend(Draft202012Validator, {"pattern": _ecma_pattern})


def validate_against(document: Any, schema: dict) -> list[SchemaProblem]:
    """Every problem of ``document`` against an arbitrary ``schema``, sorted by pointer.

    For data such as a merchant's settings for a plugin (against the plugin's settings schema)
    or a submitted screen (against its data schema). The schema may ``$ref`` the meta-schemas
    by URN. It is assumed to be a valid schema (plugins are checked when they are loaded).
    Floats are refused anywhere in ``document``: Huika counts in integers only; and so are
    integers beyond the signed 64 bits every integer column holds.
    """
    validator = Validator(
        schema, registry=load_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    problems = [_problem(error, document) for error in validator.iter_errors(document)]
    return _merge(problems, list(_numbers(document, "")))


_REQUIRED = re.compile(r"^'([^']+)' is a required property\Z")
_UNEXPECTED = re.compile(r"\((.*) (?:was|were) unexpected\)")


def check_body(body: Any, schema: dict, message: str) -> Any:
    """``body`` if it is valid against ``schema``, else ``core.errors.Invalid(message)`` naming
    every problem by JSON pointer: a missing property and each unknown property at its own
    pointer (``/payment/method``: "required"), so a form can mark the very field."""
    problems = []
    for found in validate_against(body, schema):
        required = _REQUIRED.match(found.message)
        unexpected = _UNEXPECTED.search(found.message)
        if required:
            problems.append({"pointer": f"{found.pointer}/{required.group(1)}", "message": "required"})
        elif unexpected:
            # Names are repr()s: 'a', "it's", and '' (an empty name is a property too).
            names = [single or double for single, double in
                     re.findall(r"'([^']*)'|\"([^\"]*)\"", unexpected.group(1))]
            problems += [{"pointer": f"{found.pointer}/{name}", "message": "unknown property"}
                         for name in names] or [{"pointer": found.pointer or "/", "message": found.message}]
        else:
            problems.append({"pointer": found.pointer or "/", "message": found.message})
    if problems:
        raise Invalid(message, details=problems)
    return body


def apply_defaults(schema: dict, data: dict) -> dict:
    """A copy of ``data`` where every missing property that has a ``default`` takes it.

    Recurses into object values (given or just defaulted) whose schema has ``properties``,
    and into the elements of arrays whose schema has ``items``, so nested defaults are filled
    in too. ``$ref``s are followed through the registry (so this also works with the
    meta-schemas, e.g. for a merchant configuration). ``data`` itself is never modified; a
    value that is not an object is returned as a copy, unchanged, for validation to report.
    """
    result = copy.deepcopy(data)
    resolver = load_registry().resolver(base_uri=_base_uri(schema))
    _fill_defaults(schema, resolver, result, depth=0)
    return result


# -- meta-schema validation -----------------------------------------------------------------

@functools.cache
def _meta_validator(kind: str) -> Draft202012Validator:
    registry = load_registry()
    schema = registry.contents(meta_schema_id(kind))
    return Validator(
        schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def _escape(part: Any) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def _pointer(parts: Iterable[Any]) -> str:
    return "".join("/" + _escape(part) for part in parts)


def _problem(error: ValidationError, document: Any = None, prefix: str = "",
             meta: bool = False) -> SchemaProblem:
    path = list(error.absolute_path)
    message = error.message
    forbidden = (error.validator == "not" and error.validator_value == {}) or (
        error.validator is None and error.schema is False)
    if forbidden:
        # The meta-schemas forbid a property with ``{"not": {}}``: say so plainly, naming the
        # sibling ``type`` (or ``kind``) that rules it out.
        if path and isinstance(path[-1], str):
            message = f"{path[-1]!r} is not allowed here"
            parent = _at(document, path[:-1])
            for selector in ("type", "kind"):
                if isinstance(parent, dict) and isinstance(parent.get(selector), str):
                    message = f"{path[-1]!r} is not allowed when {selector} is {parent[selector]!r}"
                    break
        else:
            message = "this value is not allowed here"
    elif error.validator == "pattern":
        if error.validator_value in _PATTERN_MESSAGES:
            message = f"{error.instance!r} {_PATTERN_MESSAGES[error.validator_value]}"
        elif meta and isinstance(error.schema, dict) \
                and isinstance(error.schema.get("description"), str):
            # The meta-schemas describe each pattern in words; a raw regex helps nobody.
            message = f"{error.instance!r} is not valid here: expected {error.schema['description']}"
    elif error.validator == "const" and error.validator_value is False and path \
            and path[-1] == "additionalProperties":
        message = "additionalProperties must be false: objects here are closed"
    return SchemaProblem(prefix + _pointer(path), message)


# Plain words for the patterns people meet most (a raw regex helps nobody in the editor).
_PATTERN_MESSAGES = {
    "\\S": "is blank",
    VISIBLE_PATTERN: "has no visible character (only spaces, zero-width or direction marks)",
    "^[a-z][a-z0-9_]{0,39}$": "is not a slug (a lower-case letter, then at most 39 lower-case "
                              "letters, digits or underscores)",
}


def _at(document: Any, path: list) -> Any:
    """The value at ``path`` inside ``document`` (None if there is none)."""
    for part in path:
        try:
            document = document[part]
        except (KeyError, IndexError, TypeError):
            return None
    return document


def _sort_key(problem: SchemaProblem) -> tuple:
    # Natural order: /tiers/2 before /tiers/10.
    parts = problem.pointer.split("/")[1:]
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts), problem.message


def _merge(problems: list[SchemaProblem], extra: list[SchemaProblem]) -> list[SchemaProblem]:
    """Schema problems plus extra ones not at a pointer the schema already complained about."""
    seen = {p.pointer for p in problems}
    merged = set(problems) | {p for p in extra if p.pointer not in seen}
    return sorted(merged, key=_sort_key)


# -- checks beyond JSON Schema ------------------------------------------------------------------

def _no_checks(document: Any) -> Iterator[SchemaProblem]:
    return iter(())


def _numbers(value: Any, pointer: str) -> Iterator[SchemaProblem]:
    """Floats anywhere (JSON Schema counts 1.0 as an integer, Huika does not), and integers
    no 64-bit column can hold."""
    if isinstance(value, float):
        yield SchemaProblem(pointer, f"{value!r} is not an integer: Huika never uses floats "
                                     "(money is integer fen, rates integer per-mille)")
    elif isinstance(value, int) and not isinstance(value, bool) and int64_problem(value):
        yield SchemaProblem(pointer, f"{value} is out of range: {int64_problem(value)}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _numbers(item, f"{pointer}/{_escape(key)}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _numbers(item, f"{pointer}/{index}")


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
                f"{pointer}/{index}/{_escape(key)}",
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
            yield from _check_value_schema(subschema, f"{pointer}/properties/{_escape(key)}")
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
                yield SchemaProblem(f"{pointer}/x-enum-labels/{_escape(key)}",
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
        validator = Validator(
            schema, registry=load_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        errors = list(validator.iter_errors(schema["default"]))
    except (SchemaError, re.error, Unresolvable):
        return  # the meta-schema reports what is wrong with the schema itself
    for error in errors:
        problem = _problem(error, schema["default"], prefix=f"{pointer}/default")
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


# -- defaults ---------------------------------------------------------------------------------

_MAX_DEPTH = 50  # against reference cycles in a schema


def _base_uri(schema: Any) -> str:
    return schema.get("$id", "") if isinstance(schema, dict) else ""


def _layers(schema: Any, resolver, depth: int) -> list[tuple[dict, Any]]:
    """``schema`` and what its ``$ref`` chain points to, each with the resolver to use there."""
    layers = []
    while isinstance(schema, dict) and len(layers) < _MAX_DEPTH - depth:
        if "$id" in schema:
            resolver = resolver.in_subresource(DRAFT202012.create_resource(schema))
        layers.append((schema, resolver))
        ref = schema.get("$ref")
        if not isinstance(ref, str):
            break
        try:
            resolved = resolver.lookup(ref)
        except Unresolvable:
            break
        schema, resolver = resolved.contents, resolved.resolver
    return layers


def _fill_defaults(schema: Any, resolver, value: Any, depth: int) -> None:
    if depth >= _MAX_DEPTH:
        return
    layers = _layers(schema, resolver, depth)
    if isinstance(value, dict):
        seen: set[str] = set()
        for layer, layer_resolver in layers:
            properties = layer.get("properties")
            if not isinstance(properties, dict):
                continue
            for key, subschema in properties.items():
                if key in seen:
                    continue
                seen.add(key)
                sub_layers = _layers(subschema, layer_resolver, depth + 1)
                if key not in value:
                    default = next((s["default"] for s, _ in sub_layers if "default" in s), _MISSING)
                    if default is _MISSING:
                        continue
                    value[key] = copy.deepcopy(default)
                _fill_defaults(subschema, layer_resolver, value[key], depth + 1)
    elif isinstance(value, list):
        for layer, layer_resolver in layers:
            items = layer.get("items")
            if isinstance(items, dict):
                for element in value:
                    _fill_defaults(items, layer_resolver, element, depth + 1)
                break


_MISSING = object()
