"""Validating data against a schema: the one validator class (ECMA-262 patterns), compiled
validators, and the API's body check.

``compile_validator(schema)`` builds a validator once (registry, format checker, ECMA-262
patterns); ``problems_of(validator, document)`` runs it. ``validate_against(document, schema)``
does both on every call: fine for one-off checks, while a hot path keeps the compiled
validator (e.g. per merchant configuration version) and calls ``problems_of``.
"""
from __future__ import annotations

import functools
import json
import re
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError

from ..errors import Invalid
from .problems import SchemaProblem, merge_problems, number_problems, problem_from_error
from .registry import load_registry, meta_schema_id

__all__ = [
    "Validator",
    "check_body",
    "compile_validator",
    "meta_validator",
    "problems_of",
    "validate_against",
]


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


def compile_validator(schema: dict) -> Validator:
    """A validator of ``schema`` that can be kept and reused: Huika's ``Validator`` with the
    offline meta-schema registry (``$ref`` by URN) and the format checker. The schema is
    assumed to be valid (plugins are checked when they are loaded)."""
    return Validator(schema, registry=load_registry(),
                     format_checker=Draft202012Validator.FORMAT_CHECKER)


@functools.cache
def meta_validator(kind: str) -> Validator:
    """The compiled validator of the meta-schema of ``kind``, built once."""
    return compile_validator(load_registry().contents(meta_schema_id(kind)))


def problems_of(validator: Validator, document: Any, *, meta: bool = False) -> list[SchemaProblem]:
    """Every problem of ``document`` by a compiled ``validator``, plus the integer-only rule
    (floats and integers beyond 64 bits are refused anywhere), sorted by pointer."""
    problems = [problem_from_error(error, document, meta=meta) for error in validator.iter_errors(document)]
    return merge_problems(problems, list(number_problems(document, "")))


def validate_against(document: Any, schema: dict) -> list[SchemaProblem]:
    """Every problem of ``document`` against an arbitrary ``schema``, sorted by pointer.

    For data such as a merchant's settings for a plugin (against the plugin's settings schema)
    or a submitted screen (against its data schema). The schema may ``$ref`` the meta-schemas
    by URN. It is assumed to be a valid schema (plugins are checked when they are loaded).
    Floats are refused anywhere in ``document``: Huika counts in integers only; and so are
    integers beyond the signed 64 bits every integer column holds.
    """
    return problems_of(compile_validator(schema), document)


_REQUIRED = re.compile(r"^'([^']+)' is a required property\Z")
_UNEXPECTED = re.compile(r"\((.*) (?:was|were) unexpected\)")


# A compiled jsonschema-rs validator per schema object, for the question "any problem at
# all?" on every API request (about 1 us against 150 us for the Python validator). Only a
# clean "valid" is taken from it; anything else goes to the Python validator, which names
# the problems and stays the authority. Schemas with $ref (the meta-schemas by URN) are
# left to the Python validator.
_QUICK: dict[int, tuple[dict, Any]] = {}
_QUICK_LIMIT = 512  # schemas built per call (plugin settings) must not grow it for ever


def _quick_validator(schema: dict):
    entry = _QUICK.get(id(schema))
    if entry is not None and entry[0] is schema:
        return entry[1]
    compiled = None
    if "$ref" not in json.dumps(schema, default=str):
        try:
            compiled = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
        except Exception:  # a schema it cannot read: the Python validator decides alone
            compiled = None
    if len(_QUICK) >= _QUICK_LIMIT:
        _QUICK.clear()
    _QUICK[id(schema)] = (schema, compiled)
    return compiled


def surely_valid(document: Any, schema: dict) -> bool:
    """True when ``document`` certainly has no problem against ``schema`` (the fast validator
    finds none, nor the integer-only rule); False means: ask ``validate_against``."""
    compiled = _quick_validator(schema)
    if compiled is None:
        return False
    try:
        valid = compiled.is_valid(document)
    except Exception:  # e.g. a value it cannot convert
        return False
    return valid and not any(True for _ in number_problems(document, ""))


def check_body(body: Any, schema: dict, message: str) -> Any:
    """``body`` if it is valid against ``schema``, else ``core.errors.Invalid(message)`` naming
    every problem by JSON pointer: a missing property and each unknown property at its own
    pointer (``/payment/method``: "required"), so a form can mark the very field."""
    if surely_valid(body, schema):
        return body
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
