"""E1 and E5: no public session key, __Host- cookies over HTTPS, security headers everywhere."""
from __future__ import annotations

import multiprocessing
import re
import stat
import threading
from pathlib import Path

import pytest
from flask.sessions import SecureCookieSessionInterface
from werkzeug.serving import make_server

from tests.support.factories import make_merchant
from tests.web.test_auth import csrf, login
from webui.instance_secrets import KEY_FILE_NAME, PEPPER_FILE_NAME, InsecureConfiguration, instance_secret_key

TEMPLATES = Path(__file__).resolve().parents[2] / "webui" / "templates"


def _app_in(instance: Path, database_url, plugin_registry, **config):
    import os

    from webui import create_app

    before = os.environ.get("HUIKA_INSTANCE_PATH")
    os.environ["HUIKA_INSTANCE_PATH"] = str(instance)
    os.environ.pop("HUIKA_SECRET_KEY", None)
    try:
        return create_app({"TESTING": True, "DATABASE_URL": database_url,
                           "PLUGIN_REGISTRY": plugin_registry, **config})
    finally:
        if before is None:
            os.environ.pop("HUIKA_INSTANCE_PATH", None)
        else:
            os.environ["HUIKA_INSTANCE_PATH"] = before


def _forged_cookie(secret: str, payload: dict) -> str:
    """What an attacker makes offline with a known key (itsdangerous, as Flask signs)."""
    interface = SecureCookieSessionInterface()

    class Stub:
        secret_key = secret
        config = {"SECRET_KEY_FALLBACKS": None}

    return interface.get_signing_serializer(Stub()).dumps(payload)


# -- E1: the key ----------------------------------------------------------------------------

def test_without_a_configured_key_one_is_made_once_in_the_instance_folder(tmp_path, sqlite_template,
                                                                           plugin_registry, monkeypatch):
    database_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    first = _app_in(tmp_path / "instance", database_url, plugin_registry)
    key_file = tmp_path / "instance" / KEY_FILE_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    second = _app_in(tmp_path / "instance", database_url, plugin_registry)
    other = _app_in(tmp_path / "elsewhere", database_url, plugin_registry)
    try:
        assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text().strip()
        assert len(first.config["SECRET_KEY"]) >= 64
        assert other.config["SECRET_KEY"] != first.config["SECRET_KEY"]
        assert first.config["SECRET_KEY"] != "dev-only-not-secret"
    finally:
        for app in (first, second, other):
            app.extensions["huika"].db.dispose()


def test_a_loosened_key_file_is_tightened_again(tmp_path):
    key = instance_secret_key(tmp_path)
    (tmp_path / KEY_FILE_NAME).chmod(0o644)
    assert instance_secret_key(tmp_path) == key
    assert stat.S_IMODE((tmp_path / KEY_FILE_NAME).stat().st_mode) == 0o600


def test_a_truncated_key_file_is_refused_not_used(tmp_path):
    (tmp_path / KEY_FILE_NAME).write_text("short\n")
    with pytest.raises(InsecureConfiguration, match="no usable secret"):
        instance_secret_key(tmp_path)


def _make_key(folder: str, results) -> None:
    results.put(instance_secret_key(folder))


def test_workers_starting_together_all_get_the_same_key(tmp_path):
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [context.Process(target=_make_key, args=(str(tmp_path), results)) for _ in range(8)]
    for worker in workers:
        worker.start()
    keys = {results.get(timeout=30) for _ in workers}
    for worker in workers:
        worker.join(timeout=30)
    assert len(keys) == 1
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE_NAME]  # no drafts left behind


@pytest.mark.parametrize("key", [None, "", "dev-only-not-secret", "too-short-for-production"])
def test_production_refuses_a_missing_public_or_short_key(tmp_path, plugin_registry, key):
    with pytest.raises(InsecureConfiguration):
        _app_in(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", plugin_registry,
                HUIKA_ENV="production", SECRET_KEY=key)
    assert not (tmp_path / KEY_FILE_NAME).exists()  # production never falls back to a file key


def test_a_cookie_forged_with_the_old_public_key_opens_nothing(app, client):
    shop = make_merchant(app.extensions["huika"], "伪造测试店")
    client.set_cookie("session", _forged_cookie("dev-only-not-secret",
                                                {"staff_id": shop.staff_ids["owner"], "merchant_id": shop.id}))
    response = client.get("/editor/staff")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    # The same payload signed with the app's real key would be accepted: the test can fail.
    client.set_cookie("session", _forged_cookie(app.config["SECRET_KEY"],
                                                {"staff_id": shop.staff_ids["owner"], "merchant_id": shop.id}))
    assert client.get("/editor/staff").status_code == 200


# -- E1: the __Host- cookie -----------------------------------------------------------------

