"""The till and the receipt page show the birthday: the member strip's fact, the 生日优惠 row
and the gift line on the quote, the till's receipt and the printed receipt."""
from __future__ import annotations

import uuid

from tests.web.test_till import sign_in_zh

from .conftest import make_shop

LINES = [{"name": "蛋糕", "unit_price_fen": 8800, "quantity": 1}]


def test_the_till_shows_the_birthday_from_strip_to_receipt(client, hk, clock):
    shop = make_shop(client, hk, "生日蛋糕店", rules=[
        {"window": "month", "discount_permille": 900, "gift_name": "生日蜡烛"}])
    number = shop.card(birthday="1990-03-28")
    csrf = sign_in_zh(client, shop.merchant)
    headers = {"X-CSRFToken": csrf}
    strip = client.get(f"/cashier/till/cards/{number}").json["card"]
    fact = next(f for f in strip["facts"] if f["key"] == "birthday_benefits")
    assert fact["title"] == "生日" and fact["text"] == "3月28日 — 本月享 9 折、赠 生日蜡烛，未使用"
    quote = client.post("/cashier/till/quote", json={"card_number": number, "lines": LINES}, headers=headers)
    assert quote.status_code == 200, quote.json
    assert quote.json["due_fen"] == 7920
    html = quote.json["html"]
    assert "生日优惠 · 赠 生日蜡烛" in html and "-8.80" in html
    assert 'class="gift"' in html and html.count("data-index=") == 1  # the gift has no +/− buttons
    sale = {"card_number": number, "lines": LINES, "idempotency_key": "web-" + uuid.uuid4().hex,
            "payments": [{"method": "cash", "amount_fen": 7920}]}
    paid = client.post("/cashier/till/pay", json=sale, headers=headers)
    assert paid.status_code == 201, paid.json
    assert "生日优惠 · 赠 生日蜡烛" in paid.json["html"] and "生日蜡烛" in paid.json["html"]
    page = client.get(f"/cashier/receipts/{paid.json['checkout_id']}").get_data(as_text=True)
    assert "生日优惠 -8.80" in page and "生日蜡烛" in page
    strip = client.get(f"/cashier/till/cards/{number}").json["card"]
    assert next(f for f in strip["facts"] if f["key"] == "birthday_benefits")["text"].endswith("已使用")
