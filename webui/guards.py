"""The edge every request crosses before a view runs: body size, JSON nesting, integer ranges
and text (issue 10, E2).

Nothing a client sends may reach a 5xx: a body past ``MAX_CONTENT_LENGTH`` is 413; JSON nested
deeper than ``HUIKA_MAX_JSON_DEPTH`` is 400 (counted on the raw bytes, so no parser recursion
can blow up); an integer past the signed 64 bits the database holds, a lone surrogate or a
control character is 422 with the JSON pointer, before any handler or query sees it. Path ids
are matched by a converter that only accepts 1 .. 2^63-1, so a huge id is a plain 404.
API requests get the JSON error format; pages get a readable 4xx page.
"""
from __future__ import annotations

import json
import math
import re

from flask import Flask, Request, abort, current_app, request
from flask_babel import gettext as _
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

from core.errors import Invalid, problem
from core.text import INT64_MAX, INT64_MIN, int64_problem, text_problem

from .api.operations import BadRequest, int_query
from .extension import huika

DEFAULT_MAX_CONTENT_LENGTH = 1024 * 1024  # 1 MB: the largest real body (a config) is ~50 KB
DEFAULT_MAX_JSON_DEPTH = 64  # real documents nest about 8 deep
MAX_PROBLEMS = 20  # details listed for one request; the rest would only bury them

_BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# Endpoints that take files (imports): endpoint -> the config key of their own body limit.
LARGE_BODIES = {"api.runImport": "HUIKA_MAX_IMPORT_BYTES", "editor.import_upload": "HUIKA_MAX_IMPORT_BYTES"}
# A JSON string (skipped: it may hold brackets) or one bracket.
_STRING_OR_BRACKET = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


