"""On PostgreSQL (issue 11 review) the checkout reads card + accounts in one statement with FOR UPDATE OF
cards. A checkout that waited for the card lock gets the locked card row re-checked, but the
joined account rows (and spend sums) come from the snapshot taken before the wait: stale
balances marked as 'held', and a later credit reports (and the receipt stores) a wrong balance."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import pytest

from core import cards, checkout_card, config_versions, ledger, tenancy
from core.accounts import card_balances_known
from core.ledger import Posting

NOW = datetime(2026, 6, 1, 4, 0, tzinfo=timezone.utc)


@pytest.fixture
def setup(hk):
    with hk.db.write() as session:
        merchant = tenancy.create_merchant(session, "锁店")
        config = config_versions.published_config(session, merchant.id, hk.plugins)
        card = cards.issue_card(session, config, merchant.id, {"number": "LOCK01"})
        card.status = "active"
        m = merchant.id
        acc = ledger.card_account(session, m, card.id, "points")
        ledger.post(session, m, "earn", [Posting(acc, 100), Posting(ledger.merchant_account(session, m, "issued", "points"), -100)], now=NOW)
        return {"merchant": m, "card": card.id}


def test_a_checkout_that_waited_for_the_card_reads_its_accounts_after_the_wait(hk, setup):
    m = setup["merchant"]
    first_holds, result = threading.Event(), {}

    def first():
        with hk.db.write() as s:
            config = config_versions.published_config(s, m, hk.plugins)
            checkout_card.card_for_checkout(s, config, m, "LOCK01", NOW, None)  # holds the card
            first_holds.set()
            time.sleep(1.0)
            acc = ledger.card_account(s, m, setup["card"], "points")
            ledger.post(s, m, "earn", [Posting(acc, 50), Posting(ledger.merchant_account(s, m, "issued", "points"), -50)],
                        now=NOW, atomic=False, shared_rows_last=True)

    def second():
        first_holds.wait()
        with hk.db.write() as s:
            config = config_versions.published_config(s, m, hk.plugins)
            checkout_card.card_for_checkout(s, config, m, "LOCK01", NOW, None)  # waits for the lock
            result["seen"] = dict(card_balances_known(s, setup["card"]))
            acc = ledger.card_account(s, m, setup["card"], "points")
            ledger.post(s, m, "earn", [Posting(acc, 30), Posting(ledger.merchant_account(s, m, "issued", "points"), -30)],
                        now=NOW, atomic=False, shared_rows_last=True)
            result["after_credit_ref"] = acc.balance

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads: t.start()
    for t in threads: t.join()
    with hk.db.read() as s:
        actual = ledger.card_balances(s, setup["card"])
    assert result["after_credit_ref"] == actual["points"]
