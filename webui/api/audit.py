"""The audit log, for owners (issue 10, E7): who changed what, when and from where."""
from __future__ import annotations

from flask import request

from core import audit

from . import schemas
from ..extension import huika
from .operations import caller, operation

OWNERS = frozenset({"owner"})

ENTRY = {
    "type": "object",
    "required": ["id", "at", "staff_id", "staff_username", "channel", "client_ip", "user_agent",
                 "action", "target", "before", "after"],
    "properties": {
        "id": {"type": "integer"},
        "at": {**schemas.DATE_TIME, "description": "when, in UTC"},
        "staff_id": {**schemas.NULLABLE_INT, "description": "null for an operator at the command line"},
        "staff_username": {"type": "string"},
        "channel": {"enum": list(audit.CHANNELS)},
        "client_ip": {"type": "string"},
        "user_agent": {"type": "string"},
        "action": {"type": "string", "description": "e.g. card.freeze, config.publish, export"},
        "target": {"type": "string", "description": "e.g. card:8123…, staff:5, report:<id>"},
        "before": {"description": "the state changed (secrets left out), or null"},
        "after": {"description": "the state it became (secrets only as \"changed\"), or null"},
    },
}
AUDIT_PAGE = {
    "type": "object",
    "required": ["audit", "total", "page", "per_page"],
    "properties": {"audit": {"type": "array", "items": ENTRY}, "total": {"type": "integer"},
                   "page": {"type": "integer"}, "per_page": {"type": "integer"}},
}
# Empty means "no bound" (the editor's filter form sends empty fields).
DATE = {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "maxLength": 0}]}


@operation("/audit", "GET", operation_id="listAuditEntries", tag="audit", roles=OWNERS,
           summary="Read the audit log",
           query=[("staff", {"type": "string", "maxLength": 60}, "staff id or username"),
                  ("action", {"type": "string", "maxLength": 60},
                   "an action, or a prefix of dotted actions (card finds card.freeze)"),
                  ("target", {"type": "string", "maxLength": 120}, "the start of the target"),
                  ("from", DATE, "first local date (Asia/Shanghai), included"),
                  ("to", DATE, "last local date (Asia/Shanghai), included"),
                  ("page", {"type": "integer", "minimum": 1, "maximum": audit.MAX_PAGE}, "page number"),
                  ("per_page", {"type": "integer", "minimum": 1, "maximum": 100}, "page size (50)")],
           responses={200: ("Newest first", AUDIT_PAGE),
                      403: ("Only owners read the audit log", schemas.ERROR),
                      422: ("A filter is not valid", schemas.ERROR)})
def list_audit_entries():
    filters = audit.parse_filters(request.args)
    with huika().db.read() as session:
        page = audit.search(session, caller().merchant_id, **filters)
        return {"audit": [audit.entry_json(entry) for entry in page.items], "total": page.total,
                "page": page.page, "per_page": page.per_page}
