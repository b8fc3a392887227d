"""Declaring an API operation once: the Flask route and its OpenAPI description together.

``@operation(...)`` registers the view on the blueprint, authenticates the bearer token,
checks the caller's role, and records everything the OpenAPI document says about it, so the
document cannot drift from the routes (tests/test_openapi.py checks both ways).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import wraps
from typing import Callable

from flask import g, has_request_context, request
from sqlalchemy.engine import Connection

from core.db import end_read
from core.errors import Forbidden, HuikaError, Invalid, problem
from core.schemas import check_body, validate_against
from core.tenancy import caller_for_token
from core.text import INT64_MAX, INT64_MIN

from .blueprint import bp
from ..extension import huika

ALL_ROLES = frozenset({"owner", "manager", "cashier"})
MANAGERS = frozenset({"owner", "manager"})


class Unauthorized(HuikaError):
    code = "unauthorized"


@dataclass(frozen=True)
class Caller:
    staff_id: int
    merchant_id: int
    role: str
    store_id: int | None
    username: str


@dataclass
class Operation:
    rule: str
    method: str
    operation_id: str
    summary: str
    tag: str
    roles: frozenset = ALL_ROLES
    request_schema: dict | None = None
    responses: dict = field(default_factory=dict)  # status -> (description, schema or None)
    query: list = field(default_factory=list)  # (name, schema, description)
    public: bool = False
    idempotent: bool = False
    plugin: str = ""
    reads_body: bool = False  # parses a JSON body when one is sent, even if none is declared

    @property
    def body_required(self) -> bool:
        """A body is optional exactly when an empty object is valid input: no body reads as {}."""
        return self.request_schema is not None and bool(validate_against({}, self.request_schema))


OPERATIONS: list[Operation] = []  # the core's own; plugins' are added per app


def operation(rule: str, method: str, *, operation_id: str, summary: str, tag: str,
              roles: frozenset = ALL_ROLES, request_schema: dict | None = None,
              responses: dict | None = None, query: list | None = None,
              public: bool = False) -> Callable:
    """Declare a core view: registered on the blueprint and described in OpenAPI."""
    op = Operation(rule=rule, method=method, operation_id=operation_id, summary=summary, tag=tag,
                   roles=roles, request_schema=request_schema, responses=responses or {},
                   query=query or [], public=public)
    OPERATIONS.append(op)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(**kwargs):
            request_globals = g._get_current_object()  # one proxy lookup, not four
            request_globals.api_operation = op
            if not op.public:
                request_globals.caller = found = authenticate()
                if found.role not in op.roles:
                    raise Forbidden(f"the {found.role} role may not {op.summary.lower()}")
            refuse_repeated_query(op)
            return view(**kwargs)

        bp.add_url_rule(rule, endpoint=operation_id, view_func=wrapped, methods=[method])
        return wrapped

    return decorator


def authenticate() -> Caller:
    header = request.environ.get("HTTP_AUTHORIZATION", "")  # what request.headers would read
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send 'Authorization: Bearer <token>' (see `huika token create`)")
    found = caller_for_token(read_connection(), token.strip())  # one indexed read, no ORM
    if found is None:
        raise Unauthorized("the token is unknown or revoked")
    return Caller(staff_id=found.staff_id, merchant_id=found.merchant_id, role=found.role,
                  store_id=found.store_id, username=found.username)


def read_connection() -> Connection:
    """This request's read connection, opened by the token check and reused by lookups: one
    pool checkout and one read transaction per request (issue 11, F4). Closed (rolled back)
    when the request ends; never used for writes."""
    request_globals = g._get_current_object()
    connection = request_globals.get("api_read_connection")
    if connection is None:
        connection = request_globals.api_read_connection = huika().db.read_engine.connect()
    return connection


def release_read_connection() -> None:
    """Give the request's read connection back to the pool now (done before any session of
    the request opens, ``give_back_request_connection``, and when the request ends)."""
    connection = g.pop("api_read_connection", None)
    if connection is not None:
        try:
            end_read(connection)
        finally:
            connection.close()


def give_back_request_connection() -> None:
    """``Database.before_session`` of the app: a request's read connection (its token
    check's) goes back to the pool before the request opens a session of its own, in every
    view, so that no request holds two at once."""
    if has_request_context():
        release_read_connection()


@bp.teardown_app_request
def _close_read_connection(_error=None) -> None:
    """Every request's, not only the API's: web pages open one too (handlers.execute)."""
    release_read_connection()


def refuse_repeated_query(operation: Operation) -> None:
    """422 for a documented single-valued query parameter sent more than once (``?limit=1&
    limit=500``): which one counts would be a guess, and a check of the first would let the
    other through to whatever reads the last."""
    args = request.args
    if not args or not operation.query:
        return
    repeated = [name for name, schema, _text in operation.query
                if schema.get("type") != "array" and len(args.getlist(name)) > 1]
    if repeated:
        raise Invalid("a query parameter was sent more than once",
                      details=[problem(f"/{name}", "send it once") for name in repeated])


def json_body(check_schema: bool = True) -> dict:
    """The request's JSON object, valid against the operation's declared schema, or a clear
    400/422 error: the server accepts exactly the bodies the OpenAPI document declares.

    An empty request reads as ``{}`` when the operation's body is optional (see
    ``Operation.body_required``).
    """
    operation = g.get("api_operation")
    if not request.get_data(cache=True) and not (operation and operation.body_required):
        return {}
    if not request.is_json:
        raise BadRequest("send a JSON body with Content-Type: application/json")
    body = request.get_json(silent=True)
    if body is None:
        raise BadRequest("the body is not valid JSON")
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object")
    if check_schema and operation is not None and operation.request_schema is not None:
        check_documented_body(body, operation.request_schema)
    return body


def check_documented_body(body: dict, schema: dict) -> None:
    """422 naming each JSON pointer where ``body`` breaks the schema the document declares.
    Handler operations check it once the plugin is known to be enabled (handlers.execute)."""
    check_body(body, schema, "the body does not match the documented schema "
                             "(see /api/v1/openapi.json); nothing was changed")


class BadRequest(HuikaError):
    code = "bad_request"


def int_arg(name: str, default: int, **bounds) -> int:
    return int_query(request.args, name, default, **bounds)


_INTEGER = re.compile(r"[+-]?[0-9]{1,25}")


def int_query(args, name: str, default: int, *, minimum: int = INT64_MIN,
              maximum: int = INT64_MAX) -> int:
    """An integer query parameter from ``minimum`` to ``maximum`` (the 64-bit range unless
    told), or ``Invalid`` pointing at it: no value past that range reaches a query."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if _INTEGER.fullmatch(raw) and minimum <= int(raw) <= maximum:
        return int(raw)
    raise Invalid(f"query parameter {name} must be an integer from {minimum} to {maximum}",
                  details=[problem(f"/{name}", f"an integer from {minimum} to {maximum}")])


def caller() -> Caller:
    return g.caller
