"""Members' extra field values (``members.extra``, JSON) in SQL, the same on both databases.

Each construct reads one key and yields NULL when the stored value is not of the expected
JSON type, so a value stored before a field changed type never breaks a query (PostgreSQL
would refuse to cast 'abc' to a number). Keys are field slugs (``^[a-z][a-z0-9_]*$``),
checked again here because they are rendered into the SQL text.
"""
from __future__ import annotations

import re

from sqlalchemy import Boolean, Numeric, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

_SLUG = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class _JsonKey(FunctionElement):
    inherit_cache = False  # the key is rendered into the SQL: no shared cache entry

    def __init__(self, column: ColumnElement, key: str, *extra):
        if not _SLUG.match(key):
            raise ValueError(f"not a field key: {key!r}")
        self.key = key
        super().__init__(column, *extra)


class json_text(_JsonKey):
    """The value as text when it is a JSON string."""
    type = String()
    name = "json_text"
    inherit_cache = False


class json_number(_JsonKey):
    """The value as a number when it is a JSON number."""
    type = Numeric()
    name = "json_number"
    inherit_cache = False


class json_true(_JsonKey):
    """True when the value is JSON true."""
    type = Boolean()
    name = "json_true"
    inherit_cache = False


class json_present(_JsonKey):
    """True when the key holds a value other than null, "" or []."""
    type = Boolean()
    name = "json_present"
    inherit_cache = False


class json_array_has(_JsonKey):
    """True when the value is an array holding the string given as the second argument."""
    type = Boolean()
    name = "json_array_has"
    inherit_cache = False


def _column(element, compiler, **kw) -> str:
    return compiler.process(list(element.clauses)[0], **kw)


def _path(element) -> str:
    return f"'$.\"{element.key}\"'"


@compiles(json_text, "sqlite")
def _text_sqlite(element, compiler, **kw):
    column, path = _column(element, compiler, **kw), _path(element)
    return f"(CASE WHEN json_type({column}, {path}) = 'text' THEN json_extract({column}, {path}) END)"


@compiles(json_text, "postgresql")
def _text_postgresql(element, compiler, **kw):
    column = _column(element, compiler, **kw)
    return f"(CASE WHEN jsonb_typeof({column} -> '{element.key}') = 'string' THEN {column} ->> '{element.key}' END)"


@compiles(json_number, "sqlite")
def _number_sqlite(element, compiler, **kw):
    column, path = _column(element, compiler, **kw), _path(element)
    return (f"(CASE WHEN json_type({column}, {path}) IN ('integer', 'real') "
            f"THEN json_extract({column}, {path}) END)")


@compiles(json_number, "postgresql")
def _number_postgresql(element, compiler, **kw):
    column = _column(element, compiler, **kw)
    return (f"(CASE WHEN jsonb_typeof({column} -> '{element.key}') = 'number' "
            f"THEN CAST({column} ->> '{element.key}' AS NUMERIC) END)")


@compiles(json_true, "sqlite")
def _true_sqlite(element, compiler, **kw):
    return f"(COALESCE(json_type({_column(element, compiler, **kw)}, {_path(element)}), '') = 'true')"


@compiles(json_true, "postgresql")
def _true_postgresql(element, compiler, **kw):
    return f"(COALESCE({_column(element, compiler, **kw)} -> '{element.key}' = 'true'::jsonb, false))"


@compiles(json_present, "sqlite")
def _present_sqlite(element, compiler, **kw):
    column, path = _column(element, compiler, **kw), _path(element)
    return (f"(COALESCE(json_type({column}, {path}), 'null') <> 'null' "
            f"AND COALESCE(json_extract({column}, {path}), 'x') NOT IN ('', '[]'))")


@compiles(json_present, "postgresql")
def _present_postgresql(element, compiler, **kw):
    column = _column(element, compiler, **kw)
    value = f"{column} -> '{element.key}'"
    return f"(COALESCE(jsonb_typeof({value}), 'null') <> 'null' AND {value} NOT IN ('\"\"'::jsonb, '[]'::jsonb))"


@compiles(json_array_has, "sqlite")
def _array_has_sqlite(element, compiler, **kw):
    column, wanted = [compiler.process(clause, **kw) for clause in element.clauses]
    path = _path(element)
    return (f"(json_type({column}, {path}) = 'array' AND EXISTS (SELECT 1 FROM json_each({column}, {path}) "
            f"AS item WHERE item.value = {wanted}))")


@compiles(json_array_has, "postgresql")
def _array_has_postgresql(element, compiler, **kw):
    column, wanted = [compiler.process(clause, **kw) for clause in element.clauses]
    value = f"{column} -> '{element.key}'"
    return f"(jsonb_typeof({value}) = 'array' AND {value} ? {wanted})"
