"""Staff login with sessions for the web pages (the API uses bearer tokens instead).

Login renews the session (no fixation); attempts are throttled per account and per client
(webui/throttle.py); cookies are HttpOnly and SameSite=Lax; over HTTPS they are Secure and
named with the ``__Host-`` prefix (the browser then refuses the cookie from plain HTTP, from a
sibling subdomain or for a narrower path, so it cannot be planted or overwritten from there);
every form carries a CSRF token (Flask-WTF).

Sign-in (issue 13 item 7): the merchant by its 6-digit code or its full name (spaces and case
ignored, core.tenancy.resolve_merchant); the device remembers the merchant in a long-lived,
non-secret cookie (``huika_merchant``: the code), so the next sign-in needs only the username
and password. Each wrong field gets its own message — unknown merchant, unknown username,
wrong password. Telling an unknown username from a wrong password lets someone learn which
usernames exist; at a shop that is acceptable (usernames are short words such as
``cashier``, not secrets, and the answer's timing told it anyway) and a cashier who mistyped
her name needs to know which field to fix. Guessing stays bounded by the per-account and
per-client throttles (webui/throttle.py), which count every attempt, right or wrong, the
same. docs/operations.md says so for operators.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from core.models import Merchant, Staff
from core.security import verify_secret
from core.tenancy import AmbiguousMerchant, resolve_merchant

from .extension import huika
from .throttle import refused_page_for

bp = Blueprint("auth", __name__)


HOST_ONLY_PREFIX = "__Host-"


class HttpsAwareSessions(SecureCookieSessionInterface):
    """Over HTTPS the session cookie is Secure and ``__Host-`` prefixed (Path=/, no Domain)."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure

    def get_cookie_name(self, app) -> str:
        name = super().get_cookie_name(app)
        if request.is_secure and not app.config.get("SESSION_COOKIE_DOMAIN"):
            return HOST_ONLY_PREFIX + name
        return name

    def get_cookie_path(self, app) -> str:
        return "/" if request.is_secure else super().get_cookie_path(app)

    def open_session(self, app, request):
        # No cookie, nothing to verify: skip building the signing serializer, a tenth of an
        # API request's work (API clients send bearer tokens, never the cookie; issue 11 F4).
        # No Cookie header at all (every API client): not even the cookie name to work out.
        if app.secret_key and ("HTTP_COOKIE" not in request.environ
                               or self.get_cookie_name(app) not in request.cookies):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response) -> None:
        # An empty session nobody read or changed (every API request) sets, deletes and varies
        # on nothing: skip working out the cookie's name, path, domain and flags for it (F4).
        if not session and not session.accessed and not session.modified:
            return
        super().save_session(app, session, response)


REMEMBERED_MERCHANT = "huika_merchant"  # the merchant code this device signs in to
REMEMBER_SECONDS = 400 * 24 * 3600  # the longest a browser keeps a cookie (Chromium's cap)


class LoginForm(FlaskForm):
    merchant = StringField("merchant", validators=[DataRequired(), Length(max=100)])
    username = StringField("username", validators=[DataRequired(), Length(max=60)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=200)])


@dataclass(frozen=True)
class StaffUser:
    id: int
    merchant_id: int
    merchant_name: str
    username: str
    display_name: str
    role: str
    store_id: int | None


def current_staff() -> StaffUser | None:
    if "staff" in g:
        return g.staff
    g.staff = None
    staff_id = session.get("staff_id")
    if staff_id is not None:
        with huika().db.read() as db_session:
            staff = db_session.get(Staff, staff_id)
            if staff is not None and staff.active and staff.merchant_id == session.get("merchant_id"):
                merchant = db_session.get(Merchant, staff.merchant_id)
                g.staff = StaffUser(staff.id, staff.merchant_id, merchant.name, staff.username,
                                    staff.display_name, staff.role, staff.store_id)
    return g.staff


