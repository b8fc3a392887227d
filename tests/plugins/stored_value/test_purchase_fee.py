"""C3: a purchase card (购买型, earns no points: P3) pays a card fee, once; it loads nothing."""
from __future__ import annotations

from .helpers import assert_ledger_sound, card_balances, merchant_balance, new_card, post, shop_with


def test_c3_a_purchase_card_pays_its_fee_once_and_gets_no_balance(client, hk):
    shop = shop_with(hk)
    card = new_card(client, shop, kind="purchase")
    first = post(client, shop, f"/cards/{card}/purchase-fee", {"payment": {"method": "cash"}}, idem="fee-1")
    assert first.status_code == 201, first.json
    assert first.json["fee_fen"] == 20000 and first.json["card_kind"] == "purchase"  # 200 yuan
    assert first.json["balances"]["total_fen"] == 0 and card_balances(client, shop, card) == {}
    retry = post(client, shop, f"/cards/{card}/purchase-fee", {"payment": {"method": "cash"}}, idem="fee-1")
    assert retry.status_code == 201 and retry.json == first.json
    again = post(client, shop, f"/cards/{card}/purchase-fee",
                 {"payment": {"method": "external", "channel": "alipay"}})
    assert again.status_code == 409 and again.json["error"]["code"] == "purchase_fee_already_paid"
    assert merchant_balance(hk, shop, "cash_drawer", "cny") == 20000
    assert merchant_balance(hk, shop, "card_fees", "cny") == -20000
    assert merchant_balance(hk, shop, "external_alipay", "cny") == 0
    assert_ledger_sound(hk, shop)


def test_c3_the_fee_is_a_setting_and_only_purchase_cards_pay_it(client, hk):
    shop = shop_with(hk, {"purchase_card_fee_fen": 16900})
    standard = new_card(client, shop, kind="standard")
    refused = post(client, shop, f"/cards/{standard}/purchase-fee", {"payment": {"method": "cash"}})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "not_a_purchase_card"
    card = new_card(client, shop, kind="purchase")
    bad = post(client, shop, f"/cards/{card}/purchase-fee", {"payment": {"method": "cheque", "reference": "1"}})
    assert bad.status_code == 422 and bad.json["error"]["details"][0]["pointer"] == "/payment/method"
    paid = post(client, shop, f"/cards/{card}/purchase-fee",
                {"payment": {"method": "external", "channel": "unionpay", "reference": "POS-7"}})
    assert paid.status_code == 201 and paid.json["fee_fen"] == 16900
    assert paid.json["payment"] == {"method": "external", "amount_fen": 16900, "channel": "unionpay",
                                    "reference": "POS-7"}
    assert merchant_balance(hk, shop, "external_unionpay", "cny") == 16900
    assert merchant_balance(hk, shop, "cash_drawer", "cny") == 0
    assert_ledger_sound(hk, shop)
