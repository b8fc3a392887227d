"""S4: a recharge paid by cheque is pending until the cheque clears; a bounce reverses it."""
from __future__ import annotations

import pytest

from .helpers import (assert_ledger_sound, merchant_balance, new_card, pay, post, recharge, shop_with,
                      stored, tier)


@pytest.fixture
def shop(hk):
    return shop_with(hk)


def cheque(client, shop, card, amount=200000, number="CHQ-0001"):
    body = recharge(client, shop, card, amount, method="cheque", reference=number)
    assert body["status"] == "pending"
    return body


def test_s4_a_cheque_recharge_is_pending_cannot_be_spent_and_gives_no_discount(client, hk, shop):
    card = new_card(client, shop)
    body = cheque(client, shop, card)  # 2000 yuan: would make the card gold (C4) if it counted
    assert body["loaded"] == {"principal_fen": 0, "bonus_fen": 0, "pending_fen": 210000}
    assert body["balances"] == {"principal_fen": 0, "bonus_fen": 0, "pending_fen": 210000, "total_fen": 0}
    assert body["payment"] == {"method": "cheque", "amount_fen": 200000, "reference": "CHQ-0001"}
    assert body["tier"] == "regular"  # no member discount from money not received (S4)
    refused = pay(client, shop, card, 100)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "insufficient_balance"
    assert "cheque" in refused.json["error"]["message"]
    listed = client.get(f"/api/v1/cards/{card}/stored-value", headers=shop.headers()).json
    assert [(c["transaction_id"], c["amount_fen"], c["bonus_fen"], c["reference"])
            for c in listed["pending_cheques"]] == [(body["transaction_id"], 200000, 10000, "CHQ-0001")]
    assert merchant_balance(hk, shop, "cheques_receivable", "cny") == 200000
    assert merchant_balance(hk, shop, "cash_drawer", "cny") == 0
    assert_ledger_sound(hk, shop)


def test_s4_clearing_makes_it_spendable_once(client, hk, shop):
    card = new_card(client, shop)
    transaction_id = cheque(client, shop, card)["transaction_id"]
    url = f"/cards/{card}/cheques/{transaction_id}/clear"
    assert post(client, shop, url, {}, role="cashier").status_code == 403  # managers clear cheques
    cleared = post(client, shop, url, {}, role="manager", idem="clear-1")
    assert cleared.status_code == 200, cleared.json
    assert cleared.json["status"] == "cleared"
    assert cleared.json["loaded"] == {"principal_fen": 200000, "bonus_fen": 10000, "pending_fen": -210000}
    assert cleared.json["balances"] == {"principal_fen": 200000, "bonus_fen": 10000, "pending_fen": 0,
                                        "total_fen": 210000}
    assert cleared.json["tier"] == "gold"  # the stored amount counts now (C4)
    retry = post(client, shop, url, {}, role="manager", idem="clear-1")
    assert retry.status_code == 200 and retry.json == cleared.json
    again = post(client, shop, url, {}, role="manager")
    assert again.status_code == 409 and again.json["error"]["code"] == "cheque_already_settled"
    bounce = post(client, shop, f"/cards/{card}/cheques/{transaction_id}/bounce", {}, role="owner")
    assert bounce.status_code == 409 and bounce.json["error"]["code"] == "cheque_already_settled"
    assert merchant_balance(hk, shop, "cheques_receivable", "cny") == 0
    assert merchant_balance(hk, shop, "external_cheque", "cny") == 200000
    assert client.get(f"/api/v1/cards/{card}/stored-value",
                      headers=shop.headers()).json["pending_cheques"] == []
    # The next day (no S3 cap) it pays like any balance, at the gold price.
    assert tier(client, shop, card) == "gold"
    assert_ledger_sound(hk, shop)


def test_s4_a_bounced_cheque_is_reversed_and_cannot_be_cleared(client, hk, shop):
    card = new_card(client, shop)
    recharge(client, shop, card, 50000)
    transaction_id = cheque(client, shop, card, amount=100000)["transaction_id"]
    bounced = post(client, shop, f"/cards/{card}/cheques/{transaction_id}/bounce", {}, role="manager")
    assert bounced.status_code == 200, bounced.json
    assert bounced.json["status"] == "bounced"
    assert bounced.json["balances"] == {"principal_fen": 50000, "bonus_fen": 0, "pending_fen": 0,
                                        "total_fen": 50000}
    assert merchant_balance(hk, shop, "cheques_receivable", "cny") == 0
    assert merchant_balance(hk, shop, "stored_value_sold", "cny") == -50000  # the cash one only
    assert merchant_balance(hk, shop, "issued", "stored_value_pending") == 0
    clear = post(client, shop, f"/cards/{card}/cheques/{transaction_id}/clear", {}, role="manager")
    assert clear.status_code == 409 and clear.json["error"]["code"] == "cheque_already_settled"
    assert stored(client, shop, card)["total_fen"] == 50000
    assert_ledger_sound(hk, shop)


def test_s4_two_pending_cheques_are_settled_one_by_one(client, hk, shop):
    card = new_card(client, shop)
    first = cheque(client, shop, card, amount=60000, number="A1")["transaction_id"]
    second = cheque(client, shop, card, amount=100000, number="B2")["transaction_id"]
    post(client, shop, f"/cards/{card}/cheques/{second}/clear", {}, role="manager")
    assert stored(client, shop, card) == {"principal_fen": 100000, "bonus_fen": 10000,
                                          "pending_fen": 60000, "total_fen": 110000}
    post(client, shop, f"/cards/{card}/cheques/{first}/bounce", {}, role="manager")
    assert stored(client, shop, card)["pending_fen"] == 0
    assert_ledger_sound(hk, shop)


def test_s4_only_a_cheque_recharge_of_this_card_can_be_settled(client, hk, shop):
    card, other = new_card(client, shop), new_card(client, shop)
    cash = recharge(client, shop, card, 60000)["transaction_id"]
    theirs = cheque(client, shop, other)["transaction_id"]
    for transaction_id in (cash, theirs, 999999):
        response = post(client, shop, f"/cards/{card}/cheques/{transaction_id}/clear", {}, role="manager")
        assert response.status_code == 404, transaction_id
    assert stored(client, shop, other)["pending_fen"] == 210000
    assert_ledger_sound(hk, shop)


def test_s4_a_pending_cheque_follows_a_replaced_card(client, hk, shop):
    card = new_card(client, shop)
    transaction_id = cheque(client, shop, card)["transaction_id"]
    replaced = post(client, shop, f"/cards/{card}/replace", {"new_number": "REPL0001"})
    assert replaced.status_code == 201, replaced.json
    old = post(client, shop, f"/cards/{card}/cheques/{transaction_id}/clear", {}, role="manager")
    assert old.status_code == 404
    new = post(client, shop, f"/cards/REPL0001/cheques/{transaction_id}/clear", {}, role="manager")
    assert new.status_code == 200, new.json
    assert new.json["balances"]["principal_fen"] == 200000 and new.json["balances"]["pending_fen"] == 0
    assert_ledger_sound(hk, shop)
