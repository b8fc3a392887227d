"""Member self-service pages. Public: the QR code, registration, login. Behind the member
session: the member's own cards only (another member's card answers 404)."""
from __future__ import annotations

import io
from functools import wraps
from types import SimpleNamespace

import segno
from flask import (Response, abort, current_app, flash, g, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import HiddenField, StringField
from wtforms.validators import InputRequired, Regexp

from core import clock
from core import members as member_service
from core.clock import now_utc
from core.config_versions import published_config
from core.errors import Conflict, HuikaError, Invalid
from core.fields import PHONE_PATTERN
from core.ledger import card_balances, open_lots
from core.messaging import OutboxSender, check_login_code, request_login_code
from core.messages.policy import opted_out_channels, set_opt_out
from core.models import Card, Member, Merchant

from ..api.money import history as card_history
from ..cashier.forms import apply_member_problems, member_document, member_form
from ..cashier.ops import asset_info, balance_rows, history_rows
from ..cashier.projection import card_projection_texts
from ..errors_i18n import error_text
from ..extension import huika
from ..i18n import label
from ..throttle import refused_page_for
from .blueprint import bp

SESSION_KEY = "member_portal"  # {"member_id", "merchant_id"}: the member's own session
PENDING_KEY = "member_login"  # {"merchant_id", "phone"}: a code was asked for this phone
PACKAGE_UNITS = ("session", "minute", "voucher")
HISTORY_PER_PAGE = 10


class PhoneForm(FlaskForm):
    phone = StringField(_l("Mobile phone"), validators=[
        InputRequired(message=_l("Type your mobile number.")),
        Regexp(PHONE_PATTERN, message=_l("An 11-digit mainland mobile number, e.g. 13800138000."))],
        render_kw={"inputmode": "numeric", "autocomplete": "tel", "maxlength": "11"})


class CodeForm(FlaskForm):
    phone = HiddenField()
    code = StringField(_l("Code from the SMS"), validators=[
        InputRequired(message=_l("Type the 6-digit code."))],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "6"})


def message_sender():
    """The configured MessageSender (app.config HUIKA_MESSAGE_SENDER), else the outbox."""
    return current_app.config.get("HUIKA_MESSAGE_SENDER") or OutboxSender()


def merchant_name(merchant_id: int) -> str:
    with huika().db.read() as db_session:
        merchant = db_session.get(Merchant, merchant_id)
        if merchant is None:
            abort(404)
        return merchant.name


def signed_in_member(merchant_id: int) -> int | None:
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict) or data.get("merchant_id") != merchant_id:
        return None
    member_id = data.get("member_id")
    with huika().db.read() as db_session:
        exists = db_session.scalar(select(Member.id).where(Member.id == member_id,
                                                           Member.merchant_id == merchant_id))
    return exists


def member_required(view):
    @wraps(view)
    def wrapped(merchant_id: int, **kwargs):
        member_id = signed_in_member(merchant_id)
        if member_id is None:
            return redirect(url_for("member.login", merchant_id=merchant_id))
        return view(merchant_id=merchant_id, member_id=member_id, **kwargs)

    return wrapped


# -- public pages ------------------------------------------------------------------------

@bp.get("/<int:merchant_id>/")
def home(merchant_id: int):
    name = merchant_name(merchant_id)
    if signed_in_member(merchant_id) is not None:
        return redirect(url_for("member.me", merchant_id=merchant_id))
    return render_template("member/home.html", merchant_id=merchant_id, merchant_name=name)


