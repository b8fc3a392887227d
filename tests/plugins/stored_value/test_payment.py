"""Paying from stored value at the checkout: card + PIN (S2, C6), new-card cap (S3),
balances (S1), walk-ins (C7) and returns (G3)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core.clock import now_utc

from .helpers import (WRONG_PIN, assert_ledger_sound, key, merchant_balance, new_card, pay, pin_state,
                      post, recharge, shop_with, stored)


def later(monkeypatch, **delta):
    """Requests from now on happen ``delta`` later (the handler's clock)."""
    moment = now_utc() + timedelta(**delta)
    monkeypatch.setattr("webui.api.handlers.now_utc", lambda: moment)
    return moment


@pytest.fixture
def shop(hk):
    return shop_with(hk)


def test_s2_pay_with_card_and_pin_principal_first_and_the_holder_signs(client, hk, shop):
    card = new_card(client, shop)
    recharge(client, shop, card, 100000)  # + 10000 bonus
    response = pay(client, shop, card, 30000)
    assert response.status_code == 201, response.json
    payment = response.json["payments"][0]
    assert payment == {"method": "stored_value", "amount_fen": 30000, "card_number": card,
                       "principal_fen": 30000, "bonus_fen": 0, "signature_required": True}
    assert response.json["balances"] == {"stored_value_principal": 70000, "stored_value_bonus": 10000}
    assert merchant_balance(hk, shop, "redeemed", "stored_value_principal") == 30000
    assert merchant_balance(hk, shop, "sales", "cny") == -30000  # revenue, as for cash
    assert merchant_balance(hk, shop, "stored_value_sold", "cny") == -70000  # still owed
    assert_ledger_sound(hk, shop)


def test_s2_bonus_is_spent_after_the_principal(client, hk, shop, monkeypatch):
    card = new_card(client, shop)
    recharge(client, shop, card, 100000)
    later(monkeypatch, days=1)  # past the new-card day (S3)
    response = pay(client, shop, card, 105000)
    assert response.status_code == 201, response.json
    payment = response.json["payments"][0]
    assert (payment["principal_fen"], payment["bonus_fen"]) == (100000, 5000)
    assert stored(client, shop, card) == {"principal_fen": 0, "bonus_fen": 5000, "pending_fen": 0,
                                          "total_fen": 5000}
    assert merchant_balance(hk, shop, "stored_value_bonus_cost", "cny") == 5000
    assert merchant_balance(hk, shop, "sales", "cny") == -105000
    assert_ledger_sound(hk, shop)


@pytest.mark.parametrize(("order", "expected"), [("bonus_first", (20000, 10000)),
                                                 ("proportional", (27273, 2727))])
def test_s2_the_spending_order_is_a_setting(client, hk, order, expected):
    shop = shop_with(hk, {"spend_order": order})
    card = new_card(client, shop)
    recharge(client, shop, card, 100000)  # 100000 principal, 10000 bonus
    payment = pay(client, shop, card, 30000).json["payments"][0]
    assert (payment["principal_fen"], payment["bonus_fen"]) == expected
    assert_ledger_sound(hk, shop)


def test_s2_stored_value_and_cash_together(client, hk, shop):
    card = new_card(client, shop)
    recharge(client, shop, card, 50000)
    response = pay(client, shop, card, 10000, lines=[{"sku": "TEA", "unit_price_fen": 15000}],
                   extra=[{"method": "cash", "amount_fen": 5000}])
    assert response.status_code == 201, response.json
    assert [p["method"] for p in response.json["payments"]] == ["stored_value", "cash"]
    assert stored(client, shop, card)["principal_fen"] == 40000
    assert_ledger_sound(hk, shop)


def test_c6_a_pin_is_required(client, hk, shop):
    card = new_card(client, shop)
    recharge(client, shop, card, 50000)
    for pin in (None, "12345", 123456, "12345a"):
        response = pay(client, shop, card, 1000, pin=pin)
        assert response.status_code == 422, pin
        details = response.json["error"]["details"]
        # No PIN: the plugin asks for it; a malformed one breaks the documented schema there.
        assert details == [{"pointer": "/payments", "message": "the card's 6-digit PIN (C6)"}] \
            or [d["pointer"] for d in details] == ["/payments/0/pin"], details
    assert pin_state(hk, card) == (0, None)  # a malformed PIN is not a guess
    assert stored(client, shop, card)["principal_fen"] == 50000
    assert_ledger_sound(hk, shop)


def test_c6_a_wrong_pin_is_refused_counted_and_changes_nothing_else(client, hk, shop):
    card = new_card(client, shop)
    recharge(client, shop, card, 50000)
    response = pay(client, shop, card, 1000, pin=WRONG_PIN)
    assert response.status_code == 403
    assert response.json["error"] == {"code": "pin_not_accepted", "message": "card or PIN not accepted",
                                      "details": None}
    assert pin_state(hk, card) == (1, None)  # committed although the checkout rolled back
    assert stored(client, shop, card)["principal_fen"] == 50000
    assert merchant_balance(hk, shop, "sales", "cny") == 0
    right = pay(client, shop, card, 1000)
    assert right.status_code == 201
    assert pin_state(hk, card) == (0, None)  # a right PIN clears the count
    assert_ledger_sound(hk, shop)


def test_c6_a_card_without_a_pin_cannot_pay_from_stored_value(client, hk, shop):
    card = new_card(client, shop, pin=None)
    recharge(client, shop, card, 50000)
    response = pay(client, shop, card, 1000)
    assert response.status_code == 403 and response.json["error"]["code"] == "pin_not_set"
    assert stored(client, shop, card)["principal_fen"] == 50000
    assert_ledger_sound(hk, shop)


def test_c7_a_walk_in_sale_cannot_pay_from_stored_value(client, hk, shop):
    response = pay(client, shop, None, 1000)
    assert response.status_code == 422
    assert response.json["error"]["details"] == [{"pointer": "/card_number", "message": "the card to pay from"}]
    assert_ledger_sound(hk, shop)


def test_s1_more_than_the_balance_is_refused_as_insufficient(client, hk, shop, monkeypatch):
    card = new_card(client, shop)
    recharge(client, shop, card, 50000)
    later(monkeypatch, days=1)  # past the new-card day (S3)
    response = pay(client, shop, card, 50001)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "insufficient_balance"
    assert stored(client, shop, card)["principal_fen"] == 50000
    assert_ledger_sound(hk, shop)


def test_s2_one_stored_value_payment_per_checkout(client, hk, shop):
    card = new_card(client, shop)
    recharge(client, shop, card, 100000)
    response = pay(client, shop, card, 1000, lines=[{"sku": "A", "unit_price_fen": 2000}],
                   extra=[{"method": "stored_value", "amount_fen": 1000, "pin": "123456"}])
    assert response.status_code == 422
    assert stored(client, shop, card)["principal_fen"] == 100000
    assert_ledger_sound(hk, shop)


def test_s3_a_new_card_spends_at_most_60_percent_of_the_load_on_its_first_day(client, hk, shop, monkeypatch):
    card = new_card(client, shop)
    recharge(client, shop, card, 100000)  # 1000 yuan + 100 bonus: cap 600 yuan today
    over = pay(client, shop, card, 60001)
    assert over.status_code == 409 and over.json["error"]["code"] == "new_card_cap"
    assert over.json["error"]["details"] == {"loaded_today_fen": 100000, "cap_fen": 60000,
                                             "spent_today_fen": 0, "available_fen": 60000}
    assert pay(client, shop, card, 40000).status_code == 201
    assert pay(client, shop, card, 20000).status_code == 201  # 60000 in all: exactly the cap
    one_more = pay(client, shop, card, 1)
    assert one_more.status_code == 409 and one_more.json["error"]["details"]["available_fen"] == 0
    assert stored(client, shop, card)["total_fen"] == 50000
    later(monkeypatch, days=1)  # the next local day (Asia/Shanghai), the cap is gone
    assert pay(client, shop, card, 50000).status_code == 201
    assert_ledger_sound(hk, shop)


def test_s3_the_cap_counts_every_load_of_the_first_day_and_not_later_ones(client, hk, shop, monkeypatch):
    card = new_card(client, shop)
    recharge(client, shop, card, 50000)
    recharge(client, shop, card, 50000)  # loaded today: 100000, cap 60000
    assert pay(client, shop, card, 60000).status_code == 201
    assert pay(client, shop, card, 1).json["error"]["code"] == "new_card_cap"
    later(monkeypatch, days=1)
    recharge(client, shop, card, 100000)  # a later day's recharge: not a new card any more
    assert pay(client, shop, card, 150000).status_code == 201
    assert_ledger_sound(hk, shop)


def test_s3_the_cap_is_on_the_principal_paid_in_the_bonus_waits_a_day(client, hk, monkeypatch):
    shop = shop_with(hk, {"new_card_cap_permille": 1000})
    card = new_card(client, shop)
    recharge(client, shop, card, 100000)  # + 10000 bonus
    over = pay(client, shop, card, 100001)
    assert over.status_code == 409 and over.json["error"]["details"]["cap_fen"] == 100000
    assert pay(client, shop, card, 100000).status_code == 201
    later(monkeypatch, days=1)
    assert pay(client, shop, card, 10000).json["payments"][0]["bonus_fen"] == 10000
    assert_ledger_sound(hk, shop)


def test_s3_a_same_day_replacement_does_not_lift_the_cap(client, hk, shop, monkeypatch):
    card = new_card(client, shop)
    recharge(client, shop, card, 100000)
    assert pay(client, shop, card, 40000).status_code == 201
    replaced = client.post(f"/api/v1/cards/{card}/replace", json={"new_number": "REPL0001"},
                           headers={**shop.headers("manager"), "Idempotency-Key": "replace-s3"})
    assert replaced.status_code == 201, replaced.json
    over = pay(client, shop, "REPL0001", 20001)  # 40000 already spent of the 60000 cap
    assert over.status_code == 409 and over.json["error"]["details"]["spent_today_fen"] == 40000
    assert pay(client, shop, "REPL0001", 20000).status_code == 201
    later(monkeypatch, days=1)
    assert pay(client, shop, "REPL0001", 40000).status_code == 201
    assert_ledger_sound(hk, shop)


def test_s3_a_merchant_may_cap_at_50_percent(client, hk):
    shop = shop_with(hk, {"new_card_cap_permille": 500})
    card = new_card(client, shop)
    recharge(client, shop, card, 100000)
    over = pay(client, shop, card, 50001)
    assert over.status_code == 409 and over.json["error"]["details"]["cap_fen"] == 50000
    assert pay(client, shop, card, 50000).status_code == 201
    assert_ledger_sound(hk, shop)


def test_s3_returned_goods_give_the_cap_back(client, hk, shop):
    card = new_card(client, shop)
    recharge(client, shop, card, 100000)
    receipt = pay(client, shop, card, 60000).json
    returned = post(client, shop, f"/checkouts/{receipt['checkout_id']}/returns",
                    {"lines": [{"line_no": 1, "quantity": 1}]})
    assert returned.status_code == 201, returned.json
    assert pay(client, shop, card, 60000).status_code == 201
    assert_ledger_sound(hk, shop)


def test_g3_a_full_return_restores_exactly_the_principal_and_bonus_spent(client, hk, shop, monkeypatch):
    card = new_card(client, shop)
    recharge(client, shop, card, 100000)  # principal 100000, bonus 10000
    later(monkeypatch, days=1)  # past the new-card day (S3)
    lines = [{"sku": "COAT", "unit_price_fen": 33333, "quantity": 3},
             {"sku": "SCARF", "unit_price_fen": 5001}]  # 105000 fen
    receipt = pay(client, shop, card, 105000, lines=lines)
    assert receipt.status_code == 201, receipt.json
    assert stored(client, shop, card) == {"principal_fen": 0, "bonus_fen": 5000, "pending_fen": 0,
                                          "total_fen": 5000}
    checkout_id = receipt.json["checkout_id"]
    for line_no, quantity in [(1, 1), (2, 1), (1, 2)]:  # in parts, in any order
        response = post(client, shop, f"/checkouts/{checkout_id}/returns",
                        {"lines": [{"line_no": line_no, "quantity": quantity}]})
        assert response.status_code == 201, response.json
    assert stored(client, shop, card) == {"principal_fen": 100000, "bonus_fen": 10000,
                                          "pending_fen": 0, "total_fen": 110000}
    assert merchant_balance(hk, shop, "redeemed", "stored_value_principal") == 0
    assert merchant_balance(hk, shop, "redeemed", "stored_value_bonus") == 0
    assert merchant_balance(hk, shop, "sales", "cny") == 0
    assert merchant_balance(hk, shop, "stored_value_sold", "cny") == -100000
    again = post(client, shop, f"/checkouts/{checkout_id}/returns", {"lines": [{"line_no": 2, "quantity": 1}]})
    assert again.status_code == 409  # once only
    assert_ledger_sound(hk, shop)


def test_s2_a_retried_checkout_pays_once(client, hk, shop):
    card = new_card(client, shop)
    recharge(client, shop, card, 100000)
    idem = key()
    first = pay(client, shop, card, 30000, idem=idem)
    retry = pay(client, shop, card, 30000, idem=idem)
    assert first.status_code == retry.status_code == 201 and retry.json == first.json
    assert stored(client, shop, card)["principal_fen"] == 70000
    assert_ledger_sound(hk, shop)
