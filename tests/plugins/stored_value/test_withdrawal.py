"""S1: no cash out of stored value unless the merchant allows it; then principal only."""
from __future__ import annotations

from .helpers import (PIN, WRONG_PIN, assert_ledger_sound, merchant_balance, new_card, post, recharge,
                      shop_with, stored)

CASH = {"method": "cash"}


def test_s1_withdrawal_is_off_by_default(client, hk):
    shop = shop_with(hk)
    card = new_card(client, shop)
    recharge(client, shop, card, 100000)
    response = post(client, shop, f"/cards/{card}/withdraw", {"pin": PIN, "payment": CASH})
    assert response.status_code == 403 and response.json["error"]["code"] == "withdrawal_disabled"
    refund = post(client, shop, f"/cards/{card}/refund", {"pin": PIN, "payment": CASH})
    assert refund.status_code == 403 and refund.json["error"]["code"] == "refund_disabled"
    assert stored(client, shop, card)["total_fen"] == 110000
    assert merchant_balance(hk, shop, "cash_drawer", "cny") == 100000
    assert_ledger_sound(hk, shop)


def test_s1_an_allowed_withdrawal_pays_out_principal_only_and_the_bonus_lapses(client, hk):
    shop = shop_with(hk, {"allow_withdrawal": True})
    card = new_card(client, shop)
    recharge(client, shop, card, 100000)  # + 10000 bonus
    assert post(client, shop, f"/cards/{card}/withdraw", {"pin": PIN, "payment": CASH},
                role="cashier").status_code == 403  # a manager pays money out
    response = post(client, shop, f"/cards/{card}/withdraw", {"pin": PIN, "payment": CASH}, idem="w-1")
    assert response.status_code == 201, response.json
    assert response.json["paid_out_fen"] == 100000 and response.json["bonus_forfeited_fen"] == 10000
    assert response.json["balances"]["total_fen"] == 0
    retry = post(client, shop, f"/cards/{card}/withdraw", {"pin": PIN, "payment": CASH}, idem="w-1")
    assert retry.status_code == 201 and retry.json == response.json  # idempotent: paid once
    assert merchant_balance(hk, shop, "cash_drawer", "cny") == 0
    assert merchant_balance(hk, shop, "stored_value_sold", "cny") == 0
    assert merchant_balance(hk, shop, "forfeited", "stored_value_bonus") == 10000
    empty = post(client, shop, f"/cards/{card}/withdraw", {"pin": PIN, "payment": CASH})
    assert empty.status_code == 409 and empty.json["error"]["code"] == "insufficient_balance"
    assert_ledger_sound(hk, shop)


def test_s1_a_partial_withdrawal_forfeits_the_bonus_in_proportion(client, hk):
    shop = shop_with(hk, {"allow_withdrawal": True})
    card = new_card(client, shop)
    recharge(client, shop, card, 100000)
    response = post(client, shop, f"/cards/{card}/withdraw",
                    {"amount_fen": 33333, "pin": PIN, "payment": {"method": "external", "channel": "wechat"}})
    assert response.status_code == 201, response.json
    assert response.json["bonus_forfeited_fen"] == 3334  # 33.333 % of 10000, rounded up
    assert stored(client, shop, card) == {"principal_fen": 66667, "bonus_fen": 6666, "pending_fen": 0,
                                          "total_fen": 73333}
    too_much = post(client, shop, f"/cards/{card}/withdraw", {"amount_fen": 66668, "pin": PIN, "payment": CASH})
    assert too_much.status_code == 409 and too_much.json["error"]["code"] == "insufficient_balance"
    assert merchant_balance(hk, shop, "external_wechat", "cny") == -33333
    assert_ledger_sound(hk, shop)


def test_s1_c6_a_withdrawal_needs_the_holders_pin(client, hk):
    shop = shop_with(hk, {"allow_withdrawal": True})
    card = new_card(client, shop)
    recharge(client, shop, card, 100000)
    wrong = post(client, shop, f"/cards/{card}/withdraw", {"pin": WRONG_PIN, "payment": CASH})
    assert wrong.status_code == 403 and wrong.json["error"]["code"] == "pin_not_accepted"
    missing = post(client, shop, f"/cards/{card}/withdraw", {"payment": CASH})
    assert missing.status_code == 422 and missing.json["error"]["details"][0]["pointer"] == "/pin"
    assert stored(client, shop, card)["total_fen"] == 110000
    assert_ledger_sound(hk, shop)


def test_s1_an_allowed_refund_returns_the_card_principal_only(client, hk):
    shop = shop_with(hk, {"allow_refund": True})
    card = new_card(client, shop)
    recharge(client, shop, card, 100000)
    cheque = recharge(client, shop, card, 50000, method="cheque", reference="C-9")
    pending = post(client, shop, f"/cards/{card}/refund", {"pin": PIN, "payment": CASH})
    assert pending.status_code == 409 and pending.json["error"]["code"] == "cheque_pending"
    post(client, shop, f"/cards/{card}/cheques/{cheque['transaction_id']}/bounce", {})
    response = post(client, shop, f"/cards/{card}/refund", {"pin": PIN, "payment": CASH})
    assert response.status_code == 201, response.json
    assert (response.json["paid_out_fen"], response.json["bonus_forfeited_fen"]) == (100000, 10000)
    again = post(client, shop, f"/cards/{card}/refund", {"pin": PIN, "payment": CASH})
    assert again.status_code == 409 and again.json["error"]["code"] == "nothing_to_refund"
    assert_ledger_sound(hk, shop)