def login_required(*roles: str):
    """Page views: redirect to the login page; 403 for a role not in ``roles`` (if given)."""

    def decorator(view):
        @wraps(view)
        def wrapped(**kwargs):
            staff = current_staff()
            if staff is None:
                return redirect(url_for("auth.login", next=request.full_path))
            if roles and staff.role not in roles:
                abort(403)
            return view(**kwargs)

        return wrapped

    return decorator


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    remembered = _remembered_merchant()
    if request.method == "GET" and remembered is not None and not form.merchant.data:
        form.merchant.data = remembered.code
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        staff, merchant, errors = _check_sign_in(form)
        if staff is not None:
            locale = session.get("locale")
            session.clear()  # a new session at login: no fixation
            session["staff_id"], session["merchant_id"] = staff.id, staff.merchant_id
            if locale:
                session["locale"] = locale
            session.permanent = True
            target = request.args.get("next") or ""
            if not target.startswith("/") or target.startswith("//"):
                target = landing_page(staff.role)
            response = redirect(target)
            response.set_cookie(REMEMBERED_MERCHANT, merchant.code or "", max_age=REMEMBER_SECONDS,
                                httponly=True, samesite="Lax", secure=request.is_secure)
            return response
    elif request.method == "POST":
        errors = {name: _("Please fill this in.") for name in ("merchant", "username", "password")
                  if not (getattr(form, name).data or "").strip()}
        if not errors:  # too long, or no valid CSRF token (Flask-WTF answers 400 for that first)
            errors = {"form": _("Please fill in every field.")}
    return render_template("auth/login.html", form=form, error=errors.get("form"), errors=errors,
                           remembered=remembered), 200 if not errors else 401


def _check_sign_in(form: LoginForm) -> tuple[Staff | None, Merchant | None, dict[str, str]]:
    """(staff, merchant, {}) when every field is right, else (None, merchant, {field: why})."""
    with huika().db.read() as db_session:
        try:
            merchant = resolve_merchant(db_session, form.merchant.data)
        except AmbiguousMerchant:
            return None, None, {"merchant": _("Several merchants have this name: type the 6-digit "
                                              "merchant code instead.")}
        if merchant is None:
            return None, None, {"merchant": _("No merchant has this code or name. Type the 6-digit "
                                              "merchant code or the merchant's full name.")}
        username = form.username.data.strip().lower()
        staff = db_session.scalar(select(Staff).where(Staff.merchant_id == merchant.id,
                                                      Staff.username == username, Staff.active.is_(True)))
        if staff is None:
            return None, merchant, {"username": _("%(merchant)s has no staff member with this username.",
                                                  merchant=merchant.name)}
        if not verify_secret(form.password.data, staff.password_hash):
            return None, merchant, {"password": _("The password is not right.")}
        db_session.expunge(staff)
        db_session.expunge(merchant)
        return staff, merchant, {}


def _remembered_merchant() -> Merchant | None:
    """The merchant this device signed in to last (the cookie holds its code), or None."""
    code = request.cookies.get(REMEMBERED_MERCHANT, "")
    if not code or len(code) > 12 or not code.isdigit():
        return None
    with huika().db.read() as db_session:
        merchant = db_session.scalar(select(Merchant).where(Merchant.code == code))
        if merchant is not None:
            db_session.expunge(merchant)
        return merchant


def landing_page(role: str) -> str:
    """Where a sign-in lands without ``next``: owners and managers on the dashboard (the editor
    one click away), cashiers on the till."""
    return url_for("dashboard.index") if role in ("owner", "manager") else url_for("cashier.till")


@refused_page_for("auth.login")
def login_refused(message: str):
    """Too many attempts (webui/throttle.py): the form again, with when to retry."""
    return render_template("auth/login.html", form=LoginForm(), error=message, errors={},
                           remembered=_remembered_merchant())


@bp.post("/logout")
def logout():
    session.clear()
    flash(_("You are signed out."))
    return redirect(url_for("auth.login"))
