"""S1 recharge over the API: minimum, bonus tiers, principal and bonus apart, idempotency."""
from __future__ import annotations

import pytest

from tests.support.factories import basic_document, make_merchant

from .helpers import (assert_ledger_sound, card_balances, key, merchant_balance, new_card, post,
                      recharge, shop_with, stored, tier)


@pytest.fixture
def shop(hk):
    return shop_with(hk)


def test_s1_a_recharge_below_the_500_yuan_minimum_is_refused_and_changes_nothing(client, hk, shop):
    card = new_card(client, shop)
    response = post(client, shop, f"/cards/{card}/recharge",
                    {"amount_fen": 49999, "payment": {"method": "cash"}})
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "below_minimum_recharge" and "500.00" in error["message"]
    assert error["details"] == [{"pointer": "/amount_fen", "message": "at least 50000 fen"}]
    assert stored(client, shop, card)["total_fen"] == 0
    assert merchant_balance(hk, shop, "cash_drawer", "cny") == 0
    exactly = recharge(client, shop, card, 50000)
    assert exactly["loaded"] == {"principal_fen": 50000, "bonus_fen": 0, "pending_fen": 0}
    assert_ledger_sound(hk, shop)


def test_s1_the_minimum_is_a_merchant_setting(client, hk):
    shop = shop_with(hk, {"min_recharge_fen": 10000, "bonus_tiers": []})
    card = new_card(client, shop)
    assert recharge(client, shop, card, 10000)["balances"]["principal_fen"] == 10000
    refused = post(client, shop, f"/cards/{card}/recharge", {"amount_fen": 9999, "payment": {"method": "cash"}})
    assert refused.status_code == 422 and refused.json["error"]["code"] == "below_minimum_recharge"
    assert_ledger_sound(hk, shop)


def test_s1_the_bonus_comes_from_the_highest_tier_reached_once(client, hk):
    shop = shop_with(hk, {"bonus_tiers": [{"threshold_fen": 100000, "bonus_fen": 10000},
                                          {"threshold_fen": 200000, "bonus_fen": 30000}]})
    card = new_card(client, shop)
    assert recharge(client, shop, card, 99999)["loaded"]["bonus_fen"] == 0
    assert recharge(client, shop, card, 100000)["loaded"]["bonus_fen"] == 10000  # 充1000送100
    assert recharge(client, shop, card, 199999)["loaded"]["bonus_fen"] == 10000
    top = recharge(client, shop, card, 500000)  # the highest tier, not 2 x or a sum of tiers
    assert top["loaded"] == {"principal_fen": 500000, "bonus_fen": 30000, "pending_fen": 0}
    assert top["balances"] == {"principal_fen": 899998, "bonus_fen": 50000, "pending_fen": 0,
                               "total_fen": 949998}
    assert_ledger_sound(hk, shop)


def test_s1_principal_and_bonus_are_kept_apart_in_the_ledger(client, hk, shop):
    card = new_card(client, shop)
    body = recharge(client, shop, card, 100000)  # default tiers: 充1000送100
    assert body["status"] == "loaded"
    assert body["payment"] == {"method": "cash", "amount_fen": 100000}
    assert body["balances"] == {"principal_fen": 100000, "bonus_fen": 10000, "pending_fen": 0,
                                "total_fen": 110000}
    assert card_balances(client, shop, card) == {"stored_value_principal": 100000,
                                                 "stored_value_bonus": 10000}
    assert merchant_balance(hk, shop, "issued", "stored_value_principal") == -100000
    assert merchant_balance(hk, shop, "issued", "stored_value_bonus") == -10000
    # The money received: in the till, owed to the member as stored value (liability).
    assert merchant_balance(hk, shop, "cash_drawer", "cny") == 100000
    assert merchant_balance(hk, shop, "stored_value_sold", "cny") == -100000
    summary = client.get("/api/v1/members?card_number=" + card, headers=shop.headers()).json
    assert summary["total"] == 1
    assert_ledger_sound(hk, shop)


def test_s1_external_payments_land_in_their_channel(client, hk, shop):
    card = new_card(client, shop)
    body = recharge(client, shop, card, 60000, method="external", channel="wechat", reference="WX42")
    assert body["payment"] == {"method": "external", "amount_fen": 60000, "channel": "wechat",
                               "reference": "WX42"}
    assert merchant_balance(hk, shop, "external_wechat", "cny") == 60000
    assert merchant_balance(hk, shop, "cash_drawer", "cny") == 0
    assert_ledger_sound(hk, shop)


@pytest.mark.parametrize(("body", "pointers"), [
    ({"amount_fen": 60000.0, "payment": {"method": "cash"}}, ["/amount_fen"]),  # no floats
    ({"amount_fen": "60000", "payment": {"method": "cash"}}, ["/amount_fen"]),
    ({"amount_fen": 60000}, ["/payment"]),
    ({"amount_fen": 60000, "payment": {"method": "coupon"}}, ["/payment/method"]),
    ({"amount_fen": 60000, "payment": {"method": "external"}}, ["/payment/channel"]),
    ({"amount_fen": 60000, "payment": {"method": "cash", "channel": "wechat"}}, ["/payment/channel"]),
    ({"amount_fen": 60000, "payment": {"method": "cheque"}}, ["/payment/reference"]),
    ({"amount_fen": 60000, "payment": {"method": "cash"}, "bonus_fen": 1}, ["/bonus_fen"]),
    ({"amount_fen": -5, "payment": {"method": "cash", "tip": 1}}, ["/amount_fen", "/payment/tip"]),
])
def test_s1_bad_recharges_say_what_is_wrong_and_change_nothing(client, hk, shop, body, pointers):
    card = new_card(client, shop)
    response = post(client, shop, f"/cards/{card}/recharge", body)
    assert response.status_code == 422, response.json
    assert sorted(p["pointer"] for p in response.json["error"]["details"]) == sorted(pointers)
    assert stored(client, shop, card)["total_fen"] == 0
    assert merchant_balance(hk, shop, "cash_drawer", "cny") == 0
    assert_ledger_sound(hk, shop)


