"""Serving ApiOperations (core.operations): handler functions that run in one write transaction.

Used for the core's money path and for every plugin's endpoints. The wrapper authenticates,
checks the role and that the plugin is enabled for the caller's merchant, enforces the
Idempotency-Key of money-moving requests, opens the transaction and records the answer.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import NamedTuple

from flask import Flask, g, jsonify, request
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from core import audit
from core.audit import Origin
from core.clock import now_utc
from core.config_versions import published_config, published_config_on, published_configs
from core.direct_sql import DirectStatement
from core.errors import Conflict, Forbidden, HuikaError, Invalid, NotFound
from core.faults import fault_point
from core.models import IdempotencyRecord
from core.operations import ApiOperation, AuditSpec, OperationContext
from core.pins import with_pin_checks

from . import schemas
from .blueprint import bp
from ..audit import request_origin
from ..extension import huika
from .operations import (Operation, authenticate, check_documented_body, json_body,
                         read_connection, refuse_repeated_query)

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 100
# Visible ASCII only: what every HTTP stack passes through unchanged (no spaces to trim).
IDEMPOTENCY_KEY_SCHEMA = {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH,
                          "pattern": "^[!-~]+$"}
_KEY_PATTERN = re.compile(IDEMPOTENCY_KEY_SCHEMA["pattern"])
BODY_METHODS = ("POST", "PUT", "PATCH")


class IdempotencyReplay(Exception):
    """Raised to leave the transaction with the remembered answer."""

    def __init__(self, outcome: "Outcome") -> None:
        self.outcome = outcome


def describe(api_op: ApiOperation) -> Operation:
    """The OpenAPI description of a handler operation (openapi.py adds the errors every
    operation of its kind can answer: 400, 401, 403, 404, 413, 422, 428, 503)."""
    responses = {api_op.status: ("Success", api_op.response_schema or {"type": "object"})}
    responses.update({status: (text, schemas.ERROR) for status, text in api_op.errors.items()})
    # Handlers check their own input (query values, bodies, business rules) with Invalid.
    responses.setdefault(422, ("Invalid input; nothing was changed", schemas.ERROR))
    if api_op.idempotent:
        responses.setdefault(409, ("Idempotency-Key reused with another body, or a conflict", schemas.ERROR))
    return Operation(rule=api_op.rule, method=api_op.method, operation_id=api_op.operation_id,
                     summary=api_op.summary, tag=api_op.tag, roles=api_op.roles,
                     request_schema=api_op.request_schema, responses=responses,
                     query=list(api_op.query), idempotent=api_op.idempotent, plugin=api_op.plugin,
                     reads_body=api_op.method in BODY_METHODS)


@dataclass
class Outcome:
    status: int
    body: dict
    replayed: bool = False


def execute(api_op: ApiOperation, caller, *, params: dict, body: dict, query: dict,
            idempotency_key: str | None, origin: Origin | None = None,
            check_body_schema: bool = False) -> Outcome:
    """Run one operation for ``caller`` in one transaction: roles, plugin enabled, idempotency,
    and the audit row of an audited operation (``ApiOperation.audit``) in that same transaction.

    Shared by the JSON API (bearer tokens) and the web pages (staff sessions), so a cashier
    screen and an API client get exactly the same rules. ``origin`` defaults to the request's.
    ``check_body_schema`` (the API) first holds the body to the request schema the OpenAPI
    document declares.
    """
    origin = origin or request_origin()
    if caller.role not in api_op.roles:
        raise Forbidden(f"the {caller.role} role may not {api_op.summary.lower()}")
    if api_op.idempotent and not idempotency_key:
        raise PreconditionRequired(f"send an {IDEMPOTENCY_HEADER} header (a new random value per "
                                   "operation, the same one when retrying it)")
    key = idempotency_key if api_op.idempotent else None
    digest = _digest(api_op, params, body) if key is not None else None
    db = huika().db
    transaction = db.read if api_op.read_only else db.write

    def checked(config):
        """``config``, once the plugin is enabled and the body fits."""
        if api_op.plugin and not config.is_enabled(api_op.plugin):
            raise NotFound(f"the {api_op.plugin} plugin is not enabled for this merchant",
                           code="plugin_not_enabled")
        if check_body_schema and api_op.request_schema is not None:
            check_documented_body(body, api_op.request_schema)
        return config

    # SQLite: the key is looked up before the writer's turn, with the configuration, so
    # that only what must be written waits for it (one writer at a time, core.writer_lock).
    # A request with the same key that commits in between makes ours fail on the unique
    # key when it records its answer (the whole transaction rolls back: nothing is paid
    # twice), or refuses ours first (e.g. the balance it took is gone): either way we
    # then answer with its recorded response (``_recorded_answer``).
    replay_checked_early = key is not None and db.serializes_writers

    def prepare():
        """A write's configuration (and on SQLite its replay check), read on the token
        check's connection: two statements, no transaction of their own. The connection
        goes back to the pool as the operation's first session opens (Database.before_session),
        so that a request never holds two."""
        if api_op.read_only:
            return None
        connection = read_connection()
        config = checked(published_config_on(connection, caller.merchant_id, huika().plugins,
                                             published_configs(db.shared)))
        if replay_checked_early:
            _check_replay(connection, caller.merchant_id, key, digest)
        return config

    def attempt():
        with transaction() as session:
            context_config = config if config is not None else checked(
                published_config(session, caller.merchant_id, huika().plugins))
            claim = None
            if key is not None and not replay_checked_early:
                _check_replay(session.connection(), caller.merchant_id, key, digest)
                # Claim the key before running the handler: a concurrent request with the
                # same key blocks on this row's unique index until we commit, then fails
                # with IntegrityError and replays our answer, instead of paying again.
                claim = _claim(session, caller.merchant_id, key, digest)
            context = OperationContext(
                session=session, config=context_config, merchant_id=caller.merchant_id,
                staff_id=caller.staff_id, store_id=caller.store_id, role=caller.role,
                params=params, query=query, body=body, now=now_utc())
            spec = api_op.audit
            before = spec.before(context) if spec and spec.before else None
            result = api_op.handler(context)
            if spec and not api_op.read_only:
                _audit(spec, context, caller, before, result, origin)
            if key is not None:
                _remember(session, caller.merchant_id, key, digest, claim, api_op.status, result)
            return result

    try:
        config = prepare()
        # A PIN is checked and counted in a transaction of its own before this one (core.pins).
        result = with_pin_checks(db, attempt)
    except IdempotencyReplay as replay:
        return replay.outcome
    except IntegrityError:
        if key is None:
            raise
        return _replay_after_race(caller.merchant_id, key, digest)
    except HuikaError:
        if replay_checked_early:
            recorded = _recorded_answer(caller.merchant_id, key, digest)
            if recorded is not None:
                return recorded
        raise
    if not api_op.read_only:
        fault_point("after_commit")  # testing only: core/faults.py
    if api_op.audit and api_op.read_only:
        _audit_export(api_op, caller, params, query, body, result, origin)
    return Outcome(api_op.status, result)


def _audit(spec: AuditSpec, context: OperationContext, caller, before, result, origin: Origin) -> None:
    target = spec.target(context, result) if spec.target else audit.path_target(context.params)
    after = spec.after(context, result) if spec.after else result
    audit.record(context.session, merchant_id=caller.merchant_id, staff_id=caller.staff_id,
                 staff_username=getattr(caller, "username", None), action=spec.action,
                 target=target, before=before, after=after, origin=origin)


def _audit_export(api_op: ApiOperation, caller, params: dict, query: dict, body: dict, result,
                  origin: Origin) -> None:
    """A read (report) was answered: its export row, in a short write transaction of its own
    (the read ran in one that is rolled back)."""
    rows = None
    if isinstance(result, dict) and isinstance(result.get("items"), list):
        rows = len(result["items"])
    with huika().db.write() as session:
        audit.record_export(session, merchant_id=caller.merchant_id, staff_id=caller.staff_id,
                            report=api_op.operation_id, parameters={**params, **query, **body},
                            rows=rows, file_format="json", origin=origin)


def serve(app: Flask, api_op: ApiOperation) -> Operation:
    """Add ``api_op`` to ``app`` under /api/v1 (in the api blueprint's error handling)."""
    described = describe(api_op)

    def view(**params):
        g.api_operation = described
        caller = authenticate()
        refuse_repeated_query(described)
        body = json_body(check_schema=False) if api_op.method in BODY_METHODS else {}
        key = _idempotency_key() if api_op.idempotent else None
        outcome = execute(api_op, caller, params=params, body=body, query=request.args.to_dict(),
                          idempotency_key=key, check_body_schema=True)
        response = jsonify(outcome.body)
        response.status_code = outcome.status
        if outcome.replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return response

    view.__name__ = api_op.operation_id
    app.add_url_rule(bp.url_prefix + api_op.rule, endpoint=f"api.{api_op.operation_id}",
                     view_func=view, methods=[api_op.method])
    return described


def _idempotency_key() -> str | None:
    """The header as sent (None when missing or empty: 428); anything else not matching
    IDEMPOTENCY_KEY_SCHEMA is a 422, so the server accepts exactly the documented keys."""
    key = request.headers.get(IDEMPOTENCY_HEADER, "")
    if not key:
        return None
    if len(key) > MAX_KEY_LENGTH or not _KEY_PATTERN.fullmatch(key):
        raise Invalid(f"{IDEMPOTENCY_HEADER} is 1 to {MAX_KEY_LENGTH} visible ASCII characters "
                      "(no spaces)", details=[{"pointer": f"/headers/{IDEMPOTENCY_HEADER}",
                                               "message": "1 to 100 visible ASCII characters"}])
    return key


class PreconditionRequired(HuikaError):
    code = "idempotency_key_required"


def _digest(api_op: ApiOperation, params: dict, body: dict) -> str:
    """What a retry must repeat. Secrets (a payment's PIN …) are left out: the stored digest
    of a body with a 6-digit PIN would give the PIN away to whoever holds the database (the
    pepper in core.security keeps it from the PIN hashes). A retry with another PIN replays
    an answer that was already paid with the right one; a wrong PIN stored no answer."""
    canonical = json.dumps([api_op.operation_id, params, audit.scrub(body, dropping=True)],
                           sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


_RECORDS = IdempotencyRecord.__table__  # Core statements: one row, no unit of work needed


# Sent straight to the driver (core.direct_sql): they run inside the write transaction.
_FIND = DirectStatement(
    select(_RECORDS.c.request_digest, _RECORDS.c.status, _RECORDS.c.response)
    .where(_RECORDS.c.merchant_id == bindparam("merchant"), _RECORDS.c.key == bindparam("key")))
_NEW_RECORD = DirectStatement(insert(_RECORDS).returning(_RECORDS.c.id))
_ANSWER = DirectStatement(update(_RECORDS).where(_RECORDS.c.id == bindparam("claim"))
                          .values(status=bindparam("answer_status"), response=bindparam("answer")))


class _Record(NamedTuple):
    request_digest: str
    status: int
    response: dict


def _find(connection, merchant_id: int, key: str) -> _Record | None:
    rows = _FIND.rows(connection, {"merchant": merchant_id, "key": key})
    return _Record(*rows[0]) if rows else None


def _answer_of(record, key: str, digest: str) -> Outcome | None:
    """The replay of ``key``'s recorded answer (None: nothing recorded); a 409 when the key
    was used for another request. Either leaves only once the recorded commit is on disk: on
    SQLite it may still be on its way there (core.wal_sync)."""
    if record is None:
        return None
    huika().db.wait_for_disk()
    if record.request_digest != digest:
        raise Conflict(f"{IDEMPOTENCY_HEADER} {key!r} was already used for another request",
                       code="idempotency_key_reused")
    return Outcome(record.status, record.response, replayed=True)


def _check_replay(connection, merchant_id: int, key: str, digest: str) -> None:
    answer = _answer_of(_find(connection, merchant_id, key), key, digest)
    if answer is not None:
        raise IdempotencyReplay(answer)


def _claim(session, merchant_id: int, key: str, digest: str) -> int:
    """The key's row, inserted before the handler runs (status 0 until it answered)."""
    return _NEW_RECORD.scalar(session.connection(), {
        "merchant_id": merchant_id, "key": key, "request_digest": digest, "status": 0,
        "response": {}, "created_at": now_utc()})


def _remember(session, merchant_id: int, key: str, digest: str, claim: int | None, status: int,
              result) -> None:
    """Store the answer in the request's own transaction: on the claimed row, or as its only
    insert where writers run one at a time."""
    connection = session.connection()
    if claim is not None:
        _ANSWER.scalar(connection, {"claim": claim, "answer_status": status, "answer": result})
    else:
        _NEW_RECORD.scalar(connection, {"merchant_id": merchant_id, "key": key,
                                        "request_digest": digest, "status": status,
                                        "response": result, "created_at": now_utc()})


def _recorded_answer(merchant_id: int, key: str, digest: str) -> Outcome | None:
    """The answer recorded for ``key`` by another request, if any (a replay)."""
    with huika().db.read() as session:
        return _answer_of(_find(session.connection(), merchant_id, key), key, digest)


def _replay_after_race(merchant_id: int, key: str, digest: str) -> Outcome:
    """Two requests with one key ran at once; the loser answers with the winner's result."""
    recorded = _recorded_answer(merchant_id, key, digest)
    if recorded is None:
        raise Conflict("the request clashed with another one; retry it", code="conflict")
    return recorded
