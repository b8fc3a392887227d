"""The demo merchant (``huika demo``): complete, consistent, and loaded only once."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core import demo_reminders
from core.clock import local_date, now_utc
from core.config_versions import latest_version, published_config
from core.demo import DEMO_DOCUMENT, DEMO_MERCHANT, DEMO_PASSWORD, load_demo
from core.members import search_members
from core.models import ApiToken, Card, ConfigVersion, Member, Merchant, Staff, Store, Tier
from core.reminders import reminders_for
from core.schemas import validate_against
from core.security import check_pin_hash
from core.weak_pins import is_weak
from core.tenancy import authenticate

RANDOM_MEMBERS = 12
MEMBERS = RANDOM_MEMBERS + demo_reminders.MEMBERS  # the members to remind come on top (issue 14)


def load(hk):
    with hk.db.write() as session:
        return load_demo(session, hk.plugins, member_count=RANDOM_MEMBERS)


def test_demo_merchant_is_complete(hk):
    result = load(hk)
    assert result.created
    with hk.db.read() as session:
        merchant = session.get(Merchant, result.merchant_id)
        assert merchant.name == DEMO_MERCHANT
        mid = merchant.id
        assert sorted(session.scalars(select(Store.code).where(Store.merchant_id == mid))) == ["east", "main"]

        staff = session.scalars(select(Staff).where(Staff.merchant_id == mid)).all()
        assert sorted(s.role for s in staff) == ["cashier", "manager", "owner"]
        assert [login[1] for login in result.logins] == ["owner", "manager", "cashier"]
        for username, _role, password in result.logins:
            assert password == DEMO_PASSWORD and authenticate(session, mid, username, password)

        version = latest_version(session, mid)
        assert version is not None and version.version == 1
        tiers = session.scalars(select(Tier.key).where(Tier.merchant_id == mid, Tier.active)).all()
        assert sorted(tiers) == sorted(t["key"] for t in DEMO_DOCUMENT["tiers"])

        config = published_config(session, mid, hk.plugins)
        members = session.scalars(select(Member).where(Member.merchant_id == mid)).all()
        assert len(members) == MEMBERS
        assert all(m.extra.get("favourite_category") for m in members)  # not trivially valid
        for member in members:
            assert validate_against(member.extra, config.member_extra_schema) == [], member.extra
            cards = session.scalars(select(Card).where(Card.member_id == member.id)).all()
            assert [c.status for c in cards] == ["active"], member.id
            assert cards[0].pin_hash and cards[0].tier_id is not None
        # C6: every card has its own random PIN, not a weak one, given back to be printed.
        printed = dict(result.cards)
        assert len(printed) == MEMBERS and len(set(printed.values())) > 1
        assert not any(is_weak(pin) for pin in printed.values())
        card = session.scalar(select(Card).where(Card.number == next(iter(printed))))
        assert check_pin_hash(printed[card.number], card.pin_hash, hk.db.pin_peppers) == (True, False)


def counts(hk, mid: int) -> dict:
    with hk.db.read() as session:
        return {model.__name__: session.scalar(select(func.count()).select_from(model)
                                               .where(model.merchant_id == mid))
                for model in (Store, Staff, Tier, ConfigVersion, Member, Card)} | {
            "Merchant": session.scalar(select(func.count()).select_from(Merchant))}


def test_loading_twice_duplicates_nothing_and_issues_new_tokens(hk):
    first = load(hk)
    before = counts(hk, first.merchant_id)
    second = load(hk)
    assert not second.created and second.merchant_id == first.merchant_id
    assert counts(hk, first.merchant_id) == before
    assert before["Merchant"] == 1 and before["Member"] == MEMBERS
    assert set(second.tokens.values()).isdisjoint(first.tokens.values())
    # PINs are kept only as hashes: a second run sets and prints new ones, which work.
    assert [number for number, _pin in second.cards] == [number for number, _pin in first.cards]
    with hk.db.read() as session:
        for number, pin in second.cards[:2]:
            stored = session.scalar(select(Card.pin_hash).where(Card.number == number))
            assert check_pin_hash(pin, stored, hk.db.pin_peppers) == (True, False)
    with hk.db.read() as session:
        assert session.scalar(select(func.count()).select_from(ApiToken)) == 6


def test_the_readme_example_search_finds_demo_members(hk):
    with hk.db.write() as session:
        result = load_demo(session, hk.plugins)  # the defaults `huika demo` uses
    with hk.db.read() as session:
        assert search_members(session, result.merchant_id, name_prefix="王").total > 0


def test_the_demo_reminds_of_low_balance_and_expiring_vouchers_today(hk):
    """Issue 14: the plugins' demo data leaves a card under ¥50 of stored value and a coupon
    running out this week, so their reminder kinds show on the demo's first day."""
    with hk.db.write() as session:
        result = load_demo(session, hk.plugins, member_count=4)
    with hk.db.read() as session:
        config = published_config(session, result.merchant_id, hk.plugins)
        reminders = reminders_for(session, config, result.merchant_id, local_date(now_utc()))
    by_kind = {}
    for reminder in reminders:
        by_kind.setdefault(reminder.kind, []).append(reminder)
    assert {"low_balance", "voucher_expiry"} <= set(by_kind), sorted(by_kind)
    [low] = by_kind["low_balance"]
    assert 0 < low.facts["balance_fen"] < low.facts["threshold_fen"] == 5000
    assert all(0 <= r.facts["days_left"] <= 7 for r in by_kind["voucher_expiry"])
