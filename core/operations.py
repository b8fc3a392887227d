"""Plugin API operations described as data, so plugins add endpoints without importing webui.

The web layer serves each one under /api/v1 with the same authentication, role check,
idempotency, JSON errors and OpenAPI description as the core's own operations.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from sqlalchemy.orm import Session

from .merchant_config import MerchantConfig

ALL_ROLES = frozenset({"owner", "manager", "cashier"})


@dataclass
class OperationContext:
    """What a handler gets: one write transaction, the caller and the request data."""

    session: Session
    config: MerchantConfig
    merchant_id: int
    staff_id: int
    store_id: int | None
    role: str
    params: dict  # path parameters
    query: dict  # query-string values (strings)
    body: dict  # the JSON body ({} for GET)
    now: datetime


@dataclass(frozen=True)
class AuditSpec:
    """How an operation is audited (core.audit): declared as data, recorded by the web layer
    in the operation's own transaction, after the handler succeeded.

    ``target(context, result)`` names what was acted on (default: the path parameters, e.g.
    ``card:8123…``); ``before(context)`` runs before the handler and captures the state it is
    about to change; ``after(context, result)`` what it became (default: the handler's result).
    Secrets in either are scrubbed by ``core.audit.record``. A read-only operation that is
    audited (an export) gets its row in a short write transaction once the read succeeded.
    """

    action: str
    target: Callable[[OperationContext, Any], str] | None = None
    before: Callable[[OperationContext], Any] | None = None
    after: Callable[[OperationContext, Any], Any] | None = None


@dataclass
class ApiOperation:
    rule: str  # Flask rule under /api/v1, e.g. "/cards/<card_number>/recharge"
    method: str
    operation_id: str
    summary: str
    handler: Callable[[OperationContext], Any]  # returns a JSON-ready dict
    tag: str = "plugins"
    status: int = 200
    roles: frozenset = ALL_ROLES
    request_schema: dict | None = None
    response_schema: dict | None = None
    errors: dict = field(default_factory=dict)  # status -> description
    query: list = field(default_factory=list)  # (name, schema, description)
    idempotent: bool = False  # money-moving: requires an Idempotency-Key header
    read_only: bool = False  # run in a session that is rolled back (quotes, reads)
    plugin: str = ""  # filled in by the registry
    audit: AuditSpec | str | None = None  # "card.freeze", or an AuditSpec with captures

    def __post_init__(self) -> None:
        if isinstance(self.audit, str):
            self.audit = AuditSpec(self.audit)
