"""Campaigns in the editor (issue 14 item 5): list, set up with a live member count, send,
cancel, results. Owners and managers; the API's rules (core.campaigns) decide everything.

The live count is the page's own form posted to ``campaign_preview`` (static/campaigns.js);
without JavaScript the 计算人数 button does the same by reloading the page.
"""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core import clock
from core.campaigns import definitions, results as outcome, sending
from core.campaigns.segments import preview, segment_problems
from core.config_versions import published_config
from core.errors import Conflict, Invalid, NotFound
from core.messages.templates import CHANNELS
from core.models import MessageTemplate, Store
from core.reports.member_rfm import NO_PURCHASE, SEGMENTS

from ..audit import record_here
from ..auth import current_staff
from ..extension import huika
from .blueprint import bp
from .campaign_form import FIELD_ROWS, body_from_form, readable, segment_from_form
from .common import editor_required, merchant_id
from .messages import template_kinds
from .views import ConfirmForm


def status_labels() -> dict:
    return {"draft": _("Draft"), "scheduled": _("Scheduled"), "sending": _("Sending"), "sent": _("Sent"),
            "cancelled": _("Cancelled (campaign)")}


def channel_names() -> dict:
    return {"sms": _("SMS"), "email": _("Email"), "wechat": _("WeChat"), "console": _("Console (test)")}


def _choices(session, config) -> dict:
    """What the form offers: tiers, stores, RFM segments, fields, message templates, coupons."""
    coupons = []
    if config.is_enabled("coupons"):
        from plugins.coupons.models import CouponTemplate  # the coupon pick list: webui may read a plugin

        coupons = [(t.id, t.name) for t in session.scalars(select(CouponTemplate).where(
            CouponTemplate.merchant_id == merchant_id(), CouponTemplate.active.is_(True)).order_by(CouponTemplate.id))]
    kinds, channels = template_kinds(), channel_names()
    templates = [(t.id, " · ".join((f"#{t.id} {kinds.get(t.kind, t.kind)}", channels.get(t.channel, t.channel),
                                    _("Chinese") if t.language == "zh" else _("English"))))
                 for t in session.scalars(select(MessageTemplate).where(
                     MessageTemplate.merchant_id == merchant_id()).order_by(MessageTemplate.id))]
    return {
        "tiers": [(tier["key"], tier["name"]["zh-CN"]) for tier in config.tiers],
        "stores": [(s.id, s.name) for s in session.scalars(select(Store).where(Store.merchant_id == merchant_id())
                                                           .order_by(Store.id))],
        "rfm": [(key, zh) for key, zh, _en in (*SEGMENTS.values(), NO_PURCHASE)],
        "fields": [(f["key"], f["label"]["zh-CN"], f["type"]) for f in config.member_fields],
        "templates": templates, "coupons": coupons, "field_rows": FIELD_ROWS,
        "channels": [(channel, channel_names().get(channel, channel)) for channel in CHANNELS],
    }


def _form_values(campaign=None) -> dict:
    """The form's values for an existing campaign (or empty), in the form's own names."""
    if campaign is None:
        return {"schedule": "now"}
    segment = campaign.segment or {}
    values = {"name": campaign.name, "tiers": segment.get("tiers", []), "stores": segment.get("stores", []),
              "rfm": (segment.get("rfm") or {}).get("segments", []), "rfm_days": (segment.get("rfm") or {}).get("days", ""),
              "dormant_days": segment.get("dormant_days", ""),
              "birthday_month": (segment.get("birthday_month") or {}).get("month", ""),
              "birthday_year": (segment.get("birthday_month") or {}).get("year", ""),
              "message_text": (campaign.message or {}).get("text") or "",
              "message_template_id": (campaign.message or {}).get("template_id") or "",
              "message_channel": (campaign.message or {}).get("channel") or "",
              "coupon_template_id": (campaign.benefit or {}).get("template_id", ""),
              "schedule": "later" if campaign.send_at else "now",
              "send_at": definitions.local_time_text(campaign.send_at) or ""}
    spend = segment.get("spend") or {}
    for name, key in (("spend_min", "min_fen"), ("spend_max", "max_fen")):
        values[name] = f"{spend[key] / 100:.2f}" if key in spend else ""  # display only
    values["spend_days"] = spend.get("days", "")
    for row, condition in enumerate(segment.get("fields", []), start=1):
        value = condition.get("value", "")
        values[f"field_key_{row}"], values[f"field_op_{row}"] = condition["key"], condition["op"]
        values[f"field_value_{row}"] = ", ".join(value) if isinstance(value, list) else value
    return values


@bp.get("/campaigns")
@editor_required
def campaigns():
    with huika().db.read() as session:
        found, total = definitions.listing(session, merchant_id(), limit=200)
        rows = [definitions.campaign_json(c) for c in found]
    return render_template("editor/campaigns.html", rows=rows, total=total, statuses=status_labels())