@bp.get("/<int:merchant_id>/qr.svg")
def qr_svg(merchant_id: int):
    """The merchant's registration QR code (SVG, printed at the counter: M3)."""
    merchant_name(merchant_id)
    target = url_for("member.register", merchant_id=merchant_id, _external=True)
    buffer = io.BytesIO()
    segno.make(target, error="m", micro=False).save(buffer, kind="svg", scale=8, border=2,
                                                    title=target)
    response = Response(buffer.getvalue(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.route("/<int:merchant_id>/register", methods=["GET", "POST"])
def register(merchant_id: int):
    """Self-registration with the merchant's published fields (M3); the card is collected at
    the counter."""
    name = merchant_name(merchant_id)
    with huika().db.read() as db_session:
        config = published_config(db_session, merchant_id, huika().plugins)
    form, schema = member_form(config, request.form if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            document = member_document(form, schema, channel="online")
            try:
                with huika().db.write() as db_session:
                    config = published_config(db_session, merchant_id, huika().plugins)
                    member_service.create_member(db_session, config, merchant_id, document)
            except Invalid as error:
                apply_member_problems(form, error.details)
                form.form_errors.insert(0, _("Please check the marked fields."))
            except Conflict:
                form.phone.errors = [*list(form.phone.errors),
                                     _("This number is already registered: sign in instead.")]
                status = 409
            else:
                flash(_("Welcome! You are registered. Collect your card at the counter; sign in "
                        "here to see your points and balance."))
                return redirect(url_for("member.login", merchant_id=merchant_id,
                                        phone=document["phone"]), 303)
    return render_template("member/register.html", form=form, merchant_id=merchant_id,
                           merchant_name=name), status


@refused_page_for("member.register")
def register_refused(message: str):
    """Too many registrations from this client (webui/throttle.py): the form as filled in."""
    merchant_id = request.view_args["merchant_id"]
    name = merchant_name(merchant_id)
    with huika().db.read() as db_session:
        config = published_config(db_session, merchant_id, huika().plugins)
    form, _schema = member_form(config, request.form)
    form.form_errors.insert(0, message)
    return render_template("member/register.html", form=form, merchant_id=merchant_id,
                           merchant_name=name)


# -- SMS-code login ----------------------------------------------------------------------

def _pending_phone(merchant_id: int) -> str:
    data = session.get(PENDING_KEY)
    if isinstance(data, dict) and data.get("merchant_id") == merchant_id:
        return data.get("phone", "")
    return ""


def _login_page(merchant_id: int, *, phone_form=None, code_form=None, error=None, status=200):
    name = merchant_name(merchant_id)
    phone = _pending_phone(merchant_id)
    phone_form = phone_form or PhoneForm(formdata=None, phone=phone or request.args.get("phone", ""))
    if code_form is None and phone:
        code_form = CodeForm(formdata=None, phone=phone)
    return render_template("member/login.html", merchant_id=merchant_id, merchant_name=name,
                           phone_form=phone_form, code_form=code_form, pending_phone=phone,
                           error=error), status


@bp.get("/<int:merchant_id>/login")
def login(merchant_id: int):
    if signed_in_member(merchant_id) is not None:
        return redirect(url_for("member.me", merchant_id=merchant_id))
    return _login_page(merchant_id)


@bp.post("/<int:merchant_id>/login/code")
def send_code(merchant_id: int):
    name = merchant_name(merchant_id)
    form = PhoneForm()
    if not form.validate():
        return _login_page(merchant_id, phone_form=form, status=422)
    phone = form.phone.data.strip()
    text = _("%(merchant)s: your sign-in code is {code}. It is valid for 10 minutes; never tell "
             "it to anyone.", merchant=name)
    try:
        with huika().db.write() as db_session:
            sent = request_login_code(db_session, merchant_id, phone, sender=message_sender(),
                                      text=text, now=now_utc())
    except HuikaError as error:
        form.phone.errors = [*list(form.phone.errors), error_text(error)]
        return _login_page(merchant_id, phone_form=form, status=422)
    g.sms_code_sent = sent  # committed: it counts against the merchant's daily SMS (throttle)
    session[PENDING_KEY] = {"merchant_id": merchant_id, "phone": phone}
    # The same answer whether or not the number is registered (no member list for guessers).
    flash(_("If %(phone)s is registered with us, a code is on its way by SMS.", phone=phone))
    return redirect(url_for("member.login", merchant_id=merchant_id), 303)


@refused_page_for("member.send_code")
def send_code_refused(message: str):
    """Too many codes asked for (webui/throttle.py: per client, per number, per merchant)."""
    form = PhoneForm()
    form.phone.errors = [message]
    page, _status = _login_page(request.view_args["merchant_id"], phone_form=form)
    return page


@bp.post("/<int:merchant_id>/login")
def verify_code(merchant_id: int):
    merchant_name(merchant_id)
    form = CodeForm()
    phone = _pending_phone(merchant_id) or (form.phone.data or "").strip()
    if not form.validate() or not phone:
        return _login_page(merchant_id, code_form=form, status=422)
    with huika().db.write() as db_session:  # committed even when the code is wrong
        result = check_login_code(db_session, merchant_id, phone, form.code.data, now=now_utc())
    if result.ok:
        locale = session.get("locale")
        session.clear()  # a new session at login: no staff keys, no fixation
        if locale:
            session["locale"] = locale
        session[SESSION_KEY] = {"member_id": result.member_id, "merchant_id": merchant_id}
        session.permanent = True
        return redirect(url_for("member.me", merchant_id=merchant_id), 303)
    messages = {
        "wrong": _("That code is not right; %(left)s tries left.", left=result.attempts_left),
        "invalidated": _("Too many wrong tries: this code no longer works. Ask for a new code."),
        "no_code": _("No valid code for this number: ask for a new code."),
    }
    form.code.errors = [messages[result.reason]]
    form.code.data = ""
    return _login_page(merchant_id, code_form=form,
                       status=429 if result.reason == "invalidated" else 401)


@bp.post("/<int:merchant_id>/logout")
def logout(merchant_id: int):
    session.pop(SESSION_KEY, None)
    session.pop(PENDING_KEY, None)
    flash(_("You are signed out."))
    return redirect(url_for("member.login", merchant_id=merchant_id), 303)


# -- the member's own data ---------------------------------------------------------------

def _own_card(db_session, merchant_id: int, member_id: int, number: str) -> Card:
    card = db_session.scalar(select(Card).where(Card.merchant_id == merchant_id,
                                                Card.member_id == member_id, Card.number == number))
    if card is None or card.status == "replaced":
        abort(404)
    return card


def _history(db_session, merchant_id: int, card: Card, page: int) -> dict:
    """The card's ledger history, through the same query as GET /cards/{number}/history."""
    context = SimpleNamespace(session=db_session, merchant_id=merchant_id,
                              params={"card_number": card.number},
                              query={"page": str(page), "per_page": str(HISTORY_PER_PAGE)})
    return card_history(context)


def _card_view(db_session, config, card: Card) -> dict:
    balances = card_balances(db_session, card.id)
    tier = card.tier
    named = next((t for t in config.tiers if tier and t["key"] == tier.key), None)
    packages = [{"title": label(asset_info(asset).get("title")) or asset, "value": value,
                 "unit": asset_info(asset).get("unit")}
                for asset, value in sorted(balances.items())
                if asset_info(asset).get("unit") in PACKAGE_UNITS and value]
    expiring = [{**lot, "title": label(asset_info(lot["asset"]).get("title")) or lot["asset"]}
                for lot in open_lots(db_session, card.id) if lot["expires_on"]]
    return {"number": card.number, "status": card.status,
            "tier": label(named["name"]) if named else (tier.name_zh if tier else ""),
            "expires_on": card.expires_on.isoformat() if card.expires_on else "",
            "points": balances.get("points"),
            "stored_value": {"principal_fen": balances.get("stored_value_principal", 0),
                             "bonus_fen": balances.get("stored_value_bonus", 0),
                             "pending_fen": balances.get("stored_value_pending", 0)}
            if any(a.startswith("stored_value_") for a in balances) else None,
            "packages": packages, "expiring": expiring,
            "balance_rows": balance_rows(balances),
            "projection": card_projection_texts(db_session, card, config, clock.now_utc())}


@bp.get("/<int:merchant_id>/me")
@member_required
def me(merchant_id: int, member_id: int):
    name = merchant_name(merchant_id)
    with huika().db.read() as db_session:
        config = published_config(db_session, merchant_id, huika().plugins)
        member = db_session.scalar(select(Member).where(Member.id == member_id,
                                                        Member.merchant_id == merchant_id))
        cards = []
        for card in member.cards:
            if card.status == "replaced":
                continue
            view = _card_view(db_session, config, card)
            view["history"] = history_rows(_history(db_session, merchant_id, card, 1)["items"])
            cards.append(view)
        profile = {"name": member.name, "phone": member.phone}
    from ..cashier.views import status_titles

    return render_template("member/me.html", merchant_id=merchant_id, merchant_name=name,
                           member=profile, cards=cards, statuses=status_titles(),
                           events_enabled=config.is_enabled("member_events"),
                           message_channels=channel_choices(merchant_id, member_id))


@bp.get("/<int:merchant_id>/cards/<number>/history")
@member_required
def history(merchant_id: int, member_id: int, number: str):
    name = merchant_name(merchant_id)
    try:
        page = min(max(1, int(request.args.get("page", "1"))), member_service.MAX_PAGE)
    except ValueError:
        page = 1
    with huika().db.read() as db_session:
        card = _own_card(db_session, merchant_id, member_id, number)
        data = _history(db_session, merchant_id, card, page)
    return render_template("member/history.html", merchant_id=merchant_id, merchant_name=name,
                           number=number, rows=history_rows(data["items"]), page=page,
                           more=data["total"] > page * HISTORY_PER_PAGE)


# -- the member's own message choices (issue 14, item 4) -------------------------------

MESSAGE_CHANNELS = ("sms", "email", "wechat")


def channel_choices(merchant_id: int, member_id: int) -> list[dict]:
    """Each channel a member can choose, with whether they receive it now."""
    names = {"sms": _("SMS"), "email": _("Email"), "wechat": _("WeChat")}
    with huika().db.read() as db_session:
        off = opted_out_channels(db_session, merchant_id, member_id)
    return [{"channel": name, "title": names[name], "on": name not in off} for name in MESSAGE_CHANNELS]


@bp.post("/<int:merchant_id>/messages")
@member_required
def message_choices(merchant_id: int, member_id: int):
    """Unsubscribe from a channel (untick it), or subscribe again."""
    wanted = set(request.form.getlist("receive"))
    with huika().db.write() as db_session:
        for name in MESSAGE_CHANNELS:
            set_opt_out(db_session, merchant_id, member_id, name, name not in wanted, source="member")
    flash(_("Your message choices are saved."), "success")
    return redirect(url_for("member.me", merchant_id=merchant_id) + "#messages")
