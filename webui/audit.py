"""The web side of the audit log (core.audit): where a request came from, and recording an
action of the signed-in staff member or API caller in one call."""
from __future__ import annotations

from typing import Any

from flask import g, has_request_context, request
from sqlalchemy.orm import Session

from core import audit
from core.audit import Origin

from .auth import current_staff


def request_origin(channel: str | None = None) -> Origin:
    """The current request's origin: ``api`` for /api/v1, ``web`` for the pages."""
    if not has_request_context():
        return Origin(channel or "web")
    if channel is None:
        channel = "api" if request.blueprint == "api" else "web"
    # remote_addr is the proxy's address behind a reverse proxy unless ProxyFix wraps the app.
    return Origin(channel, request.remote_addr or "", request.user_agent.string or "")


def _actor() -> tuple[int, int | None, str | None]:
    """(merchant id, staff id, username) of the API caller or the signed-in staff member."""
    caller = g.get("caller")
    if caller is not None:
        return caller.merchant_id, caller.staff_id, caller.username
    staff = current_staff()
    if staff is None:
        raise RuntimeError("audit.record_here needs a signed-in staff member or API caller")
    return staff.merchant_id, staff.id, staff.username


def record_here(session: Session, action: str, target: str = "", *, before: Any = None,
                after: Any = None) -> None:
    """Record ``action`` by whoever made this request, in ``session`` (the action's own)."""
    merchant_id, staff_id, username = _actor()
    audit.record(session, merchant_id=merchant_id, staff_id=staff_id, staff_username=username,
                 action=action, target=target, before=before, after=after,
                 origin=request_origin())


def record_draft_change(session: Session, action: str, target: str, old: dict | None,
                        new: dict) -> None:
    """A configuration draft change, stored as only the parts that differ (core.audit.changes)."""
    before, after = audit.changes(old or {}, new)
    record_here(session, action, target, before=before, after=after)


def record_version(session: Session, action: str, version, previous) -> None:
    """A publish or rollback: version numbers, the note, and what changed against the
    previously published document."""
    before, after = audit.changes(previous.document if previous is not None else {}, version.document)
    record_here(session, action, f"config:version:{version.version}",
                before={"version": previous.version if previous is not None else None,
                        "changes": before},
                after={"version": version.version, "note": version.note,
                       "rolled_back_from": version.rolled_back_from, "changes": after})
