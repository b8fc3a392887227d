"""The cashier's screens (/cashier) with the Flask test client, on SQLite and PostgreSQL.

Pages are read in English (``/lang/en``) so the tests do not depend on the Chinese catalog;
money is checked as the integer fen the API reports and as the yuan text the pages show.
"""
from __future__ import annotations

import re
import uuid
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from core.models import Card, Checkout, Member
from tests.support.factories import basic_document, make_merchant
from webui.money import BadAmount, parse_yuan, parse_zhe, yuan, zhe

PIN = "246810"


# -- helpers -----------------------------------------------------------------------------

class Forms(HTMLParser):
    """Every <form>'s fields (name -> value; checked boxes and radios only) by the form's id."""

    def __init__(self, html: str):
        super().__init__()
        self.forms: dict[str, dict] = {}
        self.actions: dict[str, str] = {}
        self._current: str | None = None
        self._count = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._count += 1
            self._current = attrs.get("id") or f"form{self._count}"
            self.forms[self._current] = {}
            self.actions[self._current] = attrs.get("action", "")
        elif tag in ("input", "select", "textarea") and self._current and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind == "submit":
                return
            self.forms[self._current][attrs["name"]] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def token(client, url: str = "/login") -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)


def sign_in(client, shop, role: str = "cashier") -> str:
    client.get("/lang/en")
    response = client.post("/login", data={"merchant": shop.name, "username": role,
                                           "password": "password-123", "csrf_token": token(client)})
    assert response.status_code == 302
    return token(client, "/cashier/")


def api_member(client, shop, name="王芳", phone=None, **card) -> tuple[int, str]:
    phone = phone or "139" + str(uuid.uuid4().int)[:8]
    member = client.post("/api/v1/members", json={"name": name, "phone": phone,
                                                  "extra": {"vip_code": "V1"}}, headers=shop.headers())
    assert member.status_code == 201, member.json
    response = client.post("/api/v1/cards", json={"member_id": member.json["id"], **card},
                           headers=shop.headers())
    assert response.status_code == 201, response.json
    return member.json["id"], response.json["number"]


def document(plugins=()) -> dict:
    doc = basic_document(plugins=[{"id": p, "settings": {}} for p in plugins])
    doc["fields"].append({"key": "vip_code", "type": "text", "required": True, "max_length": 20,
                          "label": {"zh-CN": "会员编码", "en": "VIP code"}})
    return doc


def enabled_plugins(hk, *wanted) -> list[str]:
    return [p for p in wanted if p in hk.plugins.plugins]


@pytest.fixture
def shop(hk):
    return make_merchant(hk, f"收银台-{uuid.uuid4().hex[:6]}", document())


def quote_page(client, csrf, card, lines):
    data = {"csrf_token": csrf, "action": "quote", "card_number": card or ""}
    for index, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{index}-{key}"] = value
    return client.post("/cashier/checkout", data=data)


# -- money typed as text -----------------------------------------------------------------

def test_yuan_and_zhe_are_parsed_exactly_without_floats(app):
    with app.test_request_context("/?lang=en"):
        assert parse_yuan("12.5") == 1250 and parse_yuan("0.07") == 7 and parse_yuan("¥1,000") == 100000
        assert parse_yuan("１２．３４") == 1234 and parse_yuan("19.99") == 1999 and parse_yuan("3元") == 300
        for bad in ("1.005", "-3", "abc", "", "1e3", "0.1.2"):
            with pytest.raises(BadAmount):
                parse_yuan(bad)
        assert [parse_zhe(t) for t in ("", "10", "8", "8.8", "88", "95", "8.85", "9折")] == \
            [1000, 1000, 800, 880, 880, 950, 885, 900]
        with pytest.raises(BadAmount):
            parse_zhe("0")
        assert [zhe(p) for p in (880, 800, 885, 1000)] == ["8.8", "8", "8.85", ""]
        assert yuan(1234567) == "12,345.67" and yuan(-5) == "-0.05"


# -- finding a member --------------------------------------------------------------------

