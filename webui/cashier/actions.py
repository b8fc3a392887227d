"""Plugin actions at the till, shown only when the merchant enabled the plugin: recharge (S1),
points mall (P4), lucky wheel (P4), and any other screen (plugin or merchant-designed) whose
operation this server runs. Plugins are never imported: operations are looked up by id."""
from __future__ import annotations

import base64
import re

from flask import abort, g, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from core.config_versions import published_config
from core.errors import HuikaError
from core.ledger import card_balances
from core.models import Card

from .. import screens
from ..auth import current_staff, login_required
from ..extension import huika
from ..errors_i18n import detail_errors, error_text
from ..i18n import label
from .blueprint import STAFF_ROLES, bp
from .forms import KeyOnlyForm
from .screen_result import result_rows
from .ops import (
    HAND_WRITTEN,
    KEY_PATTERN,
    MALL_ITEMS,
    PRIZES,
    RECHARGE,
    REDEEM,
    SPIN,
    balance_rows,
    error_messages,
    features,
    find_operation,
    new_key,
    run,
    status_of,
)

_RULE_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
CARD_PARAMS = {"card_number", "card_id", "number"}
MEMBER_PARAMS = {"member_id"}


def _card_context(number: str) -> tuple[dict, object]:
    """The card (of this merchant) an action is for, and the published configuration."""
    staff = current_staff()
    with huika().db.read() as session:
        card = session.scalar(select(Card).where(Card.merchant_id == staff.merchant_id,
                                                 Card.number == number))
        if card is None:
            abort(404)
        config = published_config(session, staff.merchant_id, huika().plugins)
        info = {"number": card.number, "member_id": card.member_id,
                "member_name": card.member.name if card.member else "", "status": card.status,
                "balances": card_balances(session, card.id)}
        info["balance_rows"] = balance_rows(info["balances"])
    return info, config


def _key(form) -> str | None:
    key = form.idempotency_key.data or ""
    return key if KEY_PATTERN.match(key) else None


# -- plugin screens through the shared renderer (webui/screens/) ------------------------------

def raw_values(screen: dict, formdata) -> dict:
    """What was typed, by scope path, so a refused form shows it again exactly as typed."""
    values: dict = {}
    for element in screens.walk(screen["ui"]):
        if element.get("type") != "Control":
            continue
        path = screens.scope_path(element["scope"])
        if not path:
            continue
        name = ".".join(path)
        prop = screens.resolve_scope(screen["data_schema"], element["scope"]) or {}
        if prop.get("type") == "array":
            value = formdata.getlist(name)
        elif prop.get("type") == "boolean":
            value = formdata.get(name) in ("true", "on", "1", "y")
        else:
            value = formdata.get(name)
            if value in (None, ""):
                continue
        target = values
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = value
    return values


def with_autofocus(html: Markup, focus: bool = True) -> Markup:
    """The rendered inputs with ``autofocus`` on the first one (the first invalid one if any)."""
    text = str(html)
    if not focus:
        return html
    invalid = text.find('aria-invalid="true"')
    if invalid != -1:
        start = max(text.rfind("<input", 0, invalid), text.rfind("<select", 0, invalid),
                    text.rfind("<textarea", 0, invalid))
    else:
        found = [i for i in (text.find("<input"), text.find("<select"), text.find("<textarea")) if i != -1]
        start = min(found) if found else -1
    if start == -1:
        return html
    space = text.index(" ", start)
    return Markup(text[:space] + " autofocus" + text[space:])


def screen_for_operation(config, operation_id: str) -> dict | None:
    """The screen (as the merchant arranged it) whose action runs ``operation_id``."""
    return next((s for s in screens.effective_screens(config)
                 if s.get("action", {}).get("operation_id") == operation_id), None)


