"""The form every inbox list posts to, and the lists the till and the editor draw."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from core import inbox
from core import clock
from core.errors import Conflict, Forbidden, HuikaError, Invalid, NotFound

from ..api.inbox import listing, work
from ..auth import current_staff, login_required
from .present import fact_phrases, kind_text, snooze_default

bp = Blueprint("inbox", __name__, url_prefix="/inbox")
STAFF_ROLES = ("cashier", "manager", "owner")


def viewer() -> inbox.Viewer:
    staff = current_staff()
    return inbox.Viewer(staff.id, staff.merchant_id, staff.role, staff.store_id)


def page_list(args) -> dict:
    """The list for a page, each task with its kind and facts in the reader's language."""
    found = listing(viewer(), args)
    for task in found["tasks"]:
        task["kind_text"] = kind_text(task)
        task["fact_phrases"] = fact_phrases(task["facts"])
    return found


def till_panel() -> dict:
    """Today's open tasks of the signed-in staff member's store, for the till's 今日回访."""
    try:
        return page_list({})
    except HuikaError:  # the till still opens if the reminders cannot be read
        return {"tasks": [], "total": 0}


@bp.app_context_processor
def _inbox_helpers() -> dict:
    return {"inbox_snooze_default": lambda: snooze_default(clock.local_date(clock.now_utc())),
            "inbox_till_panel": till_panel}


@bp.post("/tasks/<int:task_id>")
@login_required(*STAFF_ROLES)
def work_task(task_id: int):
    """已联系 / 稍后 / 备注 from a list: JSON for the till's script, else back to the list."""
    wants_json = request.accept_mimetypes.best == "application/json"
    if not FlaskForm().validate_on_submit():
        if wants_json:
            return jsonify({"error": {"code": "bad_request", "message": _("The form has expired; reload the page.")}}), 400
        abort(400)
    body = {"action": (request.form.get("action") or "")[:20]}
    for name in ("until", "note"):
        value = request.form.get(name)
        if value:
            body[name] = value
    try:
        task = work(viewer(), task_id, body)
        message, status = _done_message(body["action"]), 200
    except HuikaError as error:
        task, (message, status) = None, _error_message(error)
    if wants_json:
        if task is None:
            return jsonify({"error": {"code": "invalid" if status == 422 else "conflict" if status == 409
                                      else "not_found", "message": message}}), status
        return jsonify({"task": {"id": task["id"], "status": task["status"], "note": task["note"],
                                 "due_on": task["due_on"]}, "message": message})
    flash(message, "success" if task is not None else "error")
    return redirect(_back())


def _done_message(action: str) -> str:
    return {"done": _("Marked as contacted."), "snooze": _("Snoozed: it comes back on the chosen day."),
            "note": _("Note saved.")}[action]


def _error_message(error: HuikaError) -> tuple[str, int]:
    if isinstance(error, Conflict):
        return _("This task is done already; nothing was changed."), 409
    if isinstance(error, (NotFound, Forbidden)):
        return _("No such task in your inbox."), 404
    pointers = {item.get("pointer") for item in error.details or [] if isinstance(item, dict)} \
        if isinstance(error, Invalid) and isinstance(error.details, list) else set()
    if "/until" in pointers:
        return _("Choose a day after today, at most %(days)s days ahead.", days=inbox.MAX_SNOOZE_DAYS), 422
    if "/note" in pointers:
        return _("Write a note of at most %(count)s characters.", count=inbox.MAX_NOTE), 422
    return _("Choose an action: contacted, later or note."), 422


def _back() -> str:
    """Where the list was: the form's ``next`` if it is a path on this site, else the editor's list."""
    target = request.form.get("next") or ""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target and len(target) < 500:
        return target
    return url_for("editor.inbox") if current_staff().role in ("owner", "manager") else url_for("cashier.till")