def test_search_by_phone_card_name_and_swipe(client, shop):
    member_id, number = api_member(client, shop, name="王芳", phone="13800000001")
    other_id, _other = api_member(client, shop, name="王小明", phone="13800000002")
    sign_in(client, shop)

    page = client.get("/cashier/").get_data(as_text=True)
    assert re.search(r'<input id="q"[^>]*autofocus', page)  # the reader types into it at once
    member_url = f"/cashier/members/{member_id}"
    assert client.get("/cashier/?q=13800000001").headers["Location"] == member_url
    assert client.get(f"/cashier/?q={number}").headers["Location"].startswith(member_url)
    # A magstripe reader types track 2 (';number=…?') and Enter.
    swiped = client.get("/cashier/", query_string={"q": f";{number}=2612101?"})
    assert swiped.status_code == 302 and swiped.headers["Location"].startswith(member_url)

    names = client.get("/cashier/?q=王").get_data(as_text=True)
    assert "王芳" in names and "王小明" in names and f"/cashier/members/{other_id}" in names
    missing = client.get("/cashier/?q=13900000009").get_data(as_text=True)
    assert "No member found" in missing and "/cashier/members/new?phone=13900000009" in missing
    assert "No card has the number 1234567890" in client.get("/cashier/?q=1234567890").get_data(as_text=True)

    member_page = client.get(member_url).get_data(as_text=True)
    assert number in member_page and "VIP code" in member_page and "V1" in member_page


def test_pages_need_a_staff_sign_in(client, shop):
    response = client.get("/cashier/checkout")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# -- registering a member and issuing a card -----------------------------------------------

def test_register_with_a_custom_required_field_keeps_values(client, shop, hk):
    csrf = sign_in(client, shop)
    form = client.get("/cashier/members/new?phone=13700000001").get_data(as_text=True)
    assert 'name="extra__vip_code"' in form and "VIP code" in form and 'value="13700000001"' in form

    data = {"csrf_token": csrf, "name": "李雷", "phone": "13700000001", "gender": "male",
            "birthday_calendar": "solar", "birthday": "1990-05-20", "extra__favourite": "tea"}
    refused = client.post("/cashier/members/new", data=data)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert re.search(r'aria-invalid="true"[^>]*autofocus[^>]*id="extra__vip_code"', page)  # focus on it
    assert "This field is required." in page
    assert 'value="李雷"' in page and 'value="1990-05-20"' in page and 'selected value="tea"' in page

    bad_phone = client.post("/cashier/members/new", data={**data, "extra__vip_code": "A7", "phone": "12345"})
    assert bad_phone.status_code == 422 and "11-digit" in bad_phone.get_data(as_text=True)

    created = client.post("/cashier/members/new", data={**data, "extra__vip_code": "A7"})
    assert created.status_code == 303 and re.search(r"/cashier/members/\d+/cards/new$", created.headers["Location"])
    with hk.db.read() as session:
        member = session.scalar(select(Member).where(Member.merchant_id == shop.id,
                                                     Member.phone == "13700000001"))
        assert member.extra == {"vip_code": "A7", "favourite": "tea"}
        assert member.channel == "counter" and member.birthday == "1990-05-20"

    taken = client.post("/cashier/members/new", data={**data, "extra__vip_code": "A8"})
    assert taken.status_code == 409 and "belongs to another member" in taken.get_data(as_text=True)


def test_issue_and_bind_a_card_with_a_pin_typed_twice(client, shop, hk):
    csrf = sign_in(client, shop)
    member = client.post("/api/v1/members", json={"name": "韩梅梅", "phone": "13600000001",
                                                  "extra": {"vip_code": "H1"}}, headers=shop.headers())
    url = f"/cashier/members/{member.json['id']}/cards/new"
    page = client.get(url).get_data(as_text=True)
    assert re.search(r'<input[^>]*autofocus[^>]*name="number"|<input[^>]*name="number"[^>]*autofocus', page)

    data = {"csrf_token": csrf, "number": "8800123412341234", "kind": "standard", "tier": "gold",
            "pin": PIN, "pin_again": "135791"}
    mismatch = client.post(url, data=data)
    assert mismatch.status_code == 422
    text = mismatch.get_data(as_text=True)
    assert "The two PINs do not match." in text and 'value="8800123412341234"' in text
    assert PIN not in text  # a PIN is never sent back to the page

    assert client.post(url, data={**data, "pin_again": PIN, "pin": "12"}).status_code == 422
    bound = client.post(url, data={**data, "pin_again": PIN})
    assert bound.status_code == 303 and bound.headers["Location"].endswith("#card-8800123412341234")
    with hk.db.read() as session:
        card = session.scalar(select(Card).where(Card.number == "8800123412341234"))
        assert card.status == "active" and card.member_id == member.json["id"]
        assert card.tier.key == "gold" and card.pin_hash and PIN not in card.pin_hash

    # A second card breaks one-person-one-card (M2): the error is shown in place.
    again = client.post(url, data={**data, "number": "8800123412349999", "pin_again": PIN})
    assert again.status_code == 409 and "the limit is 1" in again.get_data(as_text=True)


