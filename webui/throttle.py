"""Throttling (issue 10, item 4): Flask-Limiter on sign-in, self-registration, SMS codes and
API token failures, counted in the app's own database so all gunicorn workers share it.

Every limit is a setting in Flask-Limiter's notation (``"5 per minute;20 per hour"``), read
from the environment variable of the same name; ``LIMITS`` below is the list, with the
defaults (docs/operations.md has the same table). A limit counts every request it covers
(right or wrong password alike) in one atomic database increment, so N parallel requests
from several workers let exactly the limit through; the one exception is the API, which
counts only failed tokens (a request is refused once the client's failures reach the limit).
The API's limit is checked here (``refuse_token_guessers``) rather than by Flask-Limiter, on
the same counters, and reads them through the storage's short per-process cache: it runs
before every API request (issue 11, F4).

A refused request gets 429 with ``Retry-After`` (seconds): a page with the message in the
UI language where a person meets it, JSON ``{"error": …}`` on /api/.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import os
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Callable

from flask import Flask, current_app, g, request
from flask_babel import format_timedelta
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter, RateLimitExceeded
from limits import parse_many
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from core import clock
from core.tenancy import AmbiguousMerchant, merchant_key, resolve_merchant

from . import rate_limit_storage
from .extension import huika

EXTENSION = "huika_limiter"


@dataclass(frozen=True)
class Setting:
    name: str  # the app config key and the environment variable
    default: str
    covers: str  # for the operations guide


LOGIN_ACCOUNT = Setting("HUIKA_RATELIMIT_LOGIN_ACCOUNT", "5 per minute;20 per hour",
                        "staff sign-in attempts per account (merchant + username)")
LOGIN_CLIENT = Setting("HUIKA_RATELIMIT_LOGIN_CLIENT", "20 per minute;100 per hour",
                       "staff sign-in attempts per client address")
REGISTER_CLIENT = Setting("HUIKA_RATELIMIT_REGISTER_CLIENT", "5 per minute;30 per hour",
                          "member self-registrations per client address")
SMS_CLIENT = Setting("HUIKA_RATELIMIT_SMS_CLIENT", "5 per 10 minutes;20 per day",
                     "SMS sign-in code requests per client address")
SMS_PHONE = Setting("HUIKA_RATELIMIT_SMS_PHONE", "5 per hour;10 per day",
                    "SMS sign-in code requests per phone number")
SMS_MERCHANT = Setting("HUIKA_RATELIMIT_SMS_MERCHANT", "500 per day",
                       "SMS sign-in codes sent per merchant")
API_AUTH_FAILURES = Setting("HUIKA_RATELIMIT_API_AUTH_FAILURES", "30 per minute",
                            "API requests with an unknown or revoked bearer token per client address")
LIMITS = (LOGIN_ACCOUNT, LOGIN_CLIENT, REGISTER_CLIENT, SMS_CLIENT, SMS_PHONE, SMS_MERCHANT,
          API_AUTH_FAILURES)


# -- whose requests count together ---------------------------------------------------------

def client_address() -> str:
    """The client's address (behind a reverse proxy: set HUIKA_PROXY_HOPS, webui.trust_proxies). An IPv6
    client counts by its /64, the block one subscriber gets, or it could rotate addresses."""
    return _counted_address(request.remote_addr or "unknown")


@lru_cache(maxsize=4096)
def _counted_address(address: str) -> str:
    """The address a client counts under (parsing it is a twentieth of an API request)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        if parsed.ipv4_mapped is not None:  # ::ffff:a.b.c.d is an IPv4 client
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _digest(*parts: str) -> str:
    """Usernames and phone numbers are kept only as keyed hashes in the counter table."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    message = "\x1f".join(part.strip().casefold() for part in parts).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def login_account() -> str:
    """merchant + username, whether or not they exist (no hint for guessers). The merchant is
    the one its code or name names (issue 13 item 7), so the code, the full name and its
    spellings with other spaces or case share one budget; text naming none counts as typed."""
    typed = request.form.get("merchant", "")
    return "account:" + _digest(_merchant_identity(typed), request.form.get("username", ""))


def _merchant_identity(typed: str) -> str:
    try:
        with huika().db.read() as session:
            found = resolve_merchant(session, typed)
            merchant_id = found.id if found is not None else None
    except AmbiguousMerchant:
        merchant_id = None
    return f"merchant#{merchant_id}" if merchant_id is not None else merchant_key(typed)


def phone_number() -> str:
    return "phone:" + _digest(request.form.get("phone", ""))


def merchant() -> str:
    return f"merchant:{(request.view_args or {}).get('merchant_id', '')}"


def sms_code_sent(_response) -> bool:
    """Count a merchant's SMS only when one went out (member.send_code sets the flag)."""
    return bool(g.get("sms_code_sent"))


