"""Staff login with sessions: CSRF, cookie flags, session renewal, production secret key.

The HTTPS cookie (Secure, __Host-) is tested in tests/web/test_security.py."""
from __future__ import annotations

import re

import pytest

from tests.support.factories import make_merchant


def csrf(client, url="/login") -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)


@pytest.fixture
def shop(hk):
    return make_merchant(hk, "登录测试店")


def login(client, merchant="登录测试店", username="cashier", password="password-123", **kwargs):
    return client.post("/login", data={"merchant": merchant, "username": username, "password": password,
                                       "csrf_token": csrf(client)}, **kwargs)


def test_login_renews_the_session_and_sets_safe_cookie_flags(client, shop):
    client.get("/login")
    before = client.get_cookie("session")
    response = login(client)
    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert before is None or client.get_cookie("session").value != before.value
    home = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "cashier" in home and "登录测试店" in home


def test_wrong_password_is_refused_in_chinese_and_keeps_no_session(client, shop):
    response = login(client, password="wrong-password")
    assert response.status_code == 401
    assert "密码不正确" in response.get_data(as_text=True)
    assert client.get_cookie("session") is None or "staff_id" not in response.get_data(as_text=True)
    english = client.post("/login?lang=en", data={"merchant": "登录测试店", "username": "cashier",
                                                  "password": "nope", "csrf_token": csrf(client, "/login?lang=en")})
    assert "The password is not right." in english.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client, shop):
    response = client.post("/login", data={"merchant": "登录测试店", "username": "cashier",
                                           "password": "password-123"})
    assert response.status_code == 400


def test_logout_needs_post_with_csrf_and_ends_the_session(client, shop):
    login(client)
    token = csrf(client, "/cashier/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert "员工登录" in client.get("/", follow_redirects=True).get_data(as_text=True)


def test_open_redirect_after_login_is_refused(client, shop):
    client.get("/login")
    response = client.post("/login?next=//evil.example/", data={
        "merchant": "登录测试店", "username": "cashier", "password": "password-123", "csrf_token": csrf(client)})
    assert response.headers["Location"] == "/cashier/till"


def test_production_refuses_the_default_secret_key(database_url):
    from webui import InsecureConfiguration, create_app

    with pytest.raises(InsecureConfiguration):
        create_app({"DATABASE_URL": database_url, "HUIKA_ENV": "production",
                    "SECRET_KEY": "dev-only-not-secret"})
    app = create_app({"DATABASE_URL": database_url, "HUIKA_ENV": "production", "SECRET_KEY": "x" * 40,
                      "PIN_PEPPER": "ab" * 32})
    app.extensions["huika"].db.dispose()


def test_api_is_not_subject_to_csrf(client, shop):
    response = client.post("/api/v1/members", json={"name": "甲", "phone": "13800000001"},
                           headers=shop.headers())
    assert response.status_code == 201
