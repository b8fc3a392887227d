"""The member's events in the portal (E1): the events open for sign-up, the member's own
places, sign up and cancel. Shown only when the merchant enabled the member_events plugin;
the plugin's own functions do the work (the web layer may import plugins; the core may not),
the same seat counter and rules as at the till.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import select

from core import clock
from core.clock import MERCHANT_TZ
from core.config_versions import published_config
from core.errors import HuikaError
from core.models import Member

from ..errors_i18n import error_text
from ..extension import huika
from .blueprint import bp
from .views import member_required, merchant_name

PLUGIN = "member_events"


def events_enabled(db_session, merchant_id: int) -> bool:
    return published_config(db_session, merchant_id, huika().plugins).is_enabled(PLUGIN)


def _when(event) -> str:
    start, end = event.starts_at.astimezone(MERCHANT_TZ), event.ends_at.astimezone(MERCHANT_TZ)
    last = f"{end:%H:%M}" if start.date() == end.date() else f"{end:%m-%d %H:%M}"
    return f"{start:%Y-%m-%d %H:%M}–{last}"


def _row(event, registration=None) -> dict:
    return {"id": event.id, "title": event.title, "description": event.description,
            "place": event.place, "when": _when(event), "seats_left": event.capacity - event.taken,
            "waitlist": event.waitlist, "status": registration.status if registration else None}


@bp.get("/<int:merchant_id>/events")
@member_required
def events(merchant_id: int, member_id: int):
    name = merchant_name(merchant_id)
    from plugins.member_events.events import open_for_signup, upcoming_for_member
    from plugins.member_events.signups import member_tier_keys, tier_allows

    now = clock.now_utc()
    with huika().db.read() as db_session:
        if not events_enabled(db_session, merchant_id):
            abort(404)
        mine = [_row(event, registration)
                for event, registration in upcoming_for_member(db_session, merchant_id, member_id, now, limit=50)]
        taken = {row["id"] for row in mine}
        keys = member_tier_keys(db_session, merchant_id, member_id)
        open_events = [_row(event) for event in open_for_signup(db_session, merchant_id, now)
                       if event.id not in taken and tier_allows(event, keys)]
    return render_template("member/events.html", merchant_id=merchant_id, merchant_name=name,
                           mine=mine, open_events=open_events, form=FlaskForm())


def _act(merchant_id: int, member_id: int, event_id: int, action) -> None:
    form = FlaskForm()
    if not form.validate():
        flash(_("This form is out of date; submit it again."), "error")
        return
    try:
        with huika().db.write() as db_session:
            if not events_enabled(db_session, merchant_id):
                abort(404)
            member = db_session.scalar(select(Member).where(Member.id == member_id,
                                                            Member.merchant_id == merchant_id))
            flash(action(db_session, member), "ok")
    except HuikaError as error:
        flash(error_text(error), "error")


@bp.post("/<int:merchant_id>/events/<int:event_id>/sign-up")
@member_required
def sign_up(merchant_id: int, member_id: int, event_id: int):
    from plugins.member_events import signups
    from plugins.member_events.events import find_event
    from plugins.member_events.messages import confirm_signup

    def act(db_session, member):
        now = clock.now_utc()
        registration = signups.sign_up(db_session, merchant_id, event_id, member.id, channel="portal", now=now)
        event = find_event(db_session, merchant_id, event_id)
        confirm_signup(db_session, registration, event, now)
        if registration.status == "waitlisted":
            return _("You are on the waiting list for %(event)s; we will tell you when a seat is free.",
                     event=event.title)
        return _("You are signed up for %(event)s.", event=event.title)

    _act(merchant_id, member_id, event_id, act)
    return redirect(url_for("member.events", merchant_id=merchant_id), 303)


@bp.post("/<int:merchant_id>/events/<int:event_id>/cancel")
@member_required
def cancel(merchant_id: int, member_id: int, event_id: int):
    from plugins.member_events import signups
    from plugins.member_events.events import find_event
    from plugins.member_events.messages import confirm_promoted

    def act(db_session, member):
        now = clock.now_utc()
        _registration, promoted = signups.cancel(db_session, merchant_id, event_id, member_id=member.id, now=now)
        event = find_event(db_session, merchant_id, event_id)
        confirm_promoted(db_session, event, promoted, now)
        return _("Your sign-up for %(event)s is cancelled.", event=event.title)

    _act(merchant_id, member_id, event_id, act)
    return redirect(url_for("member.events", merchant_id=merchant_id), 303)