def test_a_stock_card_is_bound_and_gets_its_pin(client, shop, hk):
    csrf = sign_in(client, shop)
    stock = client.post("/api/v1/cards", json={"number": "7700000000000001", "batch": "B1"},
                        headers=shop.headers())
    assert stock.status_code == 201
    assert "not bound to a member" in client.get("/cashier/?q=7700000000000001",
                                                 follow_redirects=True).get_data(as_text=True)
    member = client.post("/api/v1/members", json={"name": "赵六", "phone": "13600000002",
                                                  "extra": {"vip_code": "Z"}}, headers=shop.headers())
    response = client.post(f"/cashier/members/{member.json['id']}/cards/new", data={
        "csrf_token": csrf, "number": ";7700000000000001?", "kind": "standard", "tier": "",
        "pin": PIN, "pin_again": PIN})
    assert response.status_code == 303
    with hk.db.read() as session:
        card = session.scalar(select(Card).where(Card.number == "7700000000000001"))
        assert card.member_id == member.json["id"] and card.status == "active" and card.pin_hash


# -- checkout ----------------------------------------------------------------------------

def test_checkout_shows_the_quote_with_discounts_then_is_paid_in_cash(client, shop, hk):
    _member_id, number = api_member(client, shop, tier="gold")  # 8.8折
    csrf = sign_in(client, shop)
    start = client.get(f"/cashier/checkout?card={number}").get_data(as_text=True)
    assert "王芳" in start and re.search(r'name="lines-0-sku"[^>]*autofocus|autofocus[^>]*name="lines-0-sku"', start)
    assert "<kbd>F4</kbd>" in start and 'id="pay-form"' not in start  # no payment before a quote

    quoted = quote_page(client, csrf, number, [
        {"sku": "COAT", "name": "大衣", "quantity": "1", "price": "1000", "promotion": "8"},
        {"sku": "SOCKS", "name": "袜子", "quantity": "3", "price": "19.99", "special": "y"}])
    assert quoted.status_code == 200
    page = quoted.get_data(as_text=True)
    # 1000 x 8折 x 8.8折 = 704.00, socks at list price 59.97: due 763.97, discount 296.00
    assert 'data-due="76397"' in page and 'data-discount="29600"' in page
    assert "-296.00" in page and "704.00" in page and "59.97" in page and "8.8折" in page
    pay = Forms(page).forms["pay-form"]
    assert pay["pay_cash"] == "763.97" and pay["idempotency_key"].startswith("web-")
    assert re.search(r'id="pay_cash"[^>]*autofocus|autofocus[^>]*id="pay_cash"', page)

    paid = client.post("/cashier/checkout", data=pay)
    assert paid.status_code == 303
    receipt = client.get(paid.headers["Location"]).get_data(as_text=True)
    assert "763.97" in receipt and "-296.00" in receipt and "Cash" in receipt
    assert "Cardholder signature" not in receipt  # no stored value used
    assert "@media print" in client.get("/static/cashier.css").get_data(as_text=True)


def test_a_typing_error_keeps_every_value_and_charges_nothing(client, shop, hk):
    csrf = sign_in(client, shop)
    response = quote_page(client, csrf, "", [{"sku": "TEA", "name": "茶", "quantity": "2", "price": "1.005"}])
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "at most two decimals" in page and 'value="1.005"' in page and 'value="茶"' in page
    missing = quote_page(client, csrf, "8000000000000000", [{"sku": "TEA", "price": "1"}])
    assert missing.status_code == 404 and "No card has the number" in missing.get_data(as_text=True)
    bad_sku = quote_page(client, csrf, "", [{"sku": "茶叶", "price": "1"}])
    assert bad_sku.status_code == 422 and 'value="茶叶"' in bad_sku.get_data(as_text=True)
    with hk.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Checkout)) == 0