def token_rejected(response) -> bool:
    """A bearer token was sent and refused (a missing header is no guess)."""
    return response.status_code == 401 and "Authorization" in request.headers


@dataclass(frozen=True)
class Rule:
    endpoint: str
    setting: Setting
    key: Callable[[], str]
    message: object  # a lazy string with %(wait)s: what the person reads on the 429 page
    deduct_when: Callable | None = None


RULES = (
    Rule("auth.login", LOGIN_ACCOUNT, login_account,
         _l("Too many sign-in attempts for this account. Try again %(wait)s.")),
    Rule("auth.login", LOGIN_CLIENT, client_address,
         _l("Too many sign-in attempts from this device. Try again %(wait)s.")),
    Rule("member.register", REGISTER_CLIENT, client_address,
         _l("Too many registrations from this device. Try again %(wait)s.")),
    Rule("member.send_code", SMS_CLIENT, client_address,
         _l("Too many codes were asked for from this device. Try again %(wait)s.")),
    Rule("member.send_code", SMS_PHONE, phone_number,
         _l("Too many codes were asked for this number. Try again %(wait)s.")),
    Rule("member.send_code", SMS_MERCHANT, merchant,
         _l("The shop has sent all its sign-in codes for today. Try again %(wait)s, or ask at "
            "the counter."), deduct_when=sms_code_sent),
)
API_SCOPE = "api-token-failures"


# -- set-up ---------------------------------------------------------------------------------

class InvalidLimit(ValueError):
    """A throttling setting that does not parse (Flask-Limiter would silently skip a limit)."""


def load_settings(app: Flask) -> None:
    """Each limit from the app config, else its environment variable, else the default;
    refuse to start on one that does not parse."""
    for setting in LIMITS:
        value = app.config.setdefault(setting.name, os.environ.get(setting.name) or setting.default)
        try:
            if not parse_many(value):
                raise ValueError("empty")
        except ValueError as error:
            raise InvalidLimit(f"{setting.name}={value!r} is not a limit like "
                               f"'{setting.default}' ({error})") from None


def init_app(app: Flask) -> Limiter:
    """Attach a limiter to ``app`` (after its blueprints: it wraps their views)."""
    load_settings(app)
    limiter = Limiter(client_address, storage_uri=f"{rate_limit_storage.SCHEME}://",
                      storage_options={"database": app.extensions["huika"].db},
                      strategy="fixed-window", headers_enabled=False, swallow_errors=False,
                      fail_on_first_breach=True)
    hooks_before = _hooks(app)
    limiter.init_app(app)
    _skip_for_api(app, hooks_before)
    for rule in RULES:
        view = app.view_functions[rule.endpoint]
        app.view_functions[rule.endpoint] = limiter.limit(
            _setting_value(rule.setting), key_func=rule.key, methods=["POST"],
            error_message=rule.setting.name, deduct_when=rule.deduct_when)(view)
    # The API's token-failure limit is checked by api_guard below, not by Flask-Limiter,
    # whose per-request work (resolving and parsing limits) cost a fifth of a lookup (F4).
    limiter.request_filter(lambda: request.blueprint == "api")
    app.before_request_funcs.setdefault("api", []).append(refuse_token_guessers)
    app.after_request_funcs.setdefault("api", []).append(count_refused_token)
    app.extensions[EXTENSION] = limiter
    app.register_error_handler(RateLimitExceeded, refused_page)
    return limiter


_HOOK_LISTS = ("before_request_funcs", "after_request_funcs", "teardown_request_funcs")


def _hooks(app: Flask) -> dict[str, list]:
    return {name: list(getattr(app, name).get(None, ())) for name in _HOOK_LISTS}