def test_s1_only_a_usable_card_can_be_recharged(client, hk, shop):
    card = new_card(client, shop)
    assert client.post(f"/api/v1/cards/{card}/report-lost", headers=shop.headers()).status_code == 200
    response = post(client, shop, f"/cards/{card}/recharge", {"amount_fen": 60000, "payment": {"method": "cash"}})
    assert response.status_code == 409 and response.json["error"]["code"] == "card_not_usable"
    unknown = post(client, shop, "/cards/NOSUCHCARD/recharge", {"amount_fen": 60000, "payment": {"method": "cash"}})
    assert unknown.status_code == 404
    assert_ledger_sound(hk, shop)


def test_c4_a_recharge_meets_the_stored_amount_upgrade(client, hk, shop):
    card = new_card(client, shop)
    assert recharge(client, shop, card, 150000)["tier"] == "regular"
    # Bonus does not count: 150000 + 10000 bonus is not 200000 of principal.
    assert recharge(client, shop, card, 50000)["tier"] == "gold"  # principal 200000 (C4)
    assert tier(client, shop, card) == "gold"
    assert_ledger_sound(hk, shop)


def test_s1_a_retried_recharge_is_replayed_and_a_reused_key_is_refused(client, hk, shop):
    card = new_card(client, shop)
    body = {"amount_fen": 100000, "payment": {"method": "cash"}}
    first = post(client, shop, f"/cards/{card}/recharge", body, idem="recharge-1")
    retry = post(client, shop, f"/cards/{card}/recharge", body, idem="recharge-1")
    assert first.status_code == retry.status_code == 201
    assert retry.json == first.json and retry.headers.get("Idempotent-Replayed") == "true"
    other = post(client, shop, f"/cards/{card}/recharge", {**body, "amount_fen": 200000}, idem="recharge-1")
    assert other.status_code == 409 and other.json["error"]["code"] == "idempotency_key_reused"
    assert stored(client, shop, card) == {"principal_fen": 100000, "bonus_fen": 10000,
                                          "pending_fen": 0, "total_fen": 110000}
    assert merchant_balance(hk, shop, "cash_drawer", "cny") == 100000
    assert_ledger_sound(hk, shop)


def test_s1_a_recharge_without_an_idempotency_key_is_refused(client, hk, shop):
    card = new_card(client, shop)
    response = client.post(f"/api/v1/cards/{card}/recharge",
                           json={"amount_fen": 100000, "payment": {"method": "cash"}},
                           headers=shop.headers())
    assert response.status_code == 428
    assert stored(client, shop, card)["total_fen"] == 0
    assert_ledger_sound(hk, shop)


def test_every_endpoint_answers_404_plugin_not_enabled_without_the_plugin(client, hk):
    shop = make_merchant(hk, "无储值店", basic_document())
    card = new_card(client, shop)
    for url in [f"/cards/{card}/recharge", f"/cards/{card}/purchase-fee", f"/cards/{card}/withdraw",
                f"/cards/{card}/refund", f"/cards/{card}/cheques/1/clear", f"/cards/{card}/cheques/1/bounce"]:
        response = post(client, shop, url, {"amount_fen": 100000, "payment": {"method": "cash"}})
        assert response.status_code == 404, url
        assert response.json["error"]["code"] == "plugin_not_enabled"
    read = client.get(f"/api/v1/cards/{card}/stored-value", headers=shop.headers())
    assert read.status_code == 404 and read.json["error"]["code"] == "plugin_not_enabled"
    # The payment method is not offered either (S2 is the plugin's).
    checkout = client.post("/api/v1/checkout", json={
        "card_number": card, "lines": [{"sku": "A", "unit_price_fen": 100}],
        "payments": [{"method": "stored_value", "amount_fen": 100, "pin": "123456"}]},
        headers={**shop.headers(), "Idempotency-Key": key()})
    assert checkout.status_code == 422
    assert_ledger_sound(hk, shop)


def test_s6_the_summary_flags_a_low_balance(client, hk):
    shop = shop_with(hk, {"min_recharge_fen": 1000, "bonus_tiers": [], "low_balance_reminder_fen": 5000})
    card = new_card(client, shop)
    assert client.get(f"/api/v1/cards/{card}/stored-value", headers=shop.headers()).json["low_balance"] is True
    recharge(client, shop, card, 5000)
    body = client.get(f"/api/v1/cards/{card}/stored-value", headers=shop.headers()).json
    assert body["low_balance"] is False and body["pending_cheques"] == []
    member = client.get("/api/v1/members?card_number=" + card, headers=shop.headers()).json["items"][0]
    detail = client.get(f"/api/v1/members/{member['id']}", headers=shop.headers()).json
    assert detail["summary"]["stored_value"] == {"principal_fen": 5000, "bonus_fen": 0,
                                                 "pending_fen": 0, "total_fen": 5000}
    assert_ledger_sound(hk, shop)
