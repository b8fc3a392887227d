"""The staff inbox for owners and managers (issue 14 item 2): a day's call list per store.

The same list as the till's 今日回访 and ``GET /api/v1/inbox`` (webui/inbox), with filters:
the day, the status (to call, done that day, snoozed to later, all) and the store; a store's
manager sees their own store. Done / later / note post to the inbox's form and come back here.
"""
from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from core import clock
from core.errors import Forbidden, Invalid
from core.models import Store

from ..auth import current_staff
from ..extension import huika
from ..inbox.views import page_list
from .blueprint import bp
from .common import editor_required

FILTERS = ("on", "status", "store")


@bp.get("/inbox")
@editor_required
def inbox():
    staff = current_staff()
    own_store = staff.store_id if staff.role != "owner" else None
    with huika().db.read() as session:
        query = select(Store.id, Store.name).where(Store.merchant_id == staff.merchant_id).order_by(Store.id)
        if own_store is not None:
            query = query.where(Store.id == own_store)
        stores = [tuple(row) for row in session.execute(query)]
    values = {name: (request.args.get(name) or "")[:40] for name in FILTERS}
    error, found, status = "", {"tasks": [], "total": 0}, 200
    try:
        found = page_list(values)
    except Invalid as invalid:
        error, status = "; ".join(_problem_text(item) for item in invalid.details or []), 422
    except Forbidden:
        error, status = _("You may see only your own store's inbox."), 403
    return render_template("editor/inbox.html", values=values, stores=stores, own_store=own_store,
                           found=found, error=error, today=clock.local_date(clock.now_utc()).isoformat(),
                           next_url=request.full_path.rstrip("?")), status


def _problem_text(item: dict) -> str:
    pointer = item.get("pointer", "") if isinstance(item, dict) else ""
    return {"/on": _("the day must be a date"), "/status": _("unknown status"),
            "/store": _("unknown store")}.get(pointer, _("a filter is not valid"))