def test_a_walk_in_sale_with_a_split_payment(client, shop):
    csrf = sign_in(client, shop)
    page = quote_page(client, csrf, "", [{"sku": "TEA", "name": "茶", "price": "30"}]).get_data(as_text=True)
    assert "walk-in sale" in page and 'data-due="3000"' in page
    pay = Forms(page).forms["pay-form"]
    short = client.post("/cashier/checkout", data={**pay, "pay_cash": "10"})
    assert short.status_code == 422 and "¥30.00 is due" in short.get_data(as_text=True)
    retry = Forms(short.get_data(as_text=True)).forms["pay-form"]
    assert retry["idempotency_key"] != pay["idempotency_key"]  # a new key for a new form
    assert retry["pay_cash"] == "10"  # what was typed stays
    paid = client.post("/cashier/checkout", data={**retry, "pay_cash": "10", "pay_external": "20",
                                                  "channel": "alipay"})
    assert paid.status_code == 303
    receipt = client.get(paid.headers["Location"]).get_data(as_text=True)
    assert "Alipay" in receipt and "20.00" in receipt and "Walk-in sale" in receipt


def test_double_submit_of_one_checkout_form_posts_once(client, shop, hk):
    _member_id, number = api_member(client, shop)
    csrf = sign_in(client, shop)
    page = quote_page(client, csrf, number, [{"sku": "TEA", "price": "88"}]).get_data(as_text=True)
    pay = Forms(page).forms["pay-form"]
    first = client.post("/cashier/checkout", data=pay)
    second = client.post("/cashier/checkout", data=pay)  # double click, or the browser retrying
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    with hk.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Checkout)
                              .where(Checkout.merchant_id == shop.id)) == 1
    # Another rendering of the form is another sale: it has its own key.
    again = Forms(quote_page(client, csrf, number, [{"sku": "TEA", "price": "88"}])
                  .get_data(as_text=True)).forms["pay-form"]
    assert again["idempotency_key"] != pay["idempotency_key"]


def test_live_quote_returns_the_quote_and_a_fresh_payment_form(client, shop):
    csrf = sign_in(client, shop)
    response = client.post("/cashier/checkout/quote", data={
        "csrf_token": csrf, "card_number": "", "lines-0-sku": "A", "lines-0-price": "12.30",
        "lines-0-quantity": "2", "lines-0-promotion": "9"})
    html = response.json["html"]
    assert 'data-due="2214"' in html and 'id="pay-form"' in html


def _stored_value_ready(hk) -> str | None:
    if "stored_value" not in hk.plugins.plugins:
        return "the stored_value plugin is not installed"
    if "rechargeStoredValue" not in hk.handlers:
        return "the stored_value plugin serves no rechargeStoredValue operation yet"
    return None


