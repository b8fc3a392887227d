"""Statements compiled once per dialect and sent straight to the driver: the checkout's
writes and reads, and the reads every API request makes (the bearer-token check, member
lookups).

SQLAlchemy's execution path (compiled-cache lookup, parameter processing, execution context,
result set-up) costs two to three times what the driver spends on each of a checkout's dozen
Core statements, and that time is spent holding SQLite's write lock (issue 11, item 2); it
costs about ten times what SQLite spends answering the bearer-token check, which every API
request makes, and more than the SQL of a page of members (issue 11, F4). A
``DirectStatement`` (an INSERT or UPDATE returning at most one column, or a SELECT) compiles
its statement once per dialect and set of parameter names, exactly as SQLAlchemy would
(``column_keys`` = the sorted names of the first parameter set), keeps each parameter's bind
processor (JSON, UTC datetimes, dates) and each selected column's result processor, and runs
it on the connection's DBAPI cursor. ``raw_rows`` gives a SELECT's rows as the driver sends
them with each column's processor, so a caller reading many rows (a page of members)
converts only the values it keeps (``convert``).

On the driver's cursor a statement runs in the connection's transaction when one is open
(the checkout's write transaction), else on its own (a request's read connection: on SQLite
a single statement is its own consistent read; on PostgreSQL the driver opens a transaction
that SQLAlchemy does not track: core.db.end_read ends it with a COMMIT, and a connection
given back to the pool is rolled back as always).

It takes SQLAlchemy's usual path whenever it cannot do exactly what that path does: it is
given an ORM Session (which flushes first and runs in its own transaction); the statement
needs a Python-side column default or onupdate, renders parameters per call (an expanding
IN, literal_execute), or returns columns that need result processing from an INSERT or
UPDATE; the connection logs its statements (echo); or an ``after_cursor_execute`` listener
waits for it. ``before_cursor_execute`` listeners (the bench's statement counter) are called
as SQLAlchemy calls them, with no execution context (None), and what they return is what
runs. Driver errors go through SQLAlchemy's own handling, so they come out as the usual
``sqlalchemy.exc`` classes and a lost connection is invalidated as always.
"""
from __future__ import annotations

import re
from operator import methodcaller
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

_USUAL = None  # a compiled form that says: take SQLAlchemy's usual path
# At most this many rows (and parameters) in one multi-row INSERT (SQLAlchemy's defaults);
# more go as the driver's executemany.
_MANY_VALUES_ROWS, _MANY_VALUES_PARAMETERS = 1000, 32700


