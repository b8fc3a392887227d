"""A partial return of a stored-value payment that took both principal and bonus: each of its
postings on the sales account is rounded down on its own, so the refund (the return's
refund_fen and sales_daily's refunds_fen, folded or not) is their sum, to the fen the ledger
moved, not the rounded share of the whole payment (review of issue 12)."""
from __future__ import annotations

from core import rollups
from tests.support.clock import freeze
from tests.support.money_world import ledger_entries, ledger_sum

from .helpers import new_card, pay, post, recharge, shop_with

DAY = "from=2026-11-02&to=2026-11-02"


def test_a_partial_return_refunds_what_the_principal_and_bonus_postings_gave_back(client, hk, monkeypatch):
    freeze(monkeypatch, "2026-11-02 10:00")
    shop = shop_with(hk, {"spend_order": "bonus_first"})
    card = new_card(client, shop)
    recharge(client, shop, card, 100000)  # + 10000 bonus
    # 10001 due: 10000 from bonus, 1 from principal. Returning the 30.00 line gives back
    # floor(10000 x 3000 / 10001) + floor(1 x 3000 / 10001) = 2999, not floor(10001 x ...) = 3000.
    sale = pay(client, shop, card, 10001, lines=[{"sku": "A", "unit_price_fen": 7001},
                                                 {"sku": "B", "unit_price_fen": 3000}])
    assert sale.status_code == 201, sale.json
    url = f"/checkouts/{sale.json['checkout_id']}/returns"
    first = post(client, shop, url, {"lines": [{"line_no": 2, "quantity": 1}]}, role="manager")
    assert first.status_code == 201, first.json
    assert first.json["refund_fen"] == sum(r["amount"] for r in first.json["refunds"]) == 2999
    for state in ("tail", "folded"):
        entries = ledger_entries(hk, shop.id)
        body = client.get(f"/api/v1/reports/sales_daily?{DAY}", headers=shop.headers()).json
        assert body["totals"]["refunds_fen"] == ledger_sum(entries, type="return", purpose="sales") == 2999, state
        rollups.fold(hk.db)
    rest = post(client, shop, url, {"lines": [{"line_no": 1, "quantity": 1}]}, role="manager")
    assert rest.status_code == 201, rest.json
    assert first.json["refund_fen"] + rest.json["refund_fen"] == 10001  # the last return gives the rest
    entries = ledger_entries(hk, shop.id)
    body = client.get(f"/api/v1/reports/sales_daily?{DAY}", headers=shop.headers()).json
    assert body["totals"]["refunds_fen"] == ledger_sum(entries, type="return", purpose="sales") == 10001
    assert body["totals"]["net_fen"] == 0
