"""Staff login with sessions for the web pages (the API uses bearer tokens instead).

Login renews the session (no fixation); attempts are throttled per account and per client
(webui/throttle.py); cookies are HttpOnly and SameSite=Lax; over HTTPS they are Secure and
named with the ``__Host-`` prefix (the browser then refuses the cookie from plain HTTP, from a
sibling subdomain or for a narrower path, so it cannot be planted or overwritten from there);
every form carries a CSRF token (Flask-WTF).
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
from core.tenancy import authenticate

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
    error = None
    if form.validate_on_submit():
        with huika().db.read() as db_session:
            merchant = db_session.scalar(select(Merchant).where(Merchant.name == form.merchant.data.strip()))
            staff = authenticate(db_session, merchant.id, form.username.data.strip(),
                                 form.password.data) if merchant else None
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
                return redirect(target)
        error = _("Merchant, username or password is not right.")
    elif request.method == "POST":
        error = _("Please fill in every field.")
    return render_template("auth/login.html", form=form, error=error), 200 if error is None else 401


def landing_page(role: str) -> str:
    """Where a sign-in lands without ``next``: owners and managers on the dashboard (G6),
    everyone else on the home page."""
    return url_for("dashboard.index") if role in ("owner", "manager") else url_for("home.index")


@refused_page_for("auth.login")
def login_refused(message: str):
    """Too many attempts (webui/throttle.py): the form again, with when to retry."""
    return render_template("auth/login.html", form=LoginForm(), error=message)


@bp.post("/logout")
def logout():
    session.clear()
    flash(_("You are signed out."))
    return redirect(url_for("auth.login"))
