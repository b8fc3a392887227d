"""The double-entry ledger: balanced, integer, guarded, lots spent soonest-expiry first."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from core import cards, config_versions, ledger, tenancy
from core.errors import Conflict, Invalid
from core.ledger import InsufficientBalance, Posting


@pytest.fixture
def setup(hk):
    with hk.db.write() as session:
        merchant = tenancy.create_merchant(session, "账本店")
        other = tenancy.create_merchant(session, "别家账本")
        config = config_versions.published_config(session, merchant.id, hk.plugins)
        card = cards.issue_card(session, config, merchant.id, {"number": "LEDGER01"})
        return {"merchant": merchant.id, "other": other.id, "card": card.id}


def accounts(session, setup, asset="points"):
    return (ledger.card_account(session, setup["merchant"], setup["card"], asset),
            ledger.merchant_account(session, setup["merchant"], "issued", asset))


NOW = datetime(2026, 6, 1, 4, 0, tzinfo=timezone.utc)  # 12:00 in Shanghai


def test_entries_must_balance_per_asset_and_be_integers(hk, setup):
    with hk.db.write() as session:
        card, issued = accounts(session, setup)
        with pytest.raises(Invalid, match="sum to zero"):
            ledger.post(session, setup["merchant"], "t", [Posting(card, 10), Posting(issued, -9)])
        with pytest.raises(Invalid, match="integers"):
            ledger.post(session, setup["merchant"], "t", [Posting(card, 1.0), Posting(issued, -1.0)])
        with pytest.raises(Invalid, match="integers"):
            ledger.post(session, setup["merchant"], "t", [Posting(card, True), Posting(issued, -1)])
        cash = ledger.merchant_account(session, setup["merchant"], "issued", "cny")
        with pytest.raises(Invalid, match="sum to zero"):  # 10 points are not 10 fen
            ledger.post(session, setup["merchant"], "t", [Posting(card, 10), Posting(cash, -10)])
        foreign = ledger.merchant_account(session, setup["other"], "issued", "points")
        with pytest.raises(Invalid, match="another merchant"):
            ledger.post(session, setup["merchant"], "t", [Posting(card, 5), Posting(foreign, -5)])


def test_a_card_never_goes_below_zero_and_a_failed_post_changes_nothing(hk, setup):
    with hk.db.write() as session:
        card, issued = accounts(session, setup)
        ledger.post(session, setup["merchant"], "earn", [Posting(card, 100), Posting(issued, -100)], now=NOW)
    with pytest.raises(InsufficientBalance):
        with hk.db.write() as session:
            card, issued = accounts(session, setup)
            ledger.post(session, setup["merchant"], "spend", [Posting(card, -101), Posting(issued, 101)], now=NOW)
    with hk.db.read() as session:
        assert ledger.card_balances(session, setup["card"]) == {"points": 100}
        assert ledger.verify(session, setup["merchant"]) == []


def test_lots_are_spent_soonest_expiry_first_and_expired_lots_not_at_all(hk, setup):
    with hk.db.write() as session:
        card, issued = accounts(session, setup)
        for amount, expires in ((30, date(2027, 12, 31)), (20, date(2026, 12, 31)), (40, None),
                                (50, date(2026, 5, 31))):  # the last one expired yesterday
            ledger.post(session, setup["merchant"], "earn",
                        [Posting(card, amount, expires_on=expires), Posting(issued, -amount)], now=NOW)
        ledger.post(session, setup["merchant"], "spend", [Posting(card, -35), Posting(issued, 35)], now=NOW)
        lots = {(lot["expires_on"], lot["remaining"]) for lot in ledger.open_lots(session, setup["card"])}
        assert lots == {("2027-12-31", 15), (None, 40), ("2026-05-31", 50)}
        with pytest.raises(InsufficientBalance) as error:
            ledger.post(session, setup["merchant"], "spend", [Posting(card, -60), Posting(issued, 60)], now=NOW)
        assert error.value.details["available"] == 55  # 50 are expired though the balance says 105


def test_a_reversal_restores_exactly_the_lots_it_took(hk, setup):
    with hk.db.write() as session:
        card, issued = accounts(session, setup)
        ledger.post(session, setup["merchant"], "earn",
                    [Posting(card, 10, expires_on=date(2026, 7, 1)), Posting(issued, -10)], now=NOW)
        ledger.post(session, setup["merchant"], "earn",
                    [Posting(card, 10, expires_on=date(2026, 9, 1)), Posting(issued, -10)], now=NOW)
        spend = ledger.post(session, setup["merchant"], "spend", [Posting(card, -15), Posting(issued, 15)], now=NOW)
        ledger.post(session, setup["merchant"], "refund", [Posting(card, 7, restore_from=spend.id),
                                                           Posting(issued, -7)],
                    reverses_id=spend.id, now=NOW)
        lots = sorted((lot["expires_on"], lot["remaining"]) for lot in ledger.open_lots(session, setup["card"]))
        assert lots == [("2026-07-01", 7), ("2026-09-01", 5)]  # back into the lot it first took from
        with pytest.raises(Invalid, match="took less"):
            ledger.post(session, setup["merchant"], "refund", [Posting(card, 9, restore_from=spend.id),
                                                               Posting(issued, -9)],
                        reverses_id=spend.id, now=NOW)


def test_idempotency_key_is_unique_per_merchant(hk, setup):
    with hk.db.write() as session:
        card, issued = accounts(session, setup)
        ledger.post(session, setup["merchant"], "earn", [Posting(card, 1), Posting(issued, -1)],
                    idempotency_key="k1")
        with pytest.raises(Conflict):
            ledger.post(session, setup["merchant"], "earn", [Posting(card, 1), Posting(issued, -1)],
                        idempotency_key="k1")
        assert ledger.card_balances(session, setup["card"]) == {"points": 1}


def test_verify_reports_drift(hk, setup):
    from sqlalchemy import update

    from core.models import Account

    with hk.db.write() as session:
        card, issued = accounts(session, setup)
        ledger.post(session, setup["merchant"], "earn", [Posting(card, 5), Posting(issued, -5)])
        session.execute(update(Account).where(Account.id == card.id).values(balance=6))
        problems = ledger.verify(session, setup["merchant"])
        assert any("balance 6 != entries 5" in p for p in problems)
        assert any("open lots 5" in p for p in problems)
        session.rollback()


def test_a_new_account_is_created_by_its_first_post_holding_the_amount(hk, setup):
    with hk.db.write() as session:
        card, issued = accounts(session, setup, asset="stamps")
        assert card.pending and issued.pending  # named, not written yet
        ledger.post(session, setup["merchant"], "t", [Posting(card, 7), Posting(issued, -7)])
        assert not card.pending and card.balance == 7
    with hk.db.read() as session:
        card, issued = accounts(session, setup, asset="stamps")
        assert (card.balance, issued.balance) == (7, -7)
        assert ledger.verify(session, setup["merchant"]) == []


def test_updates_left_for_later_are_seen_by_every_read_and_dropped_on_rollback(hk, setup):
    """post(shared_rows_last=True) leaves the unguarded updates in the session: an ORM query,
    a ref's balance and the commit run them first; a rollback drops them with the rest."""
    from core.models import Account
    from sqlalchemy import select

    with hk.db.write() as session:
        card, issued = accounts(session, setup)
        ledger.post(session, setup["merchant"], "t", [Posting(card, 50), Posting(issued, -50)])
    with hk.db.write() as session:
        card, issued = accounts(session, setup)
        ledger.post(session, setup["merchant"], "t", [Posting(card, 5), Posting(issued, -5)],
                    atomic=False, shared_rows_last=True)
        assert session.scalar(select(Account.balance).where(Account.id == issued.id)) == -55
    with hk.db.write() as session:
        card, issued = accounts(session, setup)
        ledger.post(session, setup["merchant"], "t", [Posting(card, 5), Posting(issued, -5)],
                    atomic=False, shared_rows_last=True)
        assert issued.balance == -60
    with pytest.raises(RuntimeError):
        with hk.db.write() as session:
            card, issued = accounts(session, setup)
            ledger.post(session, setup["merchant"], "t", [Posting(card, 5), Posting(issued, -5)],
                        atomic=False, shared_rows_last=True)
            raise RuntimeError("the sale failed after its post")
    with hk.db.write() as session:  # committed with the updates left for later
        card, issued = accounts(session, setup)
        ledger.post(session, setup["merchant"], "t", [Posting(card, 1), Posting(issued, -1)],
                    atomic=False, shared_rows_last=True)
    with hk.db.read() as session:
        card, issued = accounts(session, setup)
        assert (card.balance, issued.balance) == (61, -61)
        assert ledger.verify(session, setup["merchant"]) == []
