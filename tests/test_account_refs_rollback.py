"""Account refs across savepoints and rollbacks (issue 11 review): the Database-wide cache of
merchant account ids only learns ids of committed rows, a savepoint release keeps the
session's refs, and a ref whose row a rolled-back savepoint created names a new account again."""
from __future__ import annotations

import pytest

from core import cards, config_versions, ledger, tenancy
from core.ledger import InsufficientBalance, Posting


@pytest.fixture
def setup(hk):
    with hk.db.write() as session:
        merchant = tenancy.create_merchant(session, "回滚店")
        config = config_versions.published_config(session, merchant.id, hk.plugins)
        card = cards.issue_card(session, config, merchant.id, {"number": "RB01"})
        other = cards.issue_card(session, config, merchant.id, {"number": "RB02"})
        return {"merchant": merchant.id, "card": card.id, "other": other.id}


def test_a_rolled_back_merchant_account_id_is_never_shared(hk, setup):
    m = setup["merchant"]
    with pytest.raises(RuntimeError):
        with hk.db.write() as s:
            card = ledger.card_account(s, m, setup["card"], "points")
            bonus = ledger.merchant_account(s, m, "probe_bonus", "points")
            ledger.post(s, m, "earn", [Posting(card, 10), Posting(bonus, -10)])  # atomic: savepoint
            again = ledger.merchant_account(s, m, "probe_bonus", "points")
            assert again is bonus  # the savepoint's release kept the session's refs
            raise RuntimeError("the request fails later; whole transaction rolled back")
    assert ("probe_bonus" not in
            {key[3] for key in hk.db.shared.get("merchant_account_ids", {})})
    with hk.db.write() as s:
        # accounts created after the rollback (SQLite reuses rolled-back rowids; PG does not)
        src = ledger.merchant_account(s, m, "issued", "points")
        other = ledger.card_account(s, m, setup["other"], "points")
        ledger.post(s, m, "earn", [Posting(src, -7), Posting(other, 7)])
        card = ledger.card_account(s, m, setup["card"], "points")
        ledger.post(s, m, "earn", [Posting(src, -10), Posting(card, 10)])
    with hk.db.write() as s:  # RB01 spends 5 points into the merchant's probe_bonus account
        card = ledger.card_account(s, m, setup["card"], "points")
        bonus = ledger.merchant_account(s, m, "probe_bonus", "points")
        assert bonus.pending  # the rolled-back row is not remembered: created anew
        ledger.post(s, m, "spend", [Posting(card, -5), Posting(bonus, 5)])
    with hk.db.read() as s:
        problems = ledger.verify(s, m)
        assert ledger.card_balances(s, setup["other"]) == {"points": 7}
        assert problems == []


def test_a_savepoint_release_keeps_one_ref_per_account(hk):
    with hk.db.write() as s:
        m = tenancy.create_merchant(s, "双引用店").id
        config = config_versions.published_config(s, m, hk.plugins)
        card = cards.issue_card(s, config, m, {"number": "TWO01"}).id
    with hk.db.write() as s:
        a = ledger.card_account(s, m, card, "points")            # new: held, balance 0
        issued = ledger.merchant_account(s, m, "issued", "points")
        ledger.post(s, m, "earn", [Posting(a, 10), Posting(issued, -10)])  # atomic (savepoint)
        b = ledger.card_account(s, m, card, "points")
        assert a is b
        ledger.post(s, m, "earn", [Posting(b, 5), Posting(ledger.merchant_account(s, m, "issued", "points"), -5)])
        ledger.post(s, m, "earn", [Posting(a, 1), Posting(ledger.merchant_account(s, m, "issued", "points"), -1)],
                    atomic=False)
        shown = a.balance
        actual = ledger.card_balances(s, card)["points"]
    assert shown == actual


def test_a_ref_whose_row_a_failed_post_rolled_back_names_a_new_account_again(hk):
    with hk.db.write() as s:
        m = tenancy.create_merchant(s, "失败店").id
        config = config_versions.published_config(s, m, hk.plugins)
        card = cards.issue_card(s, config, m, {"number": "FAIL01"}).id
    with hk.db.write() as s:
        points = ledger.card_account(s, m, card, "points")
        redeemed = ledger.merchant_account(s, m, "redeemed_probe", "points")
        with pytest.raises(InsufficientBalance):
            ledger.post(s, m, "spend", [Posting(points, -5), Posting(redeemed, 5)])
        assert points.pending and redeemed.pending  # their rows went with the savepoint
        issued = ledger.merchant_account(s, m, "issued", "points")
        ledger.post(s, m, "earn", [Posting(points, 10), Posting(issued, -10)])
    with hk.db.read() as s:
        assert ledger.card_balances(s, card) == {"points": 10}
        assert ledger.verify(s, m) == []