def screen_flow(screen: dict, op, params: dict, *, template: str, done_template: str, context: dict,
                current: dict | None = None):
    """GET: the screen's form (filled with ``current`` values, if given). POST: parse it, run
    its operation through execute(), show the result; a refused submission comes back with
    what was typed and the errors in place."""
    messages: list[str] = []
    errors: list = []
    values: dict = dict(current or {})
    status = 200
    if request.method == "POST":
        status = 422
        form = KeyOnlyForm()
        values = raw_values(screen, request.form)
        key = _key(form)
        if not form.validate() or (op.idempotent and key is None):
            messages.append(_("This form is out of date; submit it again."))
        else:
            data, problems = screens.parse_submission(screen, request.form)
            if problems:
                errors = problems
                messages.append(_("Please check the marked fields."))
            else:
                try:
                    outcome = run(op.operation_id, params=params, body=data,
                                  key=key if op.idempotent else None)
                except HuikaError as error:
                    status = status_of(error)
                    messages.append(error_text(error))
                    errors = detail_errors(error)
                else:
                    return render_template(done_template, result=outcome.body,
                                           title=label(screen.get("title")), shown_rows=result_rows(outcome.body),
                                           replayed=outcome.replayed, **context), 201
    form = KeyOnlyForm(formdata=None)
    form.idempotency_key.data = new_key()
    html = with_autofocus(screens.render_screen(screen, values, errors=errors))
    return render_template(template, form=form, screen_html=html, messages=messages,
                           title=label(screen.get("title")),
                           description=label(screen.get("description")), **context), status


# -- recharge (S1) -------------------------------------------------------------------------

@bp.route("/cards/<number>/recharge", methods=["GET", "POST"])
@login_required(*STAFF_ROLES)
def recharge(number: str):
    card, config = _card_context(number)
    offered = features(config, current_staff().role)
    screen = screen_for_operation(config, RECHARGE[0])
    if not offered.recharge or screen is None:
        abort(404)
    settings = offered.sv_settings
    return screen_flow(screen, find_operation(*RECHARGE), {"card_number": number},
                       template="cashier/recharge.html", done_template="cashier/recharge_done.html",
                       context={"card": card, "minimum": settings.get("min_recharge_fen", 0),
                                "bonus_tiers": settings.get("bonus_tiers", [])})


# -- points mall (P4) ----------------------------------------------------------------------

@bp.route("/cards/<number>/redeem", methods=["GET", "POST"])
@login_required(*STAFF_ROLES)
def redeem(number: str):
    card, config = _card_context(number)
    screen = screen_for_operation(config, REDEEM[0])
    if not features(config, current_staff().role).redeem or screen is None:
        abort(404)
    items = []
    try:
        items = run(MALL_ITEMS, query={"active": "true"}).body["items"]
    except HuikaError:
        pass
    return screen_flow(screen, find_operation(*REDEEM), {"card_number": number},
                       template="cashier/redeem.html", done_template="cashier/redeem_done.html",
                       context={"card": card, "items": items})


# -- lucky wheel (P4) ----------------------------------------------------------------------

@bp.route("/cards/<number>/wheel", methods=["GET", "POST"])
@login_required(*STAFF_ROLES)
def wheel(number: str):
    card, config = _card_context(number)
    offered = features(config, current_staff().role)
    if not offered.wheel:
        abort(404)
    prizes = []
    try:
        prizes = [p for p in run(PRIZES).body["items"] if p.get("active")]
    except HuikaError:
        pass
    form = KeyOnlyForm()
    messages, status = [], 200
    if request.method == "POST":
        status = 422
        key = _key(form)
        if not form.validate() or key is None:
            messages.append(_("This form is out of date; submit it again."))
        else:
            try:
                outcome = run(SPIN, params={"card_number": number}, body={}, key=key)
            except HuikaError as error:
                status = status_of(error)
                messages.extend(error_messages(error))
            else:
                return render_template("cashier/wheel_done.html", card=card,
                                       result=outcome.body), 201
    form.idempotency_key.data = new_key()
    return render_template("cashier/wheel.html", card=card, form=form, prizes=prizes,
                           settings=offered.points_settings, messages=messages), status


# -- any other screen ----------------------------------------------------------------------

def rule_params(rule: str) -> list[str]:
    return _RULE_PARAM.findall(rule)


def available_screens(config, role: str) -> list[dict]:
    """Screens the cashier can open from a member page: plugin screens (as the merchant
    arranged them) and the merchant's own, whose operation is served here, which the role may
    run, whose plugin is enabled, and whose path needs a card or a member."""
    return [s for s in _runnable_screens(config, role) if s["params"]]


def standalone_screens(config, role: str) -> list[dict]:
    """Runnable screens whose operation needs no path parameter (a list such as today's
    follow-ups): the cashier opens them from the navigation, not from a member."""
    return [s for s in _runnable_screens(config, role) if not s["params"]]