class DirectStatement:
    """An INSERT or UPDATE (optionally RETURNING one column), or a SELECT (``first``,
    ``rows``, ``raw_rows``), run on the DBAPI cursor of a Connection; on an ORM Session it
    runs through the session as usual."""

    __slots__ = ("statement", "_is_select", "_compiled", "_result_processors")

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._is_select = bool(statement.is_select)
        # (dialect class, paramstyle, parameter names as given or None for a SELECT,
        # executemany) -> _Compiled, or _USUAL
        self._compiled: dict[tuple, _Compiled | None] = {}
        self._result_processors: dict[type, tuple] = {}  # dialect class -> a SELECT's

    def scalar(self, connection: Connection | Session, parameters: dict[str, Any]):
        """Run once: the first column of the first row returned, or None (no row, or no
        RETURNING)."""
        compiled, listening = self._compiled_for(connection, parameters, False)
        if compiled is _USUAL:
            return connection.execute(self.statement, parameters).scalar()
        row = _on_cursor(connection, listening, compiled.sql, compiled.values(parameters),
                         False, _first_row)
        return None if row is None else row[0]

    def first(self, connection: Connection | Session, parameters: dict[str, Any]) -> tuple | None:
        """The first row of a SELECT, each value converted as SQLAlchemy's result would, or
        None."""
        compiled, listening = self._compiled_for(connection, parameters, False)
        if compiled is _USUAL:
            row = connection.execute(self.statement, parameters).first()
            return None if row is None else tuple(row)
        row = _on_cursor(connection, listening, compiled.sql, compiled.values(parameters),
                         False, _fetch_one)
        if row is None or not compiled.converts:
            return row
        return convert(row, compiled.result_processors)

    def rows(self, connection: Connection | Session, parameters: dict[str, Any]) -> list[tuple]:
        """Every row of a SELECT, each value converted as SQLAlchemy's result would."""
        rows, processors = self.raw_rows(connection, parameters)
        if not any(processors):
            return rows
        return [convert(row, processors) for row in rows]

    def raw_rows(self, connection: Connection | Session,
                 parameters: dict[str, Any]) -> tuple[list[tuple], tuple]:
        """Every row of a SELECT as the driver gives it, and each column's result processor
        (None: the driver's value is the value): a caller converts only what it reads
        (``convert``). On SQLAlchemy's path the rows come converted, the processors None."""
        compiled, listening = self._compiled_for(connection, parameters, False)
        if compiled is _USUAL:
            rows = [tuple(row) for row in connection.execute(self.statement, parameters)]
            return rows, (None,) * len(self.statement.selected_columns)
        rows = _on_cursor(connection, listening, compiled.sql, compiled.values(parameters),
                          False, _all_rows)
        return rows, compiled.result_processors

    def result_processors(self, dialect) -> tuple:
        """Each selected column's result processor on ``dialect`` (None: the driver's value is
        the value), as ``raw_rows`` gives them with the driver's rows."""
        key = type(dialect)
        found = self._result_processors.get(key)
        if found is None:
            found = self._result_processors[key] = tuple(
                column.type._cached_result_processor(dialect, None)
                for column in self.statement.selected_columns)
        return found

    def execute_many(self, connection: Connection | Session, rows: list[dict[str, Any]]) -> None:
        """Run once per parameter set (the driver's executemany); nothing is returned. The
        sets must all name the same parameters."""
        if not rows:
            return
        names = rows[0].keys()
        if any(row.keys() != names for row in rows):
            # SQLAlchemy refuses a set missing a value; here it would be sent as NULL.
            raise ValueError("every parameter set of an executemany must name the same parameters")
        compiled, listening = self._compiled_for(connection, rows[0], len(rows) > 1)
        if compiled is _USUAL:
            connection.execute(self.statement, rows)
            return
        sql, many = compiled.sql, len(rows) > 1
        if (many and compiled.values_clause is not None and len(rows) <= _MANY_VALUES_ROWS
                and len(rows) * len(compiled.keys) <= _MANY_VALUES_PARAMETERS):
            # One INSERT with a VALUES row per parameter set, as SQLAlchemy's
            # "insertmanyvalues" sends it where the engine asks for it (PostgreSQL).
            sql, values = compiled.many_values(rows)
            many = False
        elif many:
            values = [compiled.values(row) for row in rows]
        else:
            values = compiled.values(rows[0])
        _on_cursor(connection, listening, sql, values, many, None)

    def _compiled_for(self, connection: Connection | Session, parameters: dict, many: bool):
        """(the compiled form, or _USUAL; the dispatch whose before_cursor_execute listeners
        see the statement, or None)."""
        if not isinstance(connection, Connection) or connection._echo:
            return _USUAL, None
        # Without listeners on the connection itself (or its class), the engine's: a
        # connection's own dispatch resolves each event anew on first use, and every request
        # opens a new connection.
        if connection._has_events:
            listening = connection.dispatch
        else:
            listening = connection.engine.dispatch if connection.engine._has_events else None
        if listening is not None:
            if listening.after_cursor_execute:
                return _USUAL, None
            if not listening.before_cursor_execute:
                listening = None
        dialect = connection.dialect
        # A SELECT's SQL does not depend on the names given (column_keys shape an INSERT's or
        # UPDATE's columns only). Else the names in the caller's order: no sort per call (a
        # caller names its parameters in one order; another order is compiled the same).
        key = (type(dialect), dialect.paramstyle,
               None if self._is_select else tuple(parameters), many)
        try:
            return self._compiled[key], listening
        except KeyError:
            compiled = self._compiled[key] = self._compile(dialect, tuple(sorted(parameters)),
                                                           many)
            return compiled, listening

    def _compile(self, dialect, names: tuple, many: bool):
        compiled = self.statement.compile(dialect=dialect, column_keys=list(names),
                                          for_executemany=many)
        if (compiled.literal_execute_params or compiled.post_compile_params
                or compiled.insert_prefetch or compiled.update_prefetch):
            return _USUAL
        values_clause = None
        imv = getattr(compiled, "_insertmanyvalues", None)
        if imv is not None:
            values_clause = _values_clause(compiled, imv, dialect)
            if values_clause is None:
                return _USUAL
        if self.statement.is_select:
            processors = self.result_processors(dialect)
        else:
            returning = compiled.effective_returning or ()
            if len(returning) > 1 or (returning and many):
                return _USUAL
            if any(column.type._cached_result_processor(dialect, None) for column in returning):
                return _USUAL
            processors = ()
        by_name = {name: bind for bind, name in compiled.bind_names.items()}
        order = compiled.positiontup if compiled.positional else list(by_name)
        binds = [by_name[name] for name in order]
        return _Compiled(
            sql=str(compiled), keys=tuple(bind.key for bind in binds),
            names=None if compiled.positional else tuple(order),
            defaults={bind.key: bind.value for bind in binds if bind.value is not None},
            processed=tuple((index, bind.type._cached_bind_processor(dialect))
                            for index, bind in enumerate(binds)
                            if bind.type._cached_bind_processor(dialect) is not None),
            result_processors=processors, values_clause=values_clause)


_PYFORMAT_NAME = re.compile(r"%\((\w+)\)s")


