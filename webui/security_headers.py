"""Security headers on every response (E5): no framing, no sniffing, no inline script.

The pages load their scripts and styles only from /static (``script-src 'self'``), so an
injected ``<script>`` or ``onclick=`` would not run even if escaping ever failed. QR codes
are shown as ``data:`` images. HSTS is sent only over HTTPS: sent over plain HTTP it would
be ignored, and on a shop's LAN without a certificate it would lock the till out.
"""
from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.datastructures import Headers
from werkzeug.serving import WSGIRequestHandler

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(), microphone=(), payment=()",
}
HSTS = "max-age=31536000; includeSubDomains"
_LOWER_NAMES = frozenset(name.lower() for name in HEADERS)
# The pairs as Headers keeps them, checked once here (no line breaks) rather than per response.
_CHECKED_PAIRS = tuple(Headers(HEADERS).items())


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    # One pass over the headers, not one per name: Headers.setdefault scans them each time,
    # and this runs on every request (issue 11, F4).
    headers = response.headers
    present = {name.lower() for name in headers.keys()}
    if present.isdisjoint(_LOWER_NAMES) and type(headers) is Headers \
            and isinstance(getattr(headers, "_list", None), list):
        # None set by the view (nearly every response): append the pairs checked at import,
        # not each name and value again (12 checks, a twentieth of an API request's headers).
        headers._list.extend(_CHECKED_PAIRS)
    else:
        for name, value in HEADERS.items():
            if name.lower() not in present:
                headers.add(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


class UnversionedRequestHandler(WSGIRequestHandler):
    """Werkzeug's development server, announcing no product version in ``Server``.

    The Server header is written by the WSGI server, not the app (a header the app set would
    come as a second one); gunicorn already says only "gunicorn".
    """

    def version_string(self) -> str:
        return "huika"
