"""Returns (G3): exactly what was paid comes back, in proportion to the tenders, once."""
from __future__ import annotations

import uuid

import pytest

from core import ledger
from tests.support.factories import basic_document, make_merchant


@pytest.fixture
def shop(hk):
    return make_merchant(hk, "退货测试店", basic_document())


def key():
    return {"Idempotency-Key": uuid.uuid4().hex}


def checkout(client, shop, lines, payments):
    response = client.post("/api/v1/checkout", json={"lines": lines, "payments": payments},
                           headers={**shop.headers(), **key()})
    assert response.status_code == 201, response.json
    return response.json


def give_back(client, shop, checkout_id, lines, headers=None):
    return client.post(f"/api/v1/checkouts/{checkout_id}/returns", json={"lines": lines},
                       headers={**shop.headers(), **(headers or key())})


def drawer(hk, shop, purpose):
    with hk.db.read() as session:
        return ledger.merchant_account(session, shop.id, purpose, "cny").balance


def test_partial_returns_add_up_to_exactly_what_was_paid(client, hk, shop):
    # 3 units at 3.33 yuan: 999 fen, paid 333 cash + 666 WeChat. Unit returns must sum exactly.
    receipt = checkout(client, shop, [{"sku": "PEN", "unit_price_fen": 333, "quantity": 3}],
                       [{"method": "cash", "amount_fen": 333},
                        {"method": "external", "channel": "wechat", "amount_fen": 666}])
    refunds = [give_back(client, shop, receipt["checkout_id"], [{"line_no": 1, "quantity": 1}]).json
               for _ in range(3)]
    assert sum(r["refund_fen"] for r in refunds) == 999
    assert drawer(hk, shop, "cash_drawer") == 0 and drawer(hk, shop, "external_wechat") == 0
    assert drawer(hk, shop, "sales") == 0
    with hk.db.read() as session:
        assert ledger.verify(session, shop.id) == []


def test_a_line_cannot_be_returned_twice(client, shop):
    receipt = checkout(client, shop, [{"sku": "A", "unit_price_fen": 1000, "quantity": 2},
                                      {"sku": "B", "unit_price_fen": 500}],
                       [{"method": "cash", "amount_fen": 2500}])
    first = give_back(client, shop, receipt["checkout_id"], [{"line_no": 1, "quantity": 2}])
    assert first.status_code == 201 and first.json["refund_fen"] == 2000
    second = give_back(client, shop, receipt["checkout_id"], [{"line_no": 1, "quantity": 1}])
    assert second.status_code == 409 and second.json["error"]["code"] == "already_returned"
    too_many = give_back(client, shop, receipt["checkout_id"], [{"line_no": 2, "quantity": 2}])
    assert too_many.status_code == 409
    rest = give_back(client, shop, receipt["checkout_id"], [{"line_no": 2, "quantity": 1}])
    assert rest.json["refund_fen"] == 500
    detail = client.get(f"/api/v1/checkouts/{receipt['checkout_id']}", headers=shop.headers()).json
    assert [r["refund_fen"] for r in detail["returns"]] == [2000, 500]


def test_a_retried_return_is_replayed_not_repeated(client, hk, shop):
    receipt = checkout(client, shop, [{"sku": "A", "unit_price_fen": 1000}], [{"method": "cash", "amount_fen": 1000}])
    headers = {"Idempotency-Key": "return-1"}
    first = give_back(client, shop, receipt["checkout_id"], [{"line_no": 1, "quantity": 1}], headers)
    retry = give_back(client, shop, receipt["checkout_id"], [{"line_no": 1, "quantity": 1}], headers)
    assert first.status_code == retry.status_code == 201 and retry.json == first.json
    assert drawer(hk, shop, "cash_drawer") == 0


@pytest.mark.parametrize("lines", [[], [{"line_no": 9, "quantity": 1}], [{"line_no": 1, "quantity": 0}],
                                   [{"line_no": 1, "quantity": "1"}]])
def test_bad_returns_are_refused_and_change_nothing(client, hk, shop, lines):
    receipt = checkout(client, shop, [{"sku": "A", "unit_price_fen": 1000}], [{"method": "cash", "amount_fen": 1000}])
    response = give_back(client, shop, receipt["checkout_id"], lines)
    assert response.status_code == 422
    assert drawer(hk, shop, "cash_drawer") == 1000


def test_unknown_checkout_is_404(client, shop):
    assert give_back(client, shop, 424242, [{"line_no": 1, "quantity": 1}]).status_code == 404
