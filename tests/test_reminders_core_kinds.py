"""Join anniversaries and dormant members (issue 14, item 1), through real members and
checkouts, on both databases. Members' join times are backdated as the demo backdates them."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update

from core import cards, checkout, config_versions, members
from core.models import Member
from core.reminders import reminders_for
from tests.support.clock import beijing
from tests.support.factories import basic_document, make_merchant


def publish(hk, shop, reminders):
    with hk.db.write() as session:
        document = config_versions.get_draft(session, shop.id).document
        config_versions.save_draft(session, shop.id, {**document, "reminders": reminders}, staff_id=None)
        config_versions.publish(session, shop.id, hk.plugins, note="reminders")


def add_member(hk, shop, name, joined, store=0):
    with hk.db.write() as session:
        config = config_versions.published_config(session, shop.id, hk.plugins)
        member = members.create_member(session, config, shop.id,
                                       {"name": name, "phone": f"139{abs(hash(name)) % 10**8:08d}"},
                                       store_id=shop.store_ids[0] + store)
        cards.issue_card(session, config, shop.id, {"kind": "standard", "member_id": member.id},
                         store_id=member.registered_store_id)
        session.execute(update(Member).where(Member.id == member.id).values(created_at=beijing(joined)))
        return member.id


def buy(hk, shop, member_id, at):
    with hk.db.write() as session:
        config = config_versions.published_config(session, shop.id, hk.plugins)
        card = session.get(Member, member_id).cards[0]
        state = checkout.build(session, config, shop.id, {"card_number": card.number, "lines": [
            {"sku": "TEA", "name": "茶", "unit_price_fen": 1000}]}, store_id=shop.store_ids[0],
            staff_id=shop.staff_ids["cashier"], now=beijing(at))
        checkout.commit(state, [{"method": "cash", "amount_fen": state.due_fen}])


def found(hk, shop, kind, day, **kwargs):
    with hk.db.read() as session:
        config = config_versions.published_config(session, shop.id, hk.plugins)
        return {r.facts["name"]: r for r in reminders_for(session, config, shop.id, day, kinds=[kind], **kwargs)}


@pytest.fixture
def shop(hk):
    return make_merchant(hk, "关怀商户", basic_document())


def test_anniversaries_by_merchant_local_day(hk, shop):
    add_member(hk, shop, "一年", "2025-12-06 00:10")   # Beijing 00:10 is still 12-05 in UTC
    add_member(hk, shop, "三年", "2023-12-06 23:50")
    add_member(hk, shop, "前一天", "2025-12-05 23:59")
    add_member(hk, shop, "闰日", "2024-02-29 10:00")
    add_member(hk, shop, "今年", "2026-12-06 09:00")
    on = found(hk, shop, "anniversary", date(2026, 12, 6))
    assert sorted(on) == ["一年", "三年"]
    assert (on["三年"].occasion, on["三年"].facts["years"], on["三年"].facts["joined_on"]) == (
        "anniversary:2026-12-06", 3, "2023-12-06")
    assert sorted(found(hk, shop, "anniversary", date(2025, 2, 28))) == ["闰日"]
    assert sorted(found(hk, shop, "anniversary", date(2028, 2, 29))) == ["闰日"]
    assert found(hk, shop, "anniversary", date(2028, 2, 28)) == {}
    publish(hk, shop, {"anniversary": {"min_years": 2, "days_before": 1}})
    assert sorted(found(hk, shop, "anniversary", date(2026, 12, 5))) == ["三年"]


def test_dormant_once_per_dormancy_from_the_last_visit(hk, shop):
    regular = add_member(hk, shop, "常客", "2026-01-02 10:00")
    gone = add_member(hk, shop, "沉睡", "2026-01-02 10:00")
    add_member(hk, shop, "只注册", "2026-09-07 15:00")
    add_member(hk, shop, "新人", "2026-11-30 15:00")
    buy(hk, shop, gone, "2026-09-07 23:30")     # the last visit, late in the local day
    buy(hk, shop, regular, "2026-09-07 10:00")
    buy(hk, shop, regular, "2026-11-01 10:00")
    # 90 days after 2026-09-07 is 2026-12-06.
    on = found(hk, shop, "dormant", date(2026, 12, 6))
    assert sorted(on) == ["只注册", "沉睡"]
    assert (on["沉睡"].occasion, on["沉睡"].facts["last_visit_on"]) == ("dormant:2026-09-07", "2026-09-07")
    assert found(hk, shop, "dormant", date(2026, 12, 7)) == {}  # reminded once, on the day
    assert sorted(found(hk, shop, "dormant", date(2027, 1, 30))) == ["常客"]
    publish(hk, shop, {"dormant": {"days": 30}})
    assert sorted(found(hk, shop, "dormant", date(2026, 10, 7))) == ["只注册", "沉睡"]
    assert sorted(found(hk, shop, "dormant", date(2026, 10, 7), store_id=shop.store_ids[0] + 1)) == []


def test_disabled_kinds_are_not_scanned(hk, shop):
    add_member(hk, shop, "一年", "2025-12-06 12:00")
    publish(hk, shop, {"anniversary": {"enabled": False}})
    assert found(hk, shop, "anniversary", date(2026, 12, 6)) == {}
    publish(hk, shop, {"anniversary": {"enabled": True}})
    assert sorted(found(hk, shop, "anniversary", date(2026, 12, 6))) == ["一年"]