def _editing(campaign_id: int | None):
    form = request.form if request.method == "POST" else None
    problems: list[str] = []
    counted = None
    with huika().db.write() as session:
        config = published_config(session, merchant_id(), huika().plugins)
        campaign = definitions.get(session, merchant_id(), campaign_id) if campaign_id else None
        if form is not None:
            if not ConfirmForm().validate_on_submit():
                abort(400)
            body, read_problems = body_from_form(form, config)
            if form.get("action") == "count":
                counted = _count(session, config, body["segment"], read_problems)
                problems = counted.pop("problems")
            elif read_problems:
                problems = readable(read_problems)
            else:
                try:
                    if campaign is None:
                        campaign = definitions.create(session, config, merchant_id(), body,
                                                      staff_id=current_staff().id, now=clock.now_utc())
                        record_here(session, "campaign.create", f"campaign:{campaign.id}",
                                    after=definitions.campaign_json(campaign))
                    else:
                        before = definitions.campaign_json(campaign)
                        definitions.update(session, config, campaign, body, now=clock.now_utc())
                        record_here(session, "campaign.update", f"campaign:{campaign.id}", before=before,
                                    after=definitions.campaign_json(campaign))
                except Invalid as invalid:
                    session.rollback()
                    problems = readable(invalid.details or [{"pointer": "", "message": str(invalid)}])
                except Conflict as conflict:
                    session.rollback()
                    problems = [str(conflict)]
                else:
                    flash(_("Campaign saved."), "ok")
                    return redirect(url_for("editor.campaign_edit", campaign_id=campaign.id))
        values = dict(form) if form is not None else _form_values(campaign)
        if form is not None:
            for name in ("tiers", "stores", "rfm"):
                values[name] = form.getlist(name)
        if counted is None and campaign is not None and not problems:
            counted = _count(session, config, campaign.segment, [])
            counted.pop("problems")
        return render_template(
            "editor/campaign_form.html", campaign=definitions.campaign_json(campaign) if campaign else None,
            values=values, choices=_choices(session, config), problems=problems, counted=counted,
            statuses=status_labels(), confirm=ConfirmForm(),
            editable=campaign is None or campaign.status in definitions.EDITABLE), 422 if problems else 200


def _count(session, config, segment: dict, read_problems: list) -> dict:
    found = read_problems + segment_problems(session, config, merchant_id(), segment)
    if found:
        return {"count": None, "sample": [], "problems": readable(found)}
    return {**preview(session, config, merchant_id(), segment, clock.local_date(clock.now_utc())), "problems": []}


@bp.route("/campaigns/new", methods=["GET", "POST"])
@editor_required
def campaign_new():
    return _editing(None)


@bp.route("/campaigns/<int:campaign_id>", methods=["GET", "POST"])
@editor_required
def campaign_edit(campaign_id: int):
    try:
        return _editing(campaign_id)
    except NotFound:
        abort(404)


@bp.post("/campaigns/count")
@editor_required
def campaign_preview():
    """The live count: the form as it is now → {"count", "sample", "problems"} (JSON)."""
    with huika().db.read() as session:
        config = published_config(session, merchant_id(), huika().plugins)
        segment, read_problems = segment_from_form(request.form, config)
        counted = _count(session, config, segment, read_problems)
    return jsonify(counted), 422 if counted["problems"] else 200


@bp.post("/campaigns/<int:campaign_id>/send")
@editor_required
def campaign_send(campaign_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        with huika().db.write() as session:
            campaign = definitions.get(session, merchant_id(), campaign_id, lock=True)
            definitions.check_sendable(campaign)
            record_here(session, "campaign.send", f"campaign:{campaign.id}")
        summary = sending.send(huika().db, huika().plugins, merchant_id(), campaign_id, clock.now_utc(),
                               max_members=sending.IN_REQUEST)
    except NotFound:
        abort(404)
    except Conflict as conflict:
        flash(str(conflict), "error")
        return redirect(url_for("editor.campaign_edit", campaign_id=campaign_id))
    flash(_("Sent: %(queued)s messages queued, %(opted_out)s opted out.", queued=summary.get("queued", 0),
            opted_out=summary.get("opted_out", 0)), "ok")
    return redirect(url_for("editor.campaign_results", campaign_id=campaign_id))


@bp.post("/campaigns/<int:campaign_id>/cancel")
@editor_required
def campaign_cancel(campaign_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        with huika().db.write() as session:
            campaign = definitions.get(session, merchant_id(), campaign_id, lock=True)
            definitions.cancel(session, campaign, now=clock.now_utc())
            record_here(session, "campaign.cancel", f"campaign:{campaign.id}")
        flash(_("Campaign cancelled."), "ok")
    except NotFound:
        abort(404)
    except Conflict as conflict:
        flash(str(conflict), "error")
    return redirect(url_for("editor.campaign_edit", campaign_id=campaign_id))


@bp.get("/campaigns/<int:campaign_id>/results")
@editor_required
def campaign_results(campaign_id: int):
    days_text = request.args.get("days") or "7"
    days = int(days_text) if days_text.isdigit() and 1 <= int(days_text) <= outcome.MAX_WINDOW_DAYS else 7
    with huika().db.read() as session:
        try:
            campaign = definitions.get(session, merchant_id(), campaign_id)
        except NotFound:
            abort(404)
        config = published_config(session, merchant_id(), huika().plugins)
        figures = outcome.results(session, config, campaign, days)
        return render_template("editor/campaign_results.html", campaign=definitions.campaign_json(campaign),
                               figures=figures, days=days, statuses=status_labels())
