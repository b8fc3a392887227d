"""The staff's event pages (E1): the coming events with their seats, and one event's list of
sign-ups with a 签到 button per member, for the door when the list is easier than a search.

Everything runs the member_events plugin's operations by id through ``ops.run`` (its roles,
the plugin-enabled check and the audit), so without the plugin these pages answer 404 and
the navigation hides the link.
"""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from core.errors import HuikaError

from ..auth import current_staff, login_required
from ..errors_i18n import error_text
from .blueprint import STAFF_ROLES, bp
from ..money import local_time
from .ops import config_for_staff, operation_enabled, run

LIST = ("listEvents", "/events", "GET")
READ = ("getEvent", "/events/<int:event_id>", "GET")
SIGN_UPS = ("listEventRegistrations", "/events/<int:event_id>/registrations", "GET")
CHECK_IN = ("checkInAtEvent", "/events/<int:event_id>/check-ins", "POST")
STATUS_TITLES = {"registered": _l("Signed up"), "waitlisted": _l("Waiting list"), "cancelled": _l("Cancelled")}


def events_installed() -> bool:
    """Whether the signed-in staff member's merchant runs member events (once per request)."""
    if "cashier_events" not in g:
        staff = current_staff()
        g.cashier_events = staff is not None and operation_enabled(config_for_staff(), LIST, staff.role)
    return g.cashier_events


def _short(text: str | None) -> str:
    return (text or "")[:16].replace("T", " ")


@bp.get("/events")
@login_required(*STAFF_ROLES)
def events():
    if not events_installed():
        abort(404)
    try:
        status = request.args.get("status", "")[:12]
        found = run(LIST, query={"status": status} if status else {}).body["events"]
    except HuikaError as error:
        flash(error_text(error), "error")
        found = []
    for event in found:
        event["when"] = f"{_short(event['starts_at'])}–{_short(event['ends_at'])[11:]}"
    return render_template("cashier/events.html", events=found)


@bp.get("/events/<int:event_id>")
@login_required(*STAFF_ROLES)
def event(event_id: int):
    if not events_installed():
        abort(404)
    try:
        found = run(READ, params={"event_id": event_id}).body
        sign_ups = run(SIGN_UPS, params={"event_id": event_id}).body["registrations"]
    except HuikaError:
        abort(404)
    for row in sign_ups:
        row["checked_in"] = _short(row.get("checked_in_at"))[11:]
        row["status_title"] = str(STATUS_TITLES.get(row["status"], row["status"]))
    found["when"] = f"{_short(found['starts_at'])}–{_short(found['ends_at'])[11:]}"
    present = sum(1 for row in sign_ups if row["checked_in"])
    return render_template("cashier/event.html", event=found, sign_ups=sign_ups, present=present,
                           form=FlaskForm(), local_time=local_time)


@bp.post("/events/<int:event_id>/check-in/<int:registration_id>")
@login_required(*STAFF_ROLES)
def check_in(event_id: int, registration_id: int):
    if not events_installed():
        abort(404)
    if not FlaskForm().validate():
        flash(_("This form is out of date; submit it again."), "error")
    else:
        try:
            done = run(CHECK_IN, params={"event_id": event_id}, body={"registration_id": registration_id}).body
        except HuikaError as error:
            flash(error_text(error), "error")
        else:
            flash(_("%(name)s is checked in.", name=done["member_name"]), "ok")
    return redirect(url_for("cashier.event", event_id=event_id), 303)