def nav_screens() -> list[dict]:
    """The signed-in staff member's standalone screens, for the navigation (once per request)."""
    if "cashier_nav_screens" not in g:
        staff = current_staff()
        g.cashier_nav_screens = []
        if staff is not None:
            with huika().db.read() as session:
                config = published_config(session, staff.merchant_id, huika().plugins)
            g.cashier_nav_screens = standalone_screens(config, staff.role)
    return g.cashier_nav_screens


def _runnable_screens(config, role: str) -> list[dict]:
    result, seen = [], set()
    for screen in screens.effective_screens(config):
        action = screen.get("action", {})
        if screen["id"] == screens.MEMBER_SCREEN_ID or screen["id"] in seen \
                or action.get("operation_id") in HAND_WRITTEN:
            continue
        op = find_operation(action.get("operation_id", ""))
        if op is None or op.method != action.get("method") or role not in op.roles:
            continue
        if op.plugin and not config.is_enabled(op.plugin):
            continue
        params = set(rule_params(op.rule))
        if not params <= CARD_PARAMS | MEMBER_PARAMS:
            continue
        seen.add(screen["id"])
        result.append({"id": screen["id"], "title": label(screen["title"]),
                       "needs_card": bool(params & CARD_PARAMS), "params": sorted(params)})
    return result


@bp.route("/members/<int:member_id>/screens/<screen_id>", methods=["GET", "POST"])
@login_required(*STAFF_ROLES)
def screen(member_id: int, screen_id: str):
    staff = current_staff()
    number = request.args.get("card", "")
    with huika().db.read() as session:
        config = published_config(session, staff.merchant_id, huika().plugins)
        if number:
            owner = session.scalar(select(Card.member_id).where(
                Card.merchant_id == staff.merchant_id, Card.number == number))
            if owner != member_id:
                abort(404)
    offered = {s["id"]: s for s in available_screens(config, staff.role)}
    document = screens.effective_screen(config, screen_id)
    if screen_id not in offered or document is None or (offered[screen_id]["needs_card"] and not number):
        abort(404)
    op = find_operation(document["action"]["operation_id"])
    params = {name: member_id if name in MEMBER_PARAMS else number for name in rule_params(op.rule)}
    return screen_flow(document, op, params, template="cashier/screen.html",
                       done_template="cashier/screen_done.html", current=current_values(op, params),
                       context={"member_id": member_id, "number": number, "flatten": _flatten,
                                "svg_image": _svg_image})


@bp.route("/screens/<screen_id>", methods=["GET", "POST"])
@login_required(*STAFF_ROLES)
def standalone_screen(screen_id: str):
    """A screen that needs no card or member (offered in the navigation)."""
    staff = current_staff()
    with huika().db.read() as session:
        config = published_config(session, staff.merchant_id, huika().plugins)
    offered = {s["id"] for s in standalone_screens(config, staff.role)}
    document = screens.effective_screen(config, screen_id)
    if screen_id not in offered or document is None:
        abort(404)
    op = find_operation(document["action"]["operation_id"])
    return screen_flow(document, op, {}, template="cashier/screen.html",
                       done_template="cashier/screen_done.html",
                       context={"member_id": None, "number": "", "flatten": _flatten,
                                "svg_image": _svg_image})


def current_values(op, params: dict) -> dict:
    """What a PUT screen edits, read from the GET of the same path (if one is served), so the
    form opens with the values it is about to replace."""
    if op.method != "PUT" or request.method != "GET":
        return {}
    reader = next((o for o in huika().handlers.values()
                   if o.rule == op.rule and o.method == "GET"), None)
    if reader is None:
        return {}
    try:
        return run((reader.operation_id, reader.rule, "GET"), params=params).body
    except HuikaError:
        return {}


def _svg_image(svg: str) -> Markup:
    """A plugin's SVG (e.g. a voucher's QR code) as an <img>: a data URI, so nothing in it can
    run in the page whatever the plugin put there."""
    data = base64.b64encode(str(svg).encode("utf-8")).decode("ascii")
    return Markup('<img class="qr" alt="QR" src="data:image/svg+xml;base64,{}">').format(data)


def _flatten(value, prefix: str = "") -> list[tuple[str, str]]:
    """A result document as (key path, text) rows for a plain list."""
    if isinstance(value, dict):
        return [row for key, inner in value.items() for row in _flatten(inner, f"{prefix}{key}.")]
    if isinstance(value, list):
        return [row for index, inner in enumerate(value) for row in _flatten(inner, f"{prefix}{index}.")]
    return [(prefix.rstrip("."), "" if value is None else str(value))]
