"""PostgreSQL (issue 11 review): two checkouts on one card that queue on the card lock. The second one's
single statement (card FOR UPDATE OF cards + accounts + spend subqueries) waited for the lock,
then used the account rows and spend sums of its pre-wait snapshot: its receipt shows a stale
points balance and the cumulative-spend upgrade (C4) is missed."""
from __future__ import annotations

import threading
import time
import uuid

import pytest
from sqlalchemy import text

from core import ledger
from tests.api.test_checkout import member_card, tiers
from tests.support.factories import basic_document, make_merchant


@pytest.fixture
def shop(hk):
    document = basic_document(plugins=[{"id": "points", "settings": {}}], tiers=tiers(
        ("gold", 1000, None),
        ("diamond", 800, [{"kind": "cumulative_spend", "amount_fen": 300000, "period_days": 30}]),
    ))
    return make_merchant(hk, "并发店", document)


def checkout(app, shop, card, out, name):
    with app.test_client() as c:
        body = {"card_number": card, "lines": [{"sku": "A", "unit_price_fen": 100001}],
                "payments": [{"method": "cash", "amount_fen": 100001}]}
        r = c.post("/api/v1/checkout", json=body,
                   headers={**shop.headers("cashier"), "Idempotency-Key": uuid.uuid4().hex})
        out[name] = (r.status_code, r.json)


def test_queued_checkouts_on_one_card_see_each_others_balances_and_spend(app, client, hk, shop):
    if hk.db.dialect != "postgresql":
        pytest.skip("row locks")
    card = member_card(client, shop, tier="gold")
    out = {}
    checkout(app, shop, card, out, "first")
    assert out["first"][0] == 201, out
    blocker = hk.db.engine.connect()
    tx = blocker.begin()
    blocker.execute(text("SELECT id FROM cards WHERE number = :n FOR UPDATE"), {"n": card})
    threads = [threading.Thread(target=checkout, args=(app, shop, card, out, n)) for n in ("a", "b")]
    for t in threads:
        t.start()
        time.sleep(0.5)  # a's statement starts first, then b's; both wait for the blocker
    tx.rollback(); blocker.close()
    for t in threads:
        t.join()
    receipts = [out[n][1] for n in ("a", "b")]
    assert all(out[n][0] == 201 for n in ("a", "b")), out
    with hk.db.read() as s:
        balances = ledger.card_balances(s, s.execute(text("SELECT id FROM cards WHERE number=:n"), {"n": card}).scalar())
    assert max(r["balances"]["points"] for r in receipts) == balances["points"]
    assert "diamond" in [r["tier_after"] for r in receipts]  # 3 x 100,001 fen within 30 days
