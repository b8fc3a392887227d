"""Error pages for browsers (400, 403, 404, 405, 413, 500 …) in the user's language (H8).

The API answers JSON instead (webui/api/errors.py, which sends other paths here). Werkzeug's
own descriptions are English and written for developers, so a page says what happened and
what to do in the user's words; the status code stays the same.
"""
from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException

_TEXTS = {
    400: (_l("Something in the request is not right"),
          _l("The page could not understand what was sent. Go back, check what you entered and try again.")),
    401: (_l("Please sign in"), _l("Sign in first, then open this page again.")),
    403: (_l("Not for your role"),
          _l("You may not open this page. Ask the shop owner if you need it.")),
    404: (_l("Page not found"),
          _l("This page does not exist (any more). Check the address, or go back to the start page.")),
    405: (_l("Not possible here"),
          _l("This address does not take this kind of request. Go back to the start page and use the buttons there.")),
    413: (_l("Too large"), _l("What was sent is too large. Send a smaller file or less text.")),
    500: (_l("Something went wrong"),
          _l("An unexpected error happened; nothing was saved. Try again; if it happens again, tell whoever runs the system.")),
}
_OTHER = (_l("This did not work"), _l("The request could not be completed. Go back and try again."))
_EXPIRED_FORM = (_l("This form has expired"),
                 _l("The page was open too long or you signed in again elsewhere. Reload the page and submit again."))


def _detail(error: HTTPException) -> str | None:
    """What the code that refused said, when it said more than Werkzeug's stock sentence and
    in the user's language (English-only developer text stays out of a Chinese page)."""
    description = error.description
    if not description or description == type(error).description or isinstance(error, CSRFError):
        return None
    from .i18n import current_locale

    return description if current_locale() == "en" or not description.isascii() else None


def error_page(error: HTTPException):
    status = error.code or 500
    title, explanation = _EXPIRED_FORM if isinstance(error, CSRFError) else _TEXTS.get(status, _OTHER)
    headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
    detail = _detail(error)
    try:
        body = render_template("error.html", status=status, title=title, explanation=explanation,
                               detail=detail)
    except Exception:  # a page that fails to render must not turn a 404 into a 500
        body = f"<!doctype html><h1>{escape(title)}</h1><p>{escape(explanation)}</p>"
    return body, status, headers
