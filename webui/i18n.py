"""Languages: Chinese (zh_CN) by default, English complete.

UI strings go through Flask-Babel's gettext (catalogs in webui/translations, compiled by
`make`); labels that come from schemas and manifests are {"zh-CN": …, "en": …} objects and
are picked with ``label()``.
"""
from __future__ import annotations

from flask import Flask, request, session
from flask_babel import Babel, get_locale

from core.clock import MERCHANT_TZ

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
# Schema labels use BCP 47 tags; Babel uses POSIX-style locale names.
_LABEL_KEYS = {"zh_CN": "zh-CN", "en": "en"}


def select_locale() -> str:
    """The ?lang= argument, then the session's choice; Chinese otherwise (the users are Chinese)."""
    chosen = request.args.get("lang") or session.get("locale")
    return chosen if chosen in LOCALES else DEFAULT_LOCALE


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


def local_time(moment) -> str:
    """A stored UTC datetime as the merchant reads it (Asia/Shanghai), to the minute."""
    return moment.astimezone(MERCHANT_TZ).strftime("%Y-%m-%d %H:%M") if moment else ""


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals.update(label=label, current_locale=current_locale, LOCALES=LOCALES)
    app.jinja_env.filters["local_time"] = local_time

    @app.get("/lang/<locale>")
    def set_language(locale: str):
        from flask import redirect

        if locale in LOCALES:
            session["locale"] = locale
        target = request.args.get("next") or "/"
        return redirect(target if target.startswith("/") and not target.startswith("//") else "/")
