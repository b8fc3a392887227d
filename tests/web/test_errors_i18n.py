"""Errors in the reader's language, money in yuan (H8): the till, the API when asked, error pages."""
from __future__ import annotations

import re
import uuid

import pytest

from tests.support.factories import basic_document, make_merchant
from tests.web.test_cashier import Forms, quote_page, token


@pytest.fixture
def shop(hk):
    return make_merchant(hk, f"错误-{uuid.uuid4().hex[:6]}", basic_document())


def sign_in_chinese(client, shop, role="cashier") -> str:
    response = client.post("/login", data={"merchant": shop.name, "username": role,
                                           "password": "password-123", "csrf_token": token(client)})
    assert response.status_code == 302
    return token(client, "/cashier/")


def test_the_payment_sum_error_reaches_a_chinese_cashier_in_yuan(client, shop):
    csrf = sign_in_chinese(client, shop)
    page = quote_page(client, csrf, "", [{"sku": "TEA", "name": "茶", "price": "77.44"}]).get_data(as_text=True)
    pay = Forms(page).forms["pay-form"]
    short = client.post("/cashier/checkout", data={**pay, "pay_cash": "154.88"})
    text = short.get_data(as_text=True)
    assert short.status_code == 422
    assert "付款合计 ¥154.88，但应付 ¥77.44" in text
    assert "fen" not in re.sub(r"<[^>]+>", " ", text) and "add up to" not in text


def test_the_api_answers_in_chinese_only_when_the_client_asks(client, shop):
    body = {"lines": [{"sku": "A", "unit_price_fen": 7744}],
            "payments": [{"method": "cash", "amount_fen": 15488}]}
    english = client.post("/api/v1/checkout", json=body,
                          headers={**shop.headers(), "Idempotency-Key": uuid.uuid4().hex})
    assert english.status_code == 422 and english.json["error"]["code"] == "payment_mismatch"
    assert english.json["error"]["message"] == "payments add up to 15488 fen but 7744 fen is due"
    chinese = client.post("/api/v1/checkout", json=body,
                          headers={**shop.headers(), "Accept-Language": "zh-CN,zh;q=0.9",
                                   "Idempotency-Key": uuid.uuid4().hex})
    assert chinese.status_code == 422 and chinese.json["error"]["code"] == "payment_mismatch"
    assert chinese.json["error"]["message"].startswith("付款合计 ¥154.88，但应付 ¥77.44")
    missing = client.get("/api/v1/no-such-thing", headers={"Accept-Language": "zh-CN"})
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    assert missing.json["error"]["message"].startswith("API 中没有这个地址")
    assert client.get("/api/v1/no-such-thing").json["error"]["message"].startswith("The requested URL")


@pytest.mark.parametrize("lang,expected", [("zh_CN", "页面不存在"), ("en", "Page not found")])
def test_browser_error_pages_are_pages_in_the_user_language(client, lang, expected):
    missing = client.get(f"/no-such-page?lang={lang}")
    assert missing.status_code == 404 and missing.content_type.startswith("text/html")
    assert expected in missing.get_data(as_text=True)
    wrong_method = client.delete(f"/login?lang={lang}")
    assert wrong_method.status_code == 405 and "Allow" in wrong_method.headers
    assert ("此处不能这样操作" if lang == "zh_CN" else "Not possible here") in wrong_method.get_data(as_text=True)


def test_an_unexpected_error_is_a_translated_500_page(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/boom-for-test")
    assert response.status_code == 500 and "出错了" in response.get_data(as_text=True)
    assert "secret internals" not in response.get_data(as_text=True)


def test_not_found_reads_chinese_without_the_english_tail(app, client, shop):
    """A missing thing is named in Chinese (未找到会员 99999。), an unknown wording shows the gist
    alone; the API's English message for English clients stays as it was."""
    from core.errors import NotFound
    from webui.errors_i18n import error_text

    chinese = client.get("/api/v1/members/99999", headers={**shop.headers(), "Accept-Language": "zh-CN"})
    assert chinese.status_code == 404 and chinese.json["error"]["code"] == "not_found"
    assert chinese.json["error"]["message"] == "未找到会员 99999。"
    english = client.get("/api/v1/members/99999", headers=shop.headers())
    assert english.json["error"]["message"] == "member 99999 does not exist"
    with app.test_request_context("/cashier/", headers={"Accept-Language": "zh-CN"}):
        from flask_babel import refresh
        refresh()
        assert error_text(NotFound("event 99 does not exist")) == "未找到活动 99。"
        assert error_text(NotFound("mall item 7 does not exist")) == "未找到。"
        assert error_text(NotFound("no voucher has this code")) == "未找到。"