def _skip_for_api(app: Flask, hooks_before: dict[str, list]) -> None:
    """Flask-Limiter's app-wide hooks (added since ``hooks_before``) do nothing for the API,
    which it never limits (request_filter below; the API's limit is checked here); they still
    built its per-request context and walked its limit tables, about a twelfth of a member
    lookup (issue 11, F4). Skipped on /api/, unchanged elsewhere."""
    for name in _HOOK_LISTS:
        hooks = getattr(app, name).get(None, [])
        for index, hook in enumerate(hooks):
            if hook not in hooks_before[name]:
                hooks[index] = _outside_api(hook, passes_response=name == "after_request_funcs")


def _outside_api(hook: Callable, *, passes_response: bool) -> Callable:
    if passes_response:
        def after_request_outside_api(response):
            return response if request.blueprint == "api" else hook(response)
        return after_request_outside_api

    def hook_outside_api(*args):
        if request.blueprint != "api":
            return hook(*args)
        return None

    return hook_outside_api


def forget_all_counters(app: Flask) -> int:
    """Delete every counter (``huika unthrottle``), and this process's copies of them; other
    processes read the database again within rate_limit_storage.FRESH_FOR."""
    return app.extensions[EXTENSION].storage.reset()


# -- the API: refused bearer tokens per client address -----------------------------------------

class TokenGuessing(Exception):
    """The client's refused tokens reached HUIKA_RATELIMIT_API_AUTH_FAILURES (429)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry in {retry_after} seconds")
        self.retry_after = retry_after


@lru_cache(maxsize=16)
def _parsed(limits: str) -> tuple:
    return tuple(parse_many(limits))


def _api_windows():
    """(limit, counter key) per window of the API limit for this client: one counter per
    client across every API endpoint, so switching endpoints gains nothing. The keys are
    the ones Flask-Limiter's shared limit used, so counters survive an upgrade."""
    return _windows_for(client_address(), current_app.config[API_AUTH_FAILURES.name])


@lru_cache(maxsize=4096)
def _windows_for(client: str, limits: str) -> tuple:
    return tuple((item, item.key_for(client, API_SCOPE)) for item in _parsed(limits))


def refuse_token_guessers() -> None:
    """Before every API request: refuse it while this client's refused tokens are at the
    limit (a right token too: the client is not trusted until the window ends)."""
    storage = current_app.extensions[EXTENSION].storage
    for item, key in _api_windows():
        hits, ends_at = storage.open_window(key)
        if hits >= item.amount:
            raise TokenGuessing(max(1, math.ceil(ends_at.timestamp() - clock.now_utc().timestamp())))


def count_refused_token(response):
    """After an API request: count it if its bearer token was refused."""
    if token_rejected(response):
        storage = current_app.extensions[EXTENSION].storage
        for item, key in _api_windows():
            storage.incr(key, item.get_expiry(), amount=1)
    return response


def _setting_value(setting: Setting) -> Callable[[], str]:
    return lambda: current_app.config[setting.name]


# -- the answer to a refused request ----------------------------------------------------------

def retry_after_seconds() -> int:
    """Whole seconds until the breached window ends (at least 1)."""
    breached = current_app.extensions[EXTENSION].current_limit
    if breached is None:
        return 1
    ends_at = breached.window.reset_time
    return max(1, math.ceil(ends_at - clock.now_utc().timestamp()))


def wait_text(seconds: int) -> str:
    """'in 3 minutes' / '3分钟后', in the UI language."""
    return format_timedelta(timedelta(seconds=seconds), threshold=1, add_direction=True)


def message_for(error: RateLimitExceeded, seconds: int) -> str:
    rule = next((r for r in RULES if r.setting.name == error.description), None)
    template = rule.message if rule else _l("Too many attempts. Try again %(wait)s.")
    return str(template) % {"wait": wait_text(seconds)}


_PAGES: dict[str, Callable[[str], object]] = {}


def refused_page_for(endpoint: str):
    """Register how ``endpoint`` shows a refusal: a function of the message that returns the
    page (the view's own form, with the message where an error goes)."""

    def register(render: Callable[[str], object]):
        _PAGES[endpoint] = render
        return render

    return register


def refused_page(error: RateLimitExceeded):
    seconds = retry_after_seconds()
    message = message_for(error, seconds)
    body = f"<p role=\"alert\">{escape(message)}</p>"
    render = _PAGES.get(request.endpoint or "")
    if render is not None:
        try:
            body = render(message)
        except HTTPException:  # e.g. an unknown merchant: the message alone still says it
            pass
    return body, 429, {"Retry-After": str(seconds)}
