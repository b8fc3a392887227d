"""SELECTs run on every request, compiled once per dialect and sent straight to the driver.

SQLAlchemy's execution path (compiled-cache lookup, parameter processing, events, result
set-up) costs about ten times what SQLite spends answering the bearer-token check, which
every API request makes (issue 11, F4). A ``Prebuilt`` statement takes that path only when it
must: its SQL is compiled once per dialect, and when neither its parameters nor its columns
need type processing there, it runs on the connection's DBAPI cursor and gives plain tuples.
Otherwise (or on an ORM session) it runs through SQLAlchemy as usual. ``rows`` gives every
row as the driver sends it together with each column's result processor, so a caller reading
many rows (a page of members) converts only the values it keeps, without SQLAlchemy's
per-row set-up (issue 11, F4).

On the driver's cursor the statement runs in the connection's transaction when one is open,
else on its own (SQLite: a single statement is its own consistent read; PostgreSQL: the
driver opens the transaction, and the connection rolls it back when it is given back to the
pool, as always). Driver errors come out as SQLAlchemy's ``DBAPIError`` like any other.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select


class Prebuilt:
    def __init__(self, statement: Select) -> None:
        self.statement = statement
        # (dialect class, paramstyle) -> (sql, parameter names, positional) or None
        # (None: this dialect needs SQLAlchemy's type processing: execute as usual).
        self._compiled: dict[tuple, tuple[str, tuple, bool] | None] = {}
        # the same for ``rows`` (column processors allowed: the caller applies them), with
        # each column's result processor (None: the driver's value is the value)
        self._compiled_rows: dict[tuple, tuple[str, tuple, bool, tuple] | None] = {}

    def first(self, connection: Connection | Session, parameters: dict[str, Any]) -> tuple | None:
        """The first row of the statement (a tuple, or a Row on the usual path), or None."""
        if not isinstance(connection, Connection):
            return connection.execute(self.statement, parameters).first()
        dialect = connection.dialect
        key = (type(dialect), dialect.paramstyle)
        try:
            compiled = self._compiled[key]
        except KeyError:
            compiled = self._compiled[key] = self._compile(dialect)
        if compiled is None:
            return connection.execute(self.statement, parameters).first()
        return _run(connection, compiled, parameters, fetch_all=False)

    def rows(self, connection: Connection | Session,
             parameters: dict[str, Any]) -> tuple[list, tuple] | None:
        """(every row as the driver gives it, each column's result processor or None), or None
        when this statement cannot skip SQLAlchemy here (an ORM session, or parameters that
        need type processing): then execute ``statement`` as usual. A processor is called
        with a value that is not None."""
        if not isinstance(connection, Connection):
            return None
        dialect = connection.dialect
        key = (type(dialect), dialect.paramstyle)
        try:
            compiled = self._compiled_rows[key]
        except KeyError:
            compiled = self._compiled_rows[key] = self._compile(dialect, keep_processors=True)
        if compiled is None:
            return None
        return _run(connection, compiled, parameters, fetch_all=True), compiled[3]

    def processors(self, dialect) -> tuple | None:
        """Each column's result processor on ``dialect`` (None: the driver's value is the
        value), as ``rows`` gives them; None when the statement cannot skip SQLAlchemy."""
        key = (type(dialect), dialect.paramstyle)
        try:
            compiled = self._compiled_rows[key]
        except KeyError:
            compiled = self._compiled_rows[key] = self._compile(dialect, keep_processors=True)
        return None if compiled is None else compiled[3]

    def _compile(self, dialect, keep_processors: bool = False) -> tuple | None:
        compiled = self.statement.compile(dialect=dialect)
        if compiled.literal_execute_params or compiled.post_compile_params:
            return None  # rendered per call
        if any(bind.type._cached_bind_processor(dialect) for bind in compiled.binds.values()):
            return None
        processors = tuple(column.type._cached_result_processor(dialect, None)
                           for column in self.statement.selected_columns)
        if any(processors) and not keep_processors:
            return None
        by_name = {name: bind for bind, name in compiled.bind_names.items()}
        order = compiled.positiontup if compiled.positional else list(by_name)
        # (name in the SQL, key the caller passes, value when the caller passes none)
        names = tuple((name, by_name[name].key, by_name[name].value) for name in order)
        found = (str(compiled), names, bool(compiled.positional))
        return found + (processors,) if keep_processors else found


def _run(connection: Connection, compiled: tuple, parameters: dict[str, Any], fetch_all: bool):
    sql, names, positional = compiled[:3]
    if positional:
        values = tuple(parameters.get(key, default) for _name, key, default in names)
    else:
        values = {name: parameters.get(key, default) for name, key, default in names}
    dialect = connection.dialect
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, values)
        return cursor.fetchall() if fetch_all else cursor.fetchone()
    except dialect.loaded_dbapi.Error as error:
        raise DBAPIError.instance(sql, values, error, dialect.loaded_dbapi.Error,
                                  dialect=dialect) from error
    finally:
        cursor.close()
