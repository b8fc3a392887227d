"""The one-screen till (/cashier/till, H2) through its JSON routes, on SQLite and PostgreSQL:
lookup by phone / last four / card / QR text / name, the member strip from member_summary,
the quote, a stored-value sale with the PIN, a double tap that charges once, and errors in
the cashier's language with amounts in yuan."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from core.models import Checkout
from tests.support.factories import make_merchant
from tests.web.test_cashier import PIN, api_member, document, token

PLUGINS = ("points", "stored_value")


@pytest.fixture
def shop(hk):
    if not all(p in hk.plugins.plugins for p in PLUGINS):
        pytest.skip("the points and stored_value plugins are needed")
    return make_merchant(hk, f"收银台-{uuid.uuid4().hex[:6]}", document(plugins=PLUGINS))


def sign_in_zh(client, shop) -> str:
    """Signed in as the cashier, in Chinese (the till's language); the page's CSRF token."""
    client.get("/lang/zh_CN")
    response = client.post("/login", data={"merchant": shop.name, "username": "cashier",
                                           "password": "password-123", "csrf_token": token(client)})
    assert response.status_code == 302
    page = client.get("/cashier/till").get_data(as_text=True)
    assert 'id="till-screen"' in page
    import re
    return re.search(r'data-csrf="([^"]+)"', page).group(1)


def recharge(client, shop, number: str, fen: int) -> None:
    answer = client.post(f"/api/v1/cards/{number}/recharge", json={
        "amount_fen": fen, "payment": {"method": "cash"}},
        headers={**shop.headers(), "Idempotency-Key": uuid.uuid4().hex})
    assert answer.status_code == 201, answer.json


LINES = [{"name": "洗发水", "unit_price_fen": 4550, "quantity": 2},
         {"name": "护手霜", "unit_price_fen": 1990, "quantity": 1}]


def test_lookup_finds_by_phone_last_four_card_qr_and_name(client, shop, database_url):
    _id, number = api_member(client, shop, name="周小芳", phone="13912348000", pin=PIN)
    api_member(client, shop, name="周大伟", phone="13700008000", pin=PIN)
    sign_in_zh(client, shop)
    by_phone = client.get("/cashier/till/lookup?q=13912348000").json
    assert by_phone["card"]["number"] == number and by_phone["card"]["member_name"] == "周小芳"
    assert by_phone["card"]["phone"] == "139****8000"
    assert by_phone["card"]["tier"] and "折" in by_phone["card"]["zhe"]  # the lowest tier: 9.5折
    by_last4 = client.get("/cashier/till/lookup?q=8000").json
    assert sorted(c["member_name"] for c in by_last4["choices"]) == ["周大伟", "周小芳"]
    assert "<button" in by_last4["html"]
    assert client.get(f"/cashier/till/lookup?q={number}").json["card"]["number"] == number
    qr = f"https://shop.example/m/1/cards/{number}?from=qr"
    assert client.get("/cashier/till/lookup", query_string={"q": qr}).json["card"]["number"] == number
    assert client.get("/cashier/till/lookup", query_string={"q": f";{number}=2512?"}).json["card"]["number"] == number
    by_name = client.get("/cashier/till/lookup", query_string={"q": "周"}).json
    assert len(by_name["choices"]) == 2
    unknown = client.get("/cashier/till/lookup?q=13811112222").json
    assert "未找到" in unknown["message"] or "没有" in unknown["message"]
    assert unknown["register_url"].startswith("/cashier/members/new")
    for hostile in ("", " ", "x" * 5000, "%00", "1234567890123456789012345678901234567"):
        assert client.get("/cashier/till/lookup", query_string={"q": hostile}).status_code == 200


def test_the_strip_shows_every_member_summary_fact(client, shop, database_url):
    _id, number = api_member(client, shop, phone="13912340001", pin=PIN)
    recharge(client, shop, number, 50000)
    sign_in_zh(client, shop)
    card = client.get(f"/cashier/till/cards/{number}").json["card"]
    facts = {fact["key"]: fact for fact in card["facts"]}
    assert facts["stored_value"]["text"] == "¥500.00" and facts["stored_value"]["title"] == "储值"
    assert facts["points"]["title"] == "积分"
    assert card["stored_value_fen"] == 50000 and card["has_pin"]
    assert "¥500.00" in card["html"] and "积分" in card["html"]
    assert client.get("/cashier/till/cards/NOPE0000").status_code == 404
    # Plugins this merchant does not use: the till hides their parts.
    assert client.get(f"/cashier/till/cards/{number}/coupons").json == {"coupons": [], "installed": False}
    assert client.get("/cashier/till/products?q=x").json == {"products": [], "installed": False}


def test_a_stored_value_sale_charges_once_even_when_tapped_twice(client, hk, shop, database_url):
    _id, number = api_member(client, shop, phone="13912340002", pin=PIN)
    recharge(client, shop, number, 50000)
    csrf = sign_in_zh(client, shop)
    headers = {"X-CSRFToken": csrf}
    quote = client.post("/cashier/till/quote", json={"card_number": number, "lines": LINES},
                        headers=headers)
    assert quote.status_code == 200, quote.json
    due = quote.json["due_fen"]
    assert due == (9100 + 1990) * 950 // 1000 or due < 11090  # the tier's member price
    assert "洗发水" in quote.json["html"]
    sale = {"card_number": number, "lines": LINES, "pin": PIN, "idempotency_key": "web-" + uuid.uuid4().hex,
            "payments": [{"method": "stored_value", "amount_fen": due}]}
    first = client.post("/cashier/till/pay", json=sale, headers=headers)
    assert first.status_code == 201, first.json
    again = client.post("/cashier/till/pay", json=sale, headers=headers)  # the double tap
    assert again.status_code == 201 and again.json["checkout_id"] == first.json["checkout_id"]
    assert again.json["replayed"] is True and first.json["next_key"] != sale["idempotency_key"]
    assert "下一位" in first.json["html"]
    with hk.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Checkout)
                              .where(Checkout.merchant_id == shop.id)) == 1
    card = client.get(f"/cashier/till/cards/{number}").json["card"]
    assert card["stored_value_fen"] == 50000 - due
    assert "pin" not in first.get_data(as_text=True).lower().replace("pin_", "")


def test_errors_are_in_chinese_and_in_yuan(client, shop, database_url):
    _id, number = api_member(client, shop, phone="13912340003", pin=PIN)
    recharge(client, shop, number, 50000)
    csrf = sign_in_zh(client, shop)
    headers = {"X-CSRFToken": csrf}
    due = client.post("/cashier/till/quote", json={"card_number": number, "lines": LINES},
                      headers=headers).json["due_fen"]
    sale = {"card_number": number, "lines": LINES, "pin": PIN,
            "payments": [{"method": "stored_value", "amount_fen": due},
                         {"method": "cash", "amount_fen": due}]}
    doubled = client.post("/cashier/till/pay", json={**sale, "idempotency_key": "web-" + uuid.uuid4().hex},
                          headers=headers)
    assert doubled.status_code == 422
    error = doubled.json["error"]
    assert error["code"] == "payment_mismatch" and error["field"] == "payments"
    assert f"¥{due * 2 // 100:,}.{due * 2 % 100:02d}" in error["message"]
    assert f"¥{due // 100:,}.{due % 100:02d}" in error["message"] and "fen" not in error["message"]
    wrong_pin = client.post("/cashier/till/pay", json={
        **sale, "pin": "135791", "payments": sale["payments"][:1],
        "idempotency_key": "web-" + uuid.uuid4().hex}, headers=headers)
    assert wrong_pin.status_code == 403 and wrong_pin.json["error"]["field"] == "pin"
    assert "密码" in wrong_pin.json["error"]["message"]
    too_much = client.post("/cashier/till/pay", json={
        **sale, "payments": [{"method": "stored_value", "amount_fen": 60000}],
        "lines": [{"name": "大件", "unit_price_fen": 70000}],
        "idempotency_key": "web-" + uuid.uuid4().hex}, headers=headers)
    assert too_much.status_code in (409, 422)
    assert "¥" in too_much.json["error"]["message"] and "fen" not in too_much.json["error"]["message"]
    bad_baskets = [None, [], {"lines": "x"}, {"lines": [{"name": "a", "unit_price_fen": -1}]},
                   {"lines": [{"product_id": "1"}]}, {"lines": LINES, "card_number": "../x"},
                   {"lines": LINES, "coupons": ["no spaces!"]}, {"lines": LINES, "coupons": "A1"}]
    bad_payments = [{"lines": LINES, "payments": [{"method": "gold"}], "idempotency_key": "web-12345678"},
                    {"lines": LINES, "payments": [{"method": "cash", "amount_fen": 1.5}]},
                    {"lines": LINES, "payments": [{"method": "cash", "amount_fen": 1}], "idempotency_key": "x"}]
    for url, bad in [(u, b) for b in bad_baskets for u in ("/cashier/till/quote", "/cashier/till/pay")] \
            + [("/cashier/till/pay", b) for b in bad_payments]:
        answer = client.post(url, json=bad, headers=headers)
        assert 400 <= answer.status_code < 500 and answer.json["error"]["message"], (url, bad)
    assert client.post("/cashier/till/quote", json={"lines": LINES}).status_code == 400  # no CSRF token


def test_points_as_cash_and_cash_make_the_amount_due(client, shop, database_url):
    _id, number = api_member(client, shop, phone="13912340004", pin=PIN)
    headers = {"X-CSRFToken": sign_in_zh(client, shop)}

    def pay(lines, payments):
        return client.post("/cashier/till/pay", headers=headers, json={
            "card_number": number, "lines": lines, "payments": payments,
            "idempotency_key": "web-" + uuid.uuid4().hex})

    big = [{"name": "礼盒", "unit_price_fen": 50000}]
    due = client.post("/cashier/till/quote", json={"card_number": number, "lines": big},
                      headers=headers).json["due_fen"]
    assert pay(big, [{"method": "cash", "amount_fen": due}]).status_code == 201
    points = client.get(f"/cashier/till/cards/{number}").json["card"]["points"]
    assert points >= 10
    small = [{"name": "毛巾", "unit_price_fen": 3000}]
    due = client.post("/cashier/till/quote", json={"card_number": number, "lines": small},
                      headers=headers).json["due_fen"]
    used = 10  # one step: 10 points pay ¥1.00 (the points plugin's defaults)
    paid = pay(small, [{"method": "points", "points": used}, {"method": "cash", "amount_fen": due - 100}])
    assert paid.status_code == 201, paid.json
    assert "积分抵现" in paid.json["html"] and "1.00" in paid.json["html"]
    short = pay(small, [{"method": "points", "points": used}, {"method": "cash", "amount_fen": due}])
    assert short.json["error"]["code"] == "payment_mismatch"
    expected = due + 100
    assert f"¥{expected // 100}.{expected % 100:02d}" in short.json["error"]["message"]


def test_member_summary_facts_render_whatever_plugins_return(app):
    from webui.cashier.till_strip import summary_facts

    with app.test_request_context("/?lang=zh_CN"):
        facts = summary_facts({
            "stored_value": {"principal_fen": 100, "bonus_fen": 20, "total_fen": 120},
            "points": 35, "course_sessions": 4, "member_class_computed_at": "2026-01-01",
            "skin_type": None, "coupons": {"count": 2},
            "packages": [{"name": "面部护理 10次", "sessions_left": 7}],
            "points_extra": [{"name": "x", "text": "洗车 剩 3 次，至 2027-01-31"}],
            "house_wine": {"label": {"zh-CN": "存酒", "en": "Wine kept"}, "text": "2 瓶"},
            "deposit_fen": 5000})
    shown = {fact["key"]: (fact["title"], fact["text"]) for fact in facts}
    assert shown["stored_value"] == ("储值", "¥1.20") and shown["points"] == ("积分", "35")
    assert shown["coupons"] == ("优惠券", "2") and shown["house_wine"] == ("存酒", "2 瓶")
    assert shown["packages"] == ("次卡", "面部护理 10次 ×7") and shown["deposit_fen"][1] == "¥50.00"
    assert "skin_type" not in shown and "member_class_computed_at" not in shown
    assert "course_sessions" in shown  # an asset kind: its own title and unit
    assert shown["points_extra"][1] == "洗车 剩 3 次，至 2027-01-31"  # an item's own text


def test_an_unknown_barcode_is_named_in_the_error(client, shop, database_url):
    headers = {"X-CSRFToken": sign_in_zh(client, shop)}
    answer = client.post("/cashier/till/quote", headers=headers,
                         json={"lines": [*LINES, {"barcode": "6900000999999", "quantity": 1}]})
    assert answer.status_code == 422
    error = answer.json["error"]
    assert error["field"] == "lines" and error["line"] == 2
    assert "6900000999999" in error["message"] and "商品" in error["message"]
