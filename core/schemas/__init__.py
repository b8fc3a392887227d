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

``validate_against(document, schema)`` compiles a validator on every call; to check many
documents against one schema, compile once with ``compile_validator(schema)`` and run
``problems_of(validator, document)`` (the same problems, same order).

The package, one job a module: ``registry`` (meta-schemas), ``problems`` (``SchemaProblem``,
pointers, plain messages, the integer-only rule), ``validation`` (the ECMA-262 validator class,
compiled validators, ``check_body``), ``documents`` (``validate_document`` and the checks beyond
JSON Schema) and ``defaults`` (``apply_defaults``). Import from ``core.schemas``.
"""
from __future__ import annotations

from .defaults import apply_defaults
from .documents import validate_document
from .problems import SchemaProblem
from .registry import META_KINDS, load_registry, meta_schema, meta_schema_id
from .validation import (
    Validator,
    check_body,
    compile_validator,
    meta_validator,
    problems_of,
    validate_against,
)

__all__ = [
    "META_KINDS",
    "SchemaProblem",
    "Validator",
    "apply_defaults",
    "check_body",
    "compile_validator",
    "load_registry",
    "meta_schema",
    "meta_schema_id",
    "meta_validator",
    "problems_of",
    "validate_against",
    "validate_document",
]