def test_recharge_with_bonus_then_checkout_paid_by_stored_value_and_pin(client, hk):
    reason = _stored_value_ready(hk)
    if reason:
        pytest.skip(reason)
    shop = make_merchant(hk, f"储值台-{uuid.uuid4().hex[:6]}", document(plugins=["stored_value"]))
    member_id, number = api_member(client, shop, pin=PIN)
    csrf = sign_in(client, shop)
    member_page = client.get(f"/cashier/members/{member_id}").get_data(as_text=True)
    assert f"/cashier/cards/{number}/recharge" in member_page

    form_page = client.get(f"/cashier/cards/{number}/recharge").get_data(as_text=True)
    assert "+¥100.00" in form_page  # the bonus tiers (充1000送100) are shown before recharging
    key = Forms(form_page).forms["recharge-form"]["idempotency_key"]
    too_little = client.post(f"/cashier/cards/{number}/recharge", data={
        "csrf_token": csrf, "idempotency_key": key, "amount_fen": "100", "payment.method": "cash"})
    assert too_little.status_code == 422 and 'value="100"' in too_little.get_data(as_text=True)
    key = Forms(too_little.get_data(as_text=True)).forms["recharge-form"]["idempotency_key"]
    done = client.post(f"/cashier/cards/{number}/recharge", data={
        "csrf_token": csrf, "idempotency_key": key, "amount_fen": "1000", "payment.method": "cash"})
    assert done.status_code == 201
    text = done.get_data(as_text=True)
    assert "+¥100.00" in text and "¥1,100.00" in text  # principal 1000 + bonus 100
    replay = client.post(f"/cashier/cards/{number}/recharge", data={
        "csrf_token": csrf, "idempotency_key": key, "amount_fen": "1000", "payment.method": "cash"})
    assert replay.status_code == 201  # the same form again: the first answer, loaded once
    balance = client.get(f"/api/v1/cards/{number}/balances", headers=shop.headers()).json["balances"]
    assert balance["stored_value_principal"] == 100000 and balance["stored_value_bonus"] == 10000

    page = quote_page(client, csrf, number, [{"sku": "TEA", "price": "100"}]).get_data(as_text=True)
    assert 'name="pay_stored_value"' in page and 'name="pin"' in page
    assert 'data-due="9500"' in page  # the lowest tier, silver, is 9.5折
    pay = Forms(page).forms["pay-form"]
    wrong = client.post("/cashier/checkout", data={**pay, "pay_cash": "", "pay_stored_value": "95",
                                                   "pin": "000000"})
    assert wrong.status_code == 403
    text = wrong.get_data(as_text=True)
    assert "card or PIN not accepted" in text and 'value="95"' in text and "000000" not in text
    pay = Forms(text).forms["pay-form"]
    paid = client.post("/cashier/checkout", data={**pay, "pay_stored_value": "95", "pin": PIN})
    assert paid.status_code == 303
    receipt = client.get(paid.headers["Location"]).get_data(as_text=True)
    assert 'class="signature"' in receipt and "Cardholder signature" in receipt  # S2
    assert "¥1,005.00" in receipt  # stored value left: 1100 - 95


def test_receipt_shows_points_earned_when_points_is_enabled(client, hk):
    if "points" not in hk.plugins.plugins:
        pytest.skip("the points plugin is not installed")
    shop = make_merchant(hk, f"积分台-{uuid.uuid4().hex[:6]}", document(plugins=["points"]))
    _member_id, number = api_member(client, shop, tier="gold")
    csrf = sign_in(client, shop)
    page = quote_page(client, csrf, number, [{"sku": "BAG", "price": "500"}]).get_data(as_text=True)
    assert "Points to earn" in page and "+44" in page  # 500 x 8.8折 = 440 -> 44 points (P1)
    paid = client.post("/cashier/checkout", data=Forms(page).forms["pay-form"])
    receipt = client.get(paid.headers["Location"]).get_data(as_text=True)
    assert "Points earned" in receipt and "+44" in receipt and "-60.00" in receipt
    assert "Balances after this sale" in receipt


def test_return_of_a_line_shows_the_refund(client, shop, hk):
    _member_id, number = api_member(client, shop)
    csrf = sign_in(client, shop)
    page = quote_page(client, csrf, number, [
        {"sku": "CUP", "name": "杯子", "quantity": "3", "price": "10"},
        {"sku": "POT", "name": "茶壶", "price": "50"}]).get_data(as_text=True)
    receipt_url = client.post("/cashier/checkout", data=Forms(page).forms["pay-form"]).headers["Location"]
    checkout_id = int(receipt_url.rsplit("/", 1)[1])
    form_page = client.get(f"/cashier/receipts/{checkout_id}/return").get_data(as_text=True)
    key = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', form_page).group(1)

    too_many = client.post(f"/cashier/receipts/{checkout_id}/return",
                           data={"csrf_token": csrf, "idempotency_key": key, "qty-1": "4"})
    assert too_many.status_code == 422 and 'value="4"' in too_many.get_data(as_text=True)
    data = {"csrf_token": csrf, "idempotency_key": key, "qty-1": "2", "qty-2": "0"}
    done = client.post(f"/cashier/receipts/{checkout_id}/return", data=data)
    assert done.status_code == 201 and "Refund: ¥19.00" in done.get_data(as_text=True)
    assert client.post(f"/cashier/receipts/{checkout_id}/return", data=data).status_code == 201  # replay
    receipt = client.get(receipt_url).get_data(as_text=True)
    assert "2 returned" in receipt and "refund ¥19.00" in receipt  # 28.50 (9.5折) x 2/3
    with hk.db.read() as session:
        lines = session.scalar(select(Checkout).where(Checkout.id == checkout_id)).lines
        assert [line.returned_quantity for line in lines] == [2, 0]


