"""Tenant isolation of the stored-value routes: another merchant's card or cheque is 404
(or, on a route given a PIN, the wrong-PIN answer: C6)."""
from __future__ import annotations

import re

from .helpers import PIN, assert_ledger_sound, new_card, post, recharge, shop_with, stored


def test_every_stored_value_route_answers_404_for_another_merchants_card_or_cheque(app, client, hk):
    a = shop_with(hk, {"allow_withdrawal": True, "allow_refund": True}, name="甲储值店")
    b = shop_with(hk, {"allow_withdrawal": True, "allow_refund": True}, name="乙储值店")
    a_card = new_card(client, a, kind="purchase")
    a_cheque = recharge(client, a, a_card, 100000, method="cheque", reference="A-1")["transaction_id"]
    recharge(client, a, a_card, 100000)
    b_card = new_card(client, b, kind="purchase")
    bodies = {"rechargeStoredValue": {"amount_fen": 100000, "payment": {"method": "cash"}},
              "payPurchaseCardFee": {"payment": {"method": "cash"}},
              "withdrawStoredValue": {"pin": PIN, "payment": {"method": "cash"}},
              "refundStoredValue": {"pin": PIN, "payment": {"method": "cash"}}}
    checked = set()
    for rule in app.url_map.iter_rules():
        endpoint = rule.endpoint.removeprefix("api.")
        operation = next((o for o in hk.operations if o.operation_id == endpoint), None)
        if operation is None or operation.plugin != "stored_value":
            continue
        for card in (a_card, b_card):
            if card == b_card and "transaction_id" not in rule.arguments:
                continue  # B's own card with A's cheque id is the interesting case
            url = re.sub(r"<(?:\w+:)?card_number>", card, rule.rule)
            url = re.sub(r"<(?:\w+:)?transaction_id>", str(a_cheque), url)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                response = client.open(url, method=method, json=bodies.get(endpoint, {}),
                                       headers={**b.headers(), "Idempotency-Key": f"iso-{endpoint}-{card}"})
                expected = (403, "pin_not_accepted") if endpoint in bodies and "pin" in bodies[endpoint] \
                    else (404, "not_found")  # given a PIN, an unknown card is a wrong PIN (C6)
                assert (response.status_code, response.json["error"]["code"]) == expected, (
                    method, url, response.json)
                checked.add(endpoint)
    assert checked == {"getStoredValue", "rechargeStoredValue", "clearStoredValueCheque",
                       "bounceStoredValueCheque", "payPurchaseCardFee", "withdrawStoredValue",
                       "refundStoredValue"}
    assert stored(client, a, a_card) == {"principal_fen": 100000, "bonus_fen": 10000,
                                         "pending_fen": 110000, "total_fen": 110000}
    assert post(client, a, f"/cards/{a_card}/purchase-fee", {"payment": {"method": "cash"}}).status_code == 201
    assert_ledger_sound(hk, a)
    assert_ledger_sound(hk, b)