class IdConverter(IntegerConverter):
    """``<int:…>`` in every rule: ids from 1 to 2^63-1 (a BIGINT) match, anything else is 404."""

    def __init__(self, map, fixed_digits=0, min=1, max=INT64_MAX, signed=False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class Parameters(ImmutableMultiDict):
    """Query and form parameters whose ``get`` answers a name that was not sent without
    werkzeug building and catching a ``BadRequestKeyError`` (an HTTP exception) inside: a
    member lookup asks for half a dozen names it was not sent (issue 11, F4). Same answers."""

    def get(self, key, default=None, type=None):  # noqa: A002 (werkzeug's name)
        if key not in self:
            return default
        return super().get(key, default, type)


class LimitedRequest(Request):
    """A request whose body limit is its endpoint's: ``LARGE_BODIES`` (file imports) or
    ``MAX_CONTENT_LENGTH``, from the first read on (the CSRF check parses forms before any view)."""

    parameter_storage_class = Parameters

    @property
    def max_content_length(self) -> int | None:
        if getattr(self, "_max_content_length", None) is None and current_app \
                and self.endpoint in LARGE_BODIES:
            return current_app.config.get(LARGE_BODIES[self.endpoint])
        return Request.max_content_length.fget(self)

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def init_app(app: Flask) -> None:
    """Install the id converter (before any rule is added) and the request checks."""
    app.request_class = LimitedRequest
    app.url_map.converters["int"] = IdConverter
    app.before_request(check_request)


def check_request() -> None:
    # The request itself, not the proxy: every attribute through the proxy is a lookup of
    # its own, and this runs before every request (issue 11, F4).
    req = request._get_current_object()
    if req.routing_exception is not None:
        return  # the 404 / 405 is answered as usual
    api = req.blueprint == "api"
    limit = req.max_content_length  # per endpoint: an import takes more (LimitedRequest)
    if limit is not None and (req.content_length or 0) > limit:
        abort(413, description=f"the body is larger than {limit} bytes")
    _check_path(req)
    _check_query(req, api)
    if req.method in _BODY_METHODS and req.content_length != 0:
        if req.is_json:
            _check_json(api)
        elif not api and req.form:
            _check_form()


def _refuse(api: bool, message: str, details: list) -> None:
    """422 with pointers on the API; a 400 page naming the first problem elsewhere."""
    if api:
        raise Invalid(message, details=details[:MAX_PROBLEMS])
    abort(400, description=f"{message}: {details[0]['pointer']} {details[0]['message']}")


def _check_path(req) -> None:
    # A text id with a control character names nothing (and PostgreSQL refuses a NUL).
    for value in (req.view_args or {}).values():
        if isinstance(value, str) and text_problem(value, one_line=True):
            abort(404)


def _check_query(req, api: bool) -> None:
    if not req.query_string:
        return  # nothing to check (and no integer given: each has its default)
    args = req.args
    details = [problem(f"/{_printable(name)}", wrong) for name, value in args.items(multi=True)
               if (wrong := text_problem(name, one_line=True) or text_problem(value, one_line=True))]
    if details:
        _refuse(api, "a query parameter holds a character that is not allowed", details)
    if api:
        # Digits within 64 bits here; each handler checks its own range and reports every
        # problem of the request at once.
        for name, _schema in _declared_integers().get(req.endpoint, ()):
            int_query(args, name, None)


def _declared_integers() -> dict:
    """endpoint -> [(name, schema)] of the integer query parameters its OpenAPI entry declares."""
    extension = huika()
    found = getattr(extension, "_integer_queries", None)
    if found is None:
        found = {}
        for op in extension.operations:
            integers = [(name, schema) for name, schema, _text in op.query
                        if isinstance(schema, dict) and schema.get("type") == "integer"]
            if integers:
                found[f"api.{op.operation_id}"] = integers
        extension._integer_queries = found
    return found


def _check_form() -> None:
    for name, value in request.form.items(multi=True):
        wrong = text_problem(name, one_line=True) or text_problem(value)
        if wrong:
            # A page, not the API: said in the user's language (the detail stays technical).
            abort(400, description=_("The field %(name)s holds a character that is not allowed "
                                     "(%(problem)s).", name=repr(_printable(name)), problem=wrong))


def _check_json(api: bool) -> None:
    raw = request.get_data(cache=True)  # 413 past MAX_CONTENT_LENGTH, even when chunked
    if not raw:
        return
    try:
        # UTF-8 only (RFC 8259 8.1): the nesting scan below reads UTF-8 bytes, and Python's
        # parser would otherwise guess UTF-16/32, where a quote byte can hide the brackets.
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        if api:
            raise BadRequest("the JSON body must be UTF-8") from None
        abort(400, description="the JSON body must be UTF-8")
    limit = current_app.config.get("HUIKA_MAX_JSON_DEPTH", DEFAULT_MAX_JSON_DEPTH)
    if nested_deeper_than(raw, limit):
        _too_deep(api, limit)
    try:
        document = json.loads(text, parse_constant=_no_constant)
    except RecursionError:  # a backstop: the scan above should have stopped it
        _too_deep(api, limit)
    except ValueError:  # also NaN / Infinity, which Python's parser would take
        if api:
            raise BadRequest("the body is not valid JSON") from None
        abort(400, description="the body is not valid JSON")
    details = json_problems(document) if may_hold_unstorable(text) else []
    if details:
        _refuse(api, "the JSON body holds values Huika cannot store; nothing was changed", details)


def _too_deep(api: bool, limit: int):
    message = f"the JSON body is nested deeper than {limit} levels"
    if api:
        raise BadRequest(message, code="too_deep")
    abort(400, description=message)


def nested_deeper_than(raw: bytes, limit: int) -> bool:
    """Whether arrays and objects nest deeper than ``limit`` in the JSON text ``raw``, counted
    on the bytes without parsing (no recursion to blow up)."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False  # cannot nest deeper than it has brackets: every normal body stops here
    depth = 0
    for token in _STRING_OR_BRACKET.finditer(raw):
        bracket = token.group()
        if bracket in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif bracket in (b"]", b"}"):
            depth -= 1
    return False


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


# What a JSON text must show for its document to hold a value json_problems refuses: an escape
# that stands for a control character, line separator or surrogate, or such a character raw;
# a run of 19 digits (an integer, or a float, past 64 bits) or an exponent (a float out of
# range). Tab and line breaks are JSON white space outside strings (the parser refuses them
# inside), so a pretty-printed body does not count; "\\n" does (no line breaks in a key).
_MAYBE_UNSTORABLE = re.compile(
    r"\\(?:[bfnrt]|u(?:00[01][0-9a-fA-F]|007[fF]|00[89][0-9a-fA-F]|[dD][89a-fA-F][0-9a-fA-F]{2}"
    r"|202[89]))|[0-9]{19}|[0-9][eE][-+]?[0-9]|"
    "[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")


def may_hold_unstorable(text: str) -> bool:
    """False when the JSON ``text`` surely parses to a document json_problems has nothing to
    say about (most bodies: walking them costs more than parsing them)."""
    return _MAYBE_UNSTORABLE.search(text) is not None


def json_problems(document) -> list[dict]:
    """Every value in ``document`` no column can hold: integers past 64 bits, floats past that
    range or not finite, strings and keys with lone surrogates or control characters."""
    details: list[dict] = []
    stack = [("", document)]
    while stack and len(details) < MAX_PROBLEMS:
        pointer, value = stack.pop()
        if isinstance(value, dict):
            for key, item in reversed(list(value.items())):
                child = f"{pointer}/{_printable(key).replace('~', '~0').replace('/', '~1')}"
                wrong = text_problem(key, one_line=True)
                if wrong:
                    details.append(problem(child, f"the key: {wrong}"))
                stack.append((child, item))
        elif isinstance(value, list):
            stack.extend((f"{pointer}/{index}", item) for index, item in reversed(list(enumerate(value))))
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int):
            if int64_problem(value):
                details.append(problem(pointer or "/", f"out of range: {int64_problem(value)}"))
        elif isinstance(value, float):
            if not math.isfinite(value) or not INT64_MIN <= value <= INT64_MAX:
                details.append(problem(pointer or "/", f"out of range: {int64_problem(2 ** 64)}"))
        elif isinstance(value, str):
            wrong = text_problem(value)
            if wrong:
                details.append(problem(pointer or "/", wrong))
    return details


def _printable(text: str) -> str:
    """``text`` safe to echo in an answer: a lone surrogate cannot be encoded as UTF-8."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