# -- card lifecycle ----------------------------------------------------------------------

def test_lifecycle_buttons_follow_the_role(client, shop, hk):
    member_id, number = api_member(client, shop)
    csrf = sign_in(client, shop, "cashier")
    page = client.get(f"/cashier/members/{member_id}").get_data(as_text=True)
    assert f"/cashier/cards/{number}/report-lost" in page
    assert f"/cashier/cards/{number}/freeze" not in page and f"/cashier/cards/{number}/replace" not in page

    refused = client.post(f"/cashier/cards/{number}/freeze", data={"csrf_token": csrf})
    assert refused.status_code == 403 and "the cashier role may not freeze a card" in refused.get_data(as_text=True)
    lost = client.post(f"/cashier/cards/{number}/report-lost", data={"csrf_token": csrf})
    assert lost.status_code == 303
    again = client.post(f"/cashier/cards/{number}/report-lost", data={"csrf_token": csrf})
    assert again.status_code == 409 and "cannot report it lost" in again.get_data(as_text=True)

    client.post("/logout", data={"csrf_token": csrf})
    csrf = sign_in(client, shop, "manager")
    page = client.get(f"/cashier/members/{member_id}").get_data(as_text=True)
    assert f"/cashier/cards/{number}/unfreeze" in page and f"/cashier/cards/{number}/replace" in page
    assert client.post(f"/cashier/cards/{number}/unfreeze", data={"csrf_token": csrf}).status_code == 303
    bad_date = client.post(f"/cashier/cards/{number}/extend", data={"csrf_token": csrf, "expires_on": "2001-01-01"})
    assert bad_date.status_code == 422 and 'value="2001-01-01"' in bad_date.get_data(as_text=True)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    replaced = client.post(f"/cashier/cards/{number}/replace",
                           data={"csrf_token": csrf, "new_number": "8811000011110000", "idempotency_key": key})
    assert replaced.status_code == 303 and replaced.headers["Location"].endswith("#card-8811000011110000")
    with hk.db.read() as session:
        old = session.scalar(select(Card).where(Card.merchant_id == shop.id, Card.number == number))
        assert old.status == "replaced"


def test_another_merchants_member_is_not_found(client, shop, hk):
    other = make_merchant(hk, f"别家-{uuid.uuid4().hex[:6]}", document())
    member_id, number = api_member(client, other)
    sign_in(client, shop)
    assert client.get(f"/cashier/members/{member_id}").status_code == 404
    assert client.get("/cashier/receipts/999999").status_code == 404
    assert "No card has the number" in client.get(f"/cashier/?q={number}").get_data(as_text=True)


def test_member_qr_page_for_printing(client, shop):
    sign_in(client, shop)
    page = client.get("/cashier/member-qr").get_data(as_text=True)
    assert f'src="/m/{shop.id}/qr.svg"' in page and f"/m/{shop.id}/register" in page


