"""L2/H1-H4 end to end on SQLite and PostgreSQL: a hotel merchant starts from the ``hotel``
template, publishes it, and runs a season: cards with free nights, an upgrade, ticket prices,
the lucky wheel's room and e-voucher prizes, desk redemptions, an e-voucher payment, a
birthday, expiry. Bad inputs on the way get clear errors and change nothing; the ledger
verifies at the end and every voucher on a card's balance is an active row."""
from __future__ import annotations

import random
import uuid

import pytest
from sqlalchemy import func, select

from core import ledger
from core.jobs import run_job
from core.models import Account, AccountOwner
from core.starters import get_starter
from plugins.hotel_rooms.models import RoomVoucher
from plugins.points import wheel
from tests.support.factories import make_merchant

from .conftest import Hotel

PRIZES = [
    ("豪华套房一晚", {"kind": "room_voucher", "room_type": "suite"}),
    ("标准间一晚", {"kind": "room_voucher", "room_type": "standard"}),
    ("300 元电子代金券", {"kind": "e_voucher", "face_value_fen": 30000}),
    ("100 元电子代金券", {"kind": "e_voucher", "face_value_fen": 10000}),
]


@pytest.fixture(autouse=True)
def seeded(monkeypatch):
    monkeypatch.setattr(wheel, "rng_factory", lambda: random.Random(5))


def _job(hk, name):
    return next(job for job in hk.plugins.jobs() if job.id == f"hotel_rooms.{name}")


def _state(hotel, card):
    return (hotel.voucher_rows(), hotel.transactions(), hotel.balance(card))


def test_l2_hotel_template_runs_a_season_end_to_end(client, hk, clock):
    starter = get_starter(hk.plugins, "hotel")
    assert starter is not None and starter.plugin == "hotel_rooms"
    hotel = Hotel(client, hk, make_merchant(hk, f"金陵酒店-{uuid.uuid4().hex[:6]}"))
    hotel.publish(starter.new_document())
    hotel.verify()

    # H1: a supreme card brings two suite nights; the birthday is in two days.
    member = hotel.member(name="陈静", birthday="1979-03-12")
    card = hotel.card("business", member_id=member)
    assert [v["room_type"] for v in hotel.vouchers(card)] == ["business_suite"]
    upgraded = hotel.post(f"/cards/{card}/kind", {"kind": "supreme"}, role="manager", idempotent=False)
    assert upgraded.status_code == 200, upgraded.json
    assert sorted(v["room_type"] for v in hotel.vouchers(card)) == ["business_suite", "suite", "suite"]

    # H1: 169-yuan tickets for the card, earning points (P1) for the wheel.
    bought = hotel.client.post("/api/v1/checkout", headers=hotel.headers("cashier", idempotent=True), json={
        "card_number": card,
        "lines": [{"sku": "TICKET", "category": "ticket", "quantity": 4, "unit_price_fen": 29900}],
        "payments": [{"method": "cash", "amount_fen": 4 * 16900}]})
    assert bought.status_code == 201, bought.json
    assert bought.json["due_fen"] == 67600 and bought.json["balances"]["points"] == 67

    # H4: the wheel's prizes are the hotel's benefits; a prize the hotel cannot give is refused.
    for name, benefit in PRIZES:
        created = hotel.post("/points/wheel/prizes", {"name": name, "kind": "benefit", "benefit": benefit,
                                                     "stock": 5}, role="manager", idempotent=False)
        assert created.status_code == 201, created.json
    bad_prize = hotel.post("/points/wheel/prizes", {"name": "总统套房", "kind": "benefit", "benefit": {
        "kind": "room_voucher", "room_type": "presidential"}}, role="manager", idempotent=False)
    assert bad_prize.status_code == 422
    won = []
    for _ in range(2):  # the free spin and the 5-point one
        spun = hotel.post(f"/cards/{card}/wheel/spin", role="cashier")
        assert spun.status_code == 201, spun.json
        won.append(spun.json["benefit_given"])
    assert hotel.post(f"/cards/{card}/wheel/spin", role="cashier").status_code == 409  # 2 a day
    codes_won = {prize["code"] for prize in won}
    assert codes_won <= {v["code"] for v in hotel.vouchers(card, "active")}
    assert hotel.balance(card) == 5

    # H2: the desk scans a suite voucher for a stay; bad scans change nothing.
    suite = next(v["code"] for v in hotel.vouchers(card, "active")
                 if v["room_type"] == "suite" and v["reason"] == "card_upgrade")
    before = _state(hotel, card)
    for body, status in [({"stay_date": "2026-04-05"}, 409),  # 清明节
                         ({"stay_date": "tomorrow"}, 422),
                         ({"room_no": "X" * 11}, 422)]:
        response = hotel.redeem(card, suite, **body)
        assert response.status_code == status, response.json
    assert hotel.redeem(card, "NOTAVOUCHER", role="cashier").status_code == 404
    assert _state(hotel, card) == before
    done = hotel.redeem(card, suite, stay_date="2026-03-20", room_no="1808")
    assert done.status_code == 201, done.json
    twice = hotel.redeem(card, suite, stay_date="2026-03-21")
    assert twice.status_code == 409 and twice.json["error"]["code"] == "voucher_already_used"

    # H3: an e-voucher pays for the spa; not for a discounted room.
    e_code = hotel.issue(card, face_value_fen=10000, note="开业活动").json["items"][0]["code"]
    spa = hotel.client.post("/api/v1/checkout", headers=hotel.headers("cashier", idempotent=True), json={
        "card_number": card, "lines": [{"sku": "SPA", "category": "spa", "unit_price_fen": 15000}],
        "payments": [{"method": "e_voucher", "code": e_code}, {"method": "cash", "amount_fen": 5000}]})
    assert spa.status_code == 201, spa.json

    # H1: the birthday executive suite, once.
    birthday = _job(hk, "issue_birthday_suites")
    run_job(hk.db, hk.plugins, birthday, clock.at("2026-03-12 00:30"))
    run_job(hk.db, hk.plugins, birthday, clock.now, force=True)
    assert [v["room_type"] for v in hotel.vouchers(card) if v["reason"] == "birthday"] == ["executive_suite"]

    # H2/R2: the notice a month before, then expiry a year on takes what is left off the card.
    left = hotel.balance(card)
    expiry = run_job(hk.db, hk.plugins, _job(hk, "expire_vouchers"), clock.at("2027-06-01 00:20"))
    assert expiry["merchants"][str(hotel.id)]["vouchers"] == left
    assert hotel.balance(card) == 0 and hotel.vouchers(card, "active") == []

    hotel.verify()
    with hk.db.read() as session:
        assert ledger.verify(session, hotel.id) == []
        issued = session.scalar(select(func.count()).select_from(RoomVoucher).where(
            RoomVoucher.merchant_id == hotel.id))
        merchant_side = session.scalar(select(func.sum(Account.balance)).where(
            Account.merchant_id == hotel.id, Account.asset == "room_vouchers",
            Account.owner == AccountOwner.MERCHANT.value))
        assert merchant_side == 0  # issued (-n) + redeemed + expired (+n): nothing lost or doubled
        assert issued == hotel.merchant_vouchers("redeemed") + hotel.merchant_vouchers("expired")
