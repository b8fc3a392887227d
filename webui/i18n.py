"""Languages: Chinese (zh_CN) by default, English complete.

UI strings go through Flask-Babel's gettext (catalogs in webui/translations, compiled by
`make install`, the package build, or at start when missing or stale: webui/catalogs.py); labels that come from schemas and manifests are {"zh-CN": …, "en": …} objects and
are picked with ``label()``.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, request, session
from flask_babel import Babel, get_locale, pgettext

from core.clock import MERCHANT_TZ

from .catalogs import TRANSLATIONS, ensure_compiled

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
API_PREFIX = "/api/"
# Schema labels use BCP 47 tags; Babel uses POSIX-style locale names.
_LABEL_KEYS = {"zh_CN": "zh-CN", "en": "en"}


def select_locale() -> str:
    """The ?lang= argument, then the session's choice; Chinese otherwise (the users are Chinese).

    The API (bearer tokens, no session) answers in English unless the client asks for Chinese
    with ``Accept-Language: zh-CN`` (or ``?lang=zh_CN``): its clients are programs first."""
    if request.path.startswith(API_PREFIX):
        return api_locale()
    chosen = request.args.get("lang") or session.get("locale")
    return chosen if chosen in LOCALES else DEFAULT_LOCALE


def api_locale() -> str:
    chosen = request.args.get("lang")
    if chosen in LOCALES:
        return chosen
    best = request.accept_languages.best_match(("en", "zh-CN", "zh"), default="en")
    return "en" if best == "en" else "zh_CN"


def current_locale() -> str:
    locale = str(get_locale() or DEFAULT_LOCALE)
    return locale if locale in LOCALES else DEFAULT_LOCALE


def label(text, locale: str | None = None) -> str:
    """The text of a translatable label in the current language (falls back to Chinese)."""
    if isinstance(text, str):
        return text
    if not isinstance(text, dict):
        return ""
    key = _LABEL_KEYS[locale or current_locale()]
    return text.get(key) or text.get("zh-CN") or text.get("en") or ""


def role_name(role: str) -> str:
    """owner / manager / cashier as people say them: 店主 / 店长 / 收银员 (not the till, 收银台)."""
    names = {"owner": pgettext("staff role", "Owner"), "manager": pgettext("staff role", "Manager"),
             "cashier": pgettext("staff role", "Cashier")}
    return names.get(role, role)


def local_time(moment) -> str:
    """A stored UTC datetime as the merchant reads it (Asia/Shanghai), to the minute."""
    return moment.astimezone(MERCHANT_TZ).strftime("%Y-%m-%d %H:%M") if moment else ""


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    compiled_elsewhere = ensure_compiled(Path(app.instance_path) / "translations")
    if compiled_elsewhere is not None:  # the package folder is read-only
        app.config["BABEL_TRANSLATION_DIRECTORIES"] = f"{compiled_elsewhere};{TRANSLATIONS}"
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals.update(label=label, current_locale=current_locale, LOCALES=LOCALES,
                                 role_name=role_name)
    app.jinja_env.filters["local_time"] = local_time

    @app.get("/lang/<locale>")
    def set_language(locale: str):
        from flask import redirect

        if locale in LOCALES:
            session["locale"] = locale
        target = request.args.get("next") or "/"
        return redirect(target if target.startswith("/") and not target.startswith("//") else "/")