def test_https_session_cookie_is_host_only_and_carries_the_sign_in(app, client):
    make_merchant(app.extensions["huika"], "登录测试店")
    page = client.get("/login", base_url="https://localhost").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)
    response = client.post("/login", base_url="https://localhost",
                           headers={"Referer": "https://localhost/login"},
                           data={"merchant": "登录测试店", "username": "owner", "password": "password-123",
                                 "csrf_token": token})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "session=" in c)
    assert cookie.startswith("__Host-session=")
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
    home = client.get("/", base_url="https://localhost", follow_redirects=True).get_data(as_text=True)
    assert "owner" in home
    # Over plain HTTP the __Host- cookie is not the session: nobody is signed in there.
    assert "员工登录" in client.get("/", follow_redirects=True).get_data(as_text=True)


def test_plain_http_session_cookie_has_no_prefix(app, client):
    make_merchant(app.extensions["huika"], "登录测试店")
    response = login(client)
    assert any(cookie.startswith("session=") for cookie in response.headers.getlist("Set-Cookie"))


# -- E5: headers ------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/login", "/api/v1/openapi.json", "/api/v1/members", "/static/huika.css",
                                  "/no-such-page", "/api/v1/no-such-thing"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "object-src 'none'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers  # plain HTTP: HSTS would be ignored


def test_hsts_over_https(client):
    response = client.get("/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_the_development_server_names_no_version(app):
    import http.client

    from webui.security_headers import UnversionedRequestHandler

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=UnversionedRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        connection.request("GET", "/login")
        response = connection.getresponse()
        response.read()
        servers = [value for name, value in response.getheaders() if name.lower() == "server"]
        assert servers == ["huika"]
        assert response.getheader("X-Frame-Options") == "DENY"
    finally:
        server.shutdown()


def test_templates_hold_no_inline_script_or_style():
    """The CSP forbids inline script and style: a template that needs them would break."""
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        # A JSON data block (type="application/json", filled by the HTML-safe tojson) is data the
        # browser never runs, so the CSP has nothing to forbid there.
        for pattern in (r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", r"<style\b", r"\son[a-z]+\s*=", r"\sstyle\s*=",
                        r"javascript:"):
            if re.search(pattern, text, re.IGNORECASE):
                offenders.append(f"{path.relative_to(TEMPLATES)}: {pattern}")
    assert offenders == []


def test_screen_pages_load_their_rules_from_static(app, client):
    make_merchant(app.extensions["huika"], "登录测试店")
    login(client, username="owner")
    page = client.get("/editor/preview").get_data(as_text=True)
    assert "/static/screens.js" in page and "/static/screens.css" in page
    assert "<script>" not in page
    assert client.get("/static/screens.js").status_code == 200


# -- F3: the PIN pepper -----------------------------------------------------------------------

def test_pin_pepper_is_made_once_in_the_instance_folder_and_reaches_the_sessions(tmp_path, plugin_registry):
    from core.db import PIN_PEPPERS

    app = _app_in(tmp_path / "instance", f"sqlite:///{tmp_path / 'db.sqlite'}", plugin_registry)
    again = _app_in(tmp_path / "instance", f"sqlite:///{tmp_path / 'db.sqlite'}", plugin_registry)
    try:
        pepper_file = tmp_path / "instance" / PEPPER_FILE_NAME
        assert stat.S_IMODE(pepper_file.stat().st_mode) == 0o600
        peppers = app.extensions["huika"].db.pin_peppers
        assert peppers == again.extensions["huika"].db.pin_peppers == (bytes.fromhex(pepper_file.read_text()),)
        with app.extensions["huika"].db.write() as session:
            assert session.info[PIN_PEPPERS] == peppers
        with app.extensions["huika"].db.read() as session:
            assert session.info[PIN_PEPPERS] == peppers
    finally:
        app.extensions["huika"].db.dispose()
        again.extensions["huika"].db.dispose()


@pytest.mark.parametrize("current, retired", [(None, None), ("ab" * 8, None), ("zz" * 32, None),
                                              ("ab" * 32, "cd" * 4)])
def test_production_needs_a_strong_explicit_pin_pepper(tmp_path, plugin_registry, current, retired):
    with pytest.raises(InsecureConfiguration, match="PIN"):
        _app_in(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", plugin_registry, HUIKA_ENV="production",
                SECRET_KEY="s" * 40, PIN_PEPPER=current, PIN_PEPPER_RETIRED=retired)
    assert not (tmp_path / PEPPER_FILE_NAME).exists()


def test_retired_peppers_follow_the_current_one(tmp_path, plugin_registry):
    app = _app_in(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", plugin_registry, HUIKA_ENV="production",
                  SECRET_KEY="s" * 40, PIN_PEPPER="ab" * 32, PIN_PEPPER_RETIRED="cd" * 32 + ", " + "ef" * 32)
    try:
        assert app.extensions["huika"].db.pin_peppers == (b"\xab" * 32, b"\xcd" * 32, b"\xef" * 32)
    finally:
        app.extensions["huika"].db.dispose()
