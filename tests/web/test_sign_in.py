"""Sign-in (issue 13 item 7): the merchant by its 6-digit code or its full name (spaces, case
and full-width digits ignored), remembered on the device, one message per wrong field, each
role landing where it works, the developer page for owners only, and one throttle budget
whatever spelling of the merchant is typed. SQLite and PostgreSQL."""
from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from core import tenancy
from core.models import Merchant
from tests.support.clock import freeze
from tests.support.factories import make_merchant

NAME = "Tea House 登录店"


@pytest.fixture
def shop(hk):
    shop = make_merchant(hk, NAME)
    with hk.db.read() as session:
        shop.code = session.scalar(select(Merchant.code).where(Merchant.id == shop.id))
    return shop


def page_of(client, url="/login") -> str:
    return client.get(url).get_data(as_text=True)


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)


def prefilled_merchant(page: str) -> str:
    found = re.search(r'<input[^>]*name="merchant"[^>]*>', page).group(0)
    value = re.search(r'value="([^"]*)"', found)
    return value.group(1) if value else ""


def sign_in(client, merchant, username="cashier", password="password-123", url="/login"):
    return client.post(url, data={"merchant": merchant, "username": username, "password": password,
                                  "csrf_token": csrf(page_of(client, url))})


def test_every_merchant_has_a_distinct_six_digit_code(hk, shop):
    with hk.db.write() as session:
        others = [tenancy.create_merchant(session, f"店{index}") for index in range(30)]
        codes = [shop.code, *[merchant.code for merchant in others]]
    assert all(re.fullmatch(r"[1-9][0-9]{5}", code) for code in codes) and len(set(codes)) == len(codes)


@pytest.mark.parametrize("typed", ["code", " tea house 登录店 ", "TEA  HOUSE登录店", "full-width code"])
def test_the_merchant_by_code_or_name_in_any_spacing_or_case(client, shop, typed):
    merchant = {"code": shop.code, "full-width code": shop.code.translate(
        str.maketrans("0123456789", "０１２３４５６７８９"))}.get(typed, typed)
    response = sign_in(client, merchant)
    assert response.status_code == 302 and response.headers["Location"] == "/cashier/till"


def test_the_device_remembers_the_merchant_for_the_next_sign_in(client, shop):
    first = sign_in(client, shop.code)
    remembered = next(c for c in first.headers.getlist("Set-Cookie") if c.startswith("huika_merchant="))
    assert f"huika_merchant={shop.code}" in remembered and "Max-Age=" in remembered and "HttpOnly" in remembered
    client.post("/logout", data={"csrf_token": csrf(page_of(client, "/cashier/"))})
    page = page_of(client)
    assert prefilled_merchant(page) == shop.code and NAME in page
    username_input = re.search(r'<input[^>]*name="username"[^>]*>', page).group(0)
    assert " autofocus " in username_input  # straight to the username
    # The next sign-in types only the username and the password (the form sends the prefilled code).
    again = client.post("/login", data={"merchant": prefilled_merchant(page), "username": "owner",
                                        "password": "password-123", "csrf_token": csrf(page)})
    assert again.status_code == 302 and again.headers["Location"] == "/dashboard"
    # A stale or forged cookie is ignored: an empty field, no error.
    client.set_cookie("huika_merchant", "999999999999")
    client.post("/logout", data={"csrf_token": csrf(page_of(client, "/dashboard"))})
    assert prefilled_merchant(page_of(client)) == ""


@pytest.mark.parametrize("field, merchant, username, password, message", [
    ("merchant", "000000", "cashier", "password-123", "没有找到这个商户"),
    ("merchant", "没有这家店", "cashier", "password-123", "没有找到这个商户"),
    ("username", "code", "nobody", "password-123", "没有这个用户名的员工"),
    ("password", "code", "cashier", "wrong-password", "密码不正确"),
    ("password", "code", "cashier", "", "请填写这一项"),
])
def test_each_wrong_field_has_its_own_message_and_nobody_is_signed_in(client, shop, field, merchant,
                                                                      username, password, message):
    response = sign_in(client, shop.code if merchant == "code" else merchant, username, password)
    page = response.get_data(as_text=True)
    assert response.status_code == 401 and message in page
    assert f'id="{field}-error"' in page and page.count('class="field-error') == 1
    assert client.get("/cashier/").status_code == 302  # still signed out


def test_the_same_name_twice_asks_for_the_code(client, hk, shop):
    with hk.db.write() as session:
        tenancy.create_merchant(session, "tea house 登录店")
    response = sign_in(client, "TeaHouse登录店")
    assert response.status_code == 401 and "请改输 6 位商户码" in response.get_data(as_text=True)
    assert sign_in(client, NAME).status_code == 302  # the exact name is still one merchant


@pytest.mark.parametrize("role, lands", [("cashier", "/cashier/till"), ("manager", "/dashboard"),
                                         ("owner", "/dashboard")])
def test_each_role_lands_where_it_works(client, shop, role, lands):
    assert sign_in(client, shop.code, role).headers["Location"] == lands
    assert client.get("/").headers["Location"] == lands
    system = client.get("/system")
    if role == "owner":
        assert system.status_code == 200 and "/api/v1/openapi.json" in system.get_data(as_text=True)
        assert "系统信息" in page_of(client, "/dashboard")  # the link to it
    else:
        assert system.status_code == 403


def test_signed_out_the_start_page_is_the_sign_in(client):
    assert client.get("/").headers["Location"] == "/login"
    assert client.get("/system").status_code == 302


def test_the_code_and_the_name_share_one_throttle_budget(client, shop, monkeypatch):
    freeze(monkeypatch, "2026-03-01 10:00")
    spellings = [shop.code, NAME, NAME.lower(), NAME.replace(" ", ""), shop.code]
    for typed in spellings:  # "5 per minute" per account
        assert sign_in(client, typed, "owner", "wrong-" + uuid.uuid4().hex[:6]).status_code == 401
    refused = sign_in(client, " " + NAME.upper(), "owner", "password-123")
    assert refused.status_code == 429


def test_api_clients_read_the_code_with_the_merchant(client, shop):
    me = client.get("/api/v1/me", headers=shop.headers("cashier")).json
    assert me["merchant"] == {"id": shop.id, "name": NAME, "code": shop.code}
