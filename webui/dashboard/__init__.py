"""The dashboard (经营概览, issue 12 G6): the owners' and managers' landing page.

Today beside yesterday and the same day last week, a 30-day trend, the tier mix, the top
members, what the cards hold (liabilities) and the reminders due. The figures are SQL
aggregates (``figures``, ``plugin_figures``); the charts are drawn by the vendored Apache
ECharts from JSON in a data- attribute of the page (``static/dashboard.js``: the Content-Security-Policy
runs no inline script). A store's manager sees their store (A1); the owner, and a manager
of no one store, see all stores or pick one. A cashier is sent back to the till.
"""
from __future__ import annotations

import json

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core import clock
from core.config_versions import published_config
from core.models import Store

from ..auth import current_staff, login_required
from ..money import yuan
from ..extension import huika
from ..i18n import current_locale
from . import figures, plugin_figures
from .figures import Scope

bp = Blueprint("dashboard", __name__)

MANAGERS = ("owner", "manager")


def dashboard_figures(session, scope: Scope, config, registry, now, lang: str = "zh-CN") -> dict:
    """Every tile's figures, as plain JSON (integer fen; the page turns fen into yuan)."""
    first, last = figures.last_days(now)
    series = figures.daily_series(session, scope, first, last)
    plugin_figures.add_recharges(session, scope, config, series)
    return {
        "today": clock.local_date(now).isoformat(),
        "recharges_shown": config.is_enabled(plugin_figures.STORED_VALUE),
        "comparison": figures.comparison(series, now),
        "trend": figures.trend(series),
        "tier_mix": figures.tier_mix(session, scope, config, now, lang),
        "top_members": figures.top_members(session, scope, now),
        "liabilities": plugin_figures.liabilities(session, scope, config, registry, lang),
        "reminders": plugin_figures.reminders(session, scope, config, now),
    }


@bp.get("/dashboard")
@login_required()
def index():
    staff = current_staff()
    if staff.role not in MANAGERS:
        flash(_("The dashboard is for owners and managers; here is the till."), "error")
        return redirect(url_for("cashier.index"))
    lang = "zh-CN" if current_locale() == "zh_CN" else "en"
    with huika().db.read() as session:
        stores = dict(session.execute(select(Store.id, Store.name)
                                      .where(Store.merchant_id == staff.merchant_id)
                                      .order_by(Store.id)).all())
        own_store = staff.store_id if staff.role != "owner" else None
        store_id, problem, status = _chosen_store(request.args.get("store", ""), stores, own_store)
        scope = Scope(staff.merchant_id, store_id)
        config = published_config(session, staff.merchant_id, huika().plugins)
        data = dashboard_figures(session, scope, config, huika().plugins, clock.now_utc(), lang)
    if own_store is not None:
        # Tiers and members belong to the whole merchant: a store's manager sees their store
        # only (A1), as the reports of the whole merchant are not theirs either.
        data["tier_mix"] = []
    if problem:
        flash(problem, "error")
    return render_template("dashboard/index.html", data=data, stores=stores, store_id=store_id,
                           own_store=own_store, yuan=yuan, chart_json=chart_json(data)), status


def chart_json(data: dict) -> str:
    """What static/dashboard.js draws, as JSON text for a data- attribute (escaped by the
    template like any text: the CSP allows no inline script, not even a JSON block)."""
    return json.dumps({"trend": data["trend"], "tier_mix": data["tier_mix"],
                       "labels": {"net": _("Net sales (yuan)"), "checkouts": _("Checkouts"),
                                  "members": _("Members")}}, ensure_ascii=False)


def _chosen_store(raw: str, stores: dict[int, str], own_store: int | None) -> tuple[int | None, str, int]:
    """(store id or None for all, a problem to tell or "", HTTP status). A store's manager asking
    for another store gets their own, told so, with 403; an unknown store shows all stores."""
    raw = raw.strip()
    if own_store is not None:
        if raw and raw != str(own_store):
            return own_store, _("You may see only your own store's figures."), 403
        return own_store, "", 200
    if not raw:
        return None, "", 200
    if raw.isascii() and raw.isdigit() and len(raw) < 19 and int(raw) in stores:
        return int(raw), "", 200
    return None, _("No such store; showing all stores."), 200