def _values_clause(compiled, imv, dialect) -> str | None:
    """The "(...)" of a plain INSERT's VALUES to repeat per row (named pyformat parameters
    only, every parameter in it), or None: leave such a statement to SQLAlchemy."""
    clause = f"({imv.single_values_expr})"
    if (dialect.paramstyle != "pyformat" or compiled.positional or imv.is_default_expr
            or imv.includes_upsert_behaviors or imv.has_upsert_bound_parameters
            or imv.embed_values_counter or imv.sentinel_columns or imv.implicit_sentinel
            or compiled.effective_returning or str(compiled).count(clause) != 1
            or set(_PYFORMAT_NAME.findall(clause)) != set(compiled.bind_names.values())):
        return None
    return clause


class _Compiled:
    """A statement's SQL for one dialect and how to make the driver's parameters: each bind's
    key in the caller's parameters (in the SQL's order), its default (a value bound in the
    statement itself), and the bind processors (index, processor) of the binds that have one."""

    __slots__ = ("sql", "keys", "names", "defaults", "processed", "result_processors",
                 "converts", "values_clause", "_many_sql")

    def __init__(self, *, sql, keys, names, defaults, processed, result_processors,
                 values_clause=None) -> None:
        self.sql, self.keys, self.names, self.defaults = sql, keys, names, defaults
        self.processed, self.result_processors = processed, result_processors
        self.converts = any(result_processors)  # some column's value needs converting
        self.values_clause = values_clause  # an INSERT's "(...)" to repeat per row, or None
        self._many_sql: dict[int, str] = {}  # row count -> SQL with that many VALUES rows

    def many_values(self, rows: list[dict]) -> tuple[str, dict]:
        """One INSERT of every row: its SQL and its parameters (``name__<row>``)."""
        count = len(rows)
        sql = self._many_sql.get(count)
        if sql is None:
            clauses = ", ".join(_PYFORMAT_NAME.sub(rf"%(\1__{index})s", self.values_clause)
                                for index in range(count))
            sql = self._many_sql[count] = self.sql.replace(self.values_clause, clauses)
        parameters = {}
        for index, row in enumerate(rows):
            parameters.update({f"{name}__{index}": value
                               for name, value in self.values(row).items()})
        return sql, parameters

    def values(self, parameters: dict):
        """The driver's parameters: a tuple (positional paramstyles) or a dict by name."""
        get = parameters.get
        if self.defaults:
            defaults = self.defaults
            values = [get(key, defaults.get(key)) for key in self.keys]
        else:
            values = list(map(get, self.keys))  # no Python frame, as a comprehension makes
        for index, process in self.processed:
            values[index] = process(values[index])
        if self.names is None:
            return tuple(values)
        return dict(zip(self.names, values))


def convert(values, processors) -> tuple:
    """``values`` (driver values) converted by their result ``processors``."""
    return tuple(value if process is None or value is None else process(value)
                 for process, value in zip(processors, values))


def _tell_listeners(connection: Connection, listening, cursor, sql: str, values,
                    many: bool) -> tuple:
    """The statement and parameters to run, after the ``before_cursor_execute`` listeners
    (each returns them, rewritten or not, as in SQLAlchemy's path)."""
    for listener in listening.before_cursor_execute:
        sql, values = listener(connection, cursor, sql, values, None, many)
    return sql, values


def _on_cursor(connection: Connection, listening, sql: str, values, many: bool, fetch):
    """Run ``sql`` on a new cursor of the connection's DBAPI connection, in its open
    transaction (``many``: executemany), after ``listening``'s before_cursor_execute
    listeners (if not None); ``fetch(cursor)`` (if given) is the result."""
    cursor = connection.connection.cursor()
    try:
        if listening is not None:
            sql, values = _tell_listeners(connection, listening, cursor, sql, values, many)
        if many:
            cursor.executemany(sql, values)
        else:
            cursor.execute(sql, values)
        return fetch(cursor) if fetch is not None else None
    except BaseException as error:
        _handle(connection, error, sql, values, cursor)
    finally:
        try:
            cursor.close()
        except Exception:  # noqa: BLE001 - after an error its connection may be gone already
            pass  # (invalidated): the error that got us here is the one to raise


def _first_row(cursor):
    return cursor.fetchone() if cursor.description else None


# A SELECT's rows (no Python frame, as a function would make)
_fetch_one, _all_rows = methodcaller("fetchone"), methodcaller("fetchall")


def _handle(connection: Connection, error: BaseException, sql: str, values, cursor):
    """Raise ``error`` as SQLAlchemy's path would: driver errors wrapped, the connection
    invalidated when it was lost or the statement was cut short by an exit exception
    (KeyboardInterrupt, SystemExit: the driver's state is unknown)."""
    connection._handle_dbapi_exception(error, sql, values, cursor, None)
    raise error  # not reached: the handler raises