def test_points_mall_and_lucky_wheel_when_enabled(client, hk, monkeypatch):
    if "points" not in hk.plugins.plugins or "redeemMallItem" not in hk.handlers:
        pytest.skip("the points plugin's mall is not available")
    doc = document()
    doc["plugins"] = [{"id": "points", "settings": {"wheel_enabled": True}}]
    shop = make_merchant(hk, f"积分商城-{uuid.uuid4().hex[:6]}", doc)
    plain = make_merchant(hk, f"无积分-{uuid.uuid4().hex[:6]}", document())
    member_id, number = api_member(client, shop, tier="gold")
    item = client.post("/api/v1/points/mall/items", json={"name": "保温杯", "points_cost": 30, "stock": 2},
                       headers=shop.headers())
    assert item.status_code == 201, item.json
    prize = client.post("/api/v1/points/wheel/prizes", json={"name": "10 积分", "kind": "points",
                                                            "points": 10, "weight": 1},
                        headers=shop.headers())
    assert prize.status_code == 201, prize.json
    csrf = sign_in(client, shop)
    page = quote_page(client, csrf, number, [{"sku": "BAG", "price": "500"}]).get_data(as_text=True)
    client.post("/cashier/checkout", data=Forms(page).forms["pay-form"])  # 44 points

    member_page = client.get(f"/cashier/members/{member_id}").get_data(as_text=True)
    assert f"/cashier/cards/{number}/redeem" in member_page and f"/cashier/cards/{number}/wheel" in member_page
    form = client.get(f"/cashier/cards/{number}/redeem").get_data(as_text=True)
    assert "保温杯" in form and 'name="item_id"' in form
    key = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', form).group(1)
    too_many = client.post(f"/cashier/cards/{number}/redeem", data={
        "csrf_token": csrf, "idempotency_key": key, "item_id": str(item.json["id"]), "quantity": "2"})
    assert too_many.status_code == 409 and 'value="2"' in too_many.get_data(as_text=True)
    key = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', too_many.get_data(as_text=True)).group(1)
    done = client.post(f"/cashier/cards/{number}/redeem", data={
        "csrf_token": csrf, "idempotency_key": key, "item_id": str(item.json["id"]), "quantity": "1"})
    assert done.status_code == 201 and "Points left" in done.get_data(as_text=True)

    wheel = client.get(f"/cashier/cards/{number}/wheel").get_data(as_text=True)
    key = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', wheel).group(1)
    spun = client.post(f"/cashier/cards/{number}/wheel", data={"csrf_token": csrf, "idempotency_key": key})
    assert spun.status_code == 201 and "Prize: 10 积分" in spun.get_data(as_text=True)
    assert client.get(f"/api/v1/cards/{number}/balances",
                      headers=shop.headers()).json["balances"]["points"] == 44 - 30 + 10

    # A merchant without the points plugin gets no such buttons, and the pages are not there.
    client.post("/logout", data={"csrf_token": csrf})
    plain_member, plain_card = api_member(client, plain)
    sign_in(client, plain)
    assert f"/cashier/cards/{plain_card}/redeem" not in client.get(
        f"/cashier/members/{plain_member}").get_data(as_text=True)
    assert client.get(f"/cashier/cards/{plain_card}/redeem").status_code == 404
    assert client.get(f"/cashier/cards/{plain_card}/wheel").status_code == 404


def test_a_merchant_designed_screen_runs_its_operation(client, hk):
    doc = document()
    doc["screens"] = [{
        "id": "extend_card", "title": {"zh-CN": "卡片延期", "en": "Extend the card"},
        "data_schema": {"type": "object", "additionalProperties": False, "required": ["expires_on"],
                        "properties": {"expires_on": {"type": "string", "format": "date"}}},
        "ui": {"type": "VerticalLayout", "elements": [
            {"type": "Control", "scope": "#/properties/expires_on",
             "label": {"zh-CN": "新到期日", "en": "New expiry"}}]},
        "action": {"operation_id": "extendCard", "method": "POST",
                   "path": "/api/v1/cards/{card_number}/extend"}}]
    shop = make_merchant(hk, f"自定义-{uuid.uuid4().hex[:6]}", doc)
    member_id, number = api_member(client, shop)
    csrf = sign_in(client, shop, "cashier")
    assert "Extend the card" not in client.get(f"/cashier/members/{member_id}").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf})
    csrf = sign_in(client, shop, "manager")  # extendCard is for managers
    member_page = client.get(f"/cashier/members/{member_id}").get_data(as_text=True)
    url = f"/cashier/members/{member_id}/screens/extend_card?card={number}"
    assert "Extend the card" in member_page and f"screens/extend_card?card={number}" in member_page
    form = client.get(url).get_data(as_text=True)
    key = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', form).group(1)
    refused = client.post(url, data={"csrf_token": csrf, "idempotency_key": key, "expires_on": ""})
    assert refused.status_code == 422
    done = client.post(url, data={"csrf_token": csrf, "idempotency_key": key, "expires_on": "2099-12-31"})
    assert done.status_code == 201 and "2099-12-31" in done.get_data(as_text=True)
    _other_member, other_card = api_member(client, shop)
    assert client.get(f"/cashier/members/{member_id}/screens/extend_card?card={other_card}").status_code == 404
