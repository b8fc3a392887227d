"""P4 lucky wheel (大转盘): one free spin a local day, a paid second spin, stock-limited prizes.

The draw's RNG is injected: ``plugins.points.wheel.rng_factory`` is replaced by a seeded
``random.Random`` so every spin here is deterministic.
"""
from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from plugins.points import wheel
from plugins.points.models import WheelSpin

from .conftest import make_shop


@pytest.fixture(autouse=True)
def seeded(monkeypatch):
    monkeypatch.setattr(wheel, "rng_factory", lambda: random.Random(20260301))


@pytest.fixture
def wheel_shop(client, hk):
    return make_shop(client, hk, "转盘店", wheel_enabled=True)


def add_prize(shop, role="manager", **fields):
    body = {"name": "谢谢参与", "kind": "none", **fields}
    response = shop.client.post("/api/v1/points/wheel/prizes", json=body, headers=shop.headers(role))
    return response


def spin(shop, card, headers=None, role="cashier"):
    return shop.client.post(f"/api/v1/cards/{card}/wheel/spin",
                            headers={**shop.headers(role), **(headers or shop.headers(idempotent=True))})


def test_p4_prizes_are_kept_by_managers(wheel_shop):
    created = add_prize(wheel_shop, name="10 积分", kind="points", points=10, weight=3, stock=5)
    assert created.status_code == 201, created.json
    assert created.json == {"id": created.json["id"], "name": "10 积分", "kind": "points", "points": 10,
                            "weight": 3, "stock": 5, "active": True}
    unlimited = add_prize(wheel_shop).json
    assert unlimited["stock"] is None and unlimited["weight"] == 1
    assert add_prize(wheel_shop, role="cashier").status_code == 403
    listed = wheel_shop.client.get("/api/v1/points/wheel/prizes", headers=wheel_shop.headers("cashier"))
    assert [p["name"] for p in listed.json["items"]] == ["10 积分", "谢谢参与"]


@pytest.mark.parametrize("body, pointer", [
    ({"name": "积分", "kind": "points"}, "/points"),
    ({"name": "积分", "kind": "points", "points": 0}, "/points"),
    ({"name": "杯子", "kind": "gift", "points": 5}, "/points"),
    ({"name": "杯子", "kind": "voucher"}, "/kind"),
    ({"name": "杯子", "kind": "gift", "weight": 0}, "/weight"),
    ({"name": "杯子", "kind": "gift", "stock": -1}, "/stock"),
    ({"name": "", "kind": "gift"}, "/name"),
    ({"kind": "gift"}, "/name"),
])
def test_p4_bad_prizes_are_refused(wheel_shop, body, pointer):
    response = wheel_shop.client.post("/api/v1/points/wheel/prizes", json=body, headers=wheel_shop.headers())
    assert response.status_code == 422, response.json
    assert pointer in [d["pointer"] for d in response.json["error"]["details"]]
    assert wheel_shop.client.get("/api/v1/points/wheel/prizes", headers=wheel_shop.headers()).json["items"] == []


def test_p4_one_free_spin_then_a_paid_one_then_no_more(wheel_shop, clock):
    shop = wheel_shop
    add_prize(shop)  # only 谢谢参与: the outcome does not matter here
    card = shop.card()
    clock.at("2026-03-01 10:00")
    shop.buy(card, 100)  # 10 points
    free = spin(shop, card)
    assert free.status_code == 201, free.json
    assert free.json["free"] is True and free.json["cost_points"] == 0 and free.json["spin_no"] == 1
    assert free.json["points"] == 10 and free.json["free_spins_left_today"] == 0
    assert free.json["spins_left_today"] == 1
    paid = spin(shop, card)
    assert paid.status_code == 201
    assert paid.json["free"] is False and paid.json["cost_points"] == 5 and paid.json["points"] == 5
    assert paid.json["spins_left_today"] == 0
    third = spin(shop, card)
    assert third.status_code == 409 and third.json["error"]["code"] == "spin_limit_reached"
    assert shop.points(card) == 5 and shop.merchant_points("redeemed") == 5
    history = shop.client.get(f"/api/v1/cards/{card}/history", headers=shop.headers()).json["items"]
    assert [h["type"] for h in history[:2]] == ["wheel_spin", "wheel_spin"]
    assert history[0]["memo"]["spin_no"] == 2 and history[1]["amounts"] == {"points": 0}
    shop.verify()


def test_p4_a_paid_spin_needs_the_points(wheel_shop, clock):
    add_prize(wheel_shop)
    card = wheel_shop.card()
    assert spin(wheel_shop, card).status_code == 201  # free
    broke = spin(wheel_shop, card)
    assert broke.status_code == 409 and broke.json["error"]["code"] == "insufficient_balance"
    wheel_shop.buy(card, 50)  # 5 points
    assert spin(wheel_shop, card).json["cost_points"] == 5  # the refused spin did not count
    wheel_shop.verify()


def test_p4_spin_counts_and_prices_are_settings(client, hk, clock):
    shop = make_shop(client, hk, wheel_enabled=True, wheel_free_spins_per_day=2,
                     wheel_extra_spin_points=7, wheel_max_spins_per_day=3)
    add_prize(shop)
    card = shop.card()
    shop.buy(card, 100)
    costs = [spin(shop, card).json["cost_points"] for _ in range(3)]
    assert costs == [0, 0, 7]
    assert spin(shop, card).json["error"]["code"] == "spin_limit_reached"
    assert shop.points(card) == 3


def test_p4_the_day_is_the_merchants_local_day(wheel_shop, clock):
    shop = wheel_shop
    add_prize(shop)
    card = shop.card()
    shop.buy(card, 100)
    clock.at("2026-03-01 23:30")  # 15:30 UTC
    assert spin(shop, card).json["free"] is True
    assert spin(shop, card).json["free"] is False
    assert spin(shop, card).status_code == 409
    clock.at("2026-03-02 00:05")  # 16:05 UTC, still 1 March in UTC: a new day in Beijing
    again = spin(shop, card)
    assert again.status_code == 201 and again.json["free"] is True and again.json["spin_no"] == 1
    with shop.hk.db.read() as session:
        days = session.scalars(select(WheelSpin.spun_on).order_by(WheelSpin.id)).all()
    assert [d.isoformat() for d in days] == ["2026-03-01", "2026-03-01", "2026-03-02"]
    shop.verify()


def test_p4_a_points_prize_opens_a_lot_with_the_usual_expiry(wheel_shop, clock):
    shop = wheel_shop
    add_prize(shop, name="50 积分", kind="points", points=50)
    card = shop.card()
    clock.at("2026-03-01 10:00")
    result = spin(shop, card).json
    assert result["prize"]["kind"] == "points" and result["points"] == 50
    assert shop.lots(card) == [(50, "2027-12-31")]
    assert shop.merchant_points("issued") == -50
    paid = spin(shop, card).json  # costs 5, wins 50 more
    assert paid["cost_points"] == 5 and paid["points"] == 95
    shop.verify()


def test_p4_prizes_out_of_stock_are_never_drawn(wheel_shop, clock):
    shop = wheel_shop
    cup = add_prize(shop, name="保温杯", kind="gift", weight=1_000_000, stock=1).json
    add_prize(shop, name="空", kind="gift", weight=1_000_000, stock=0)
    nothing = add_prize(shop, weight=1).json
    card, other = shop.card(), shop.card()
    first = spin(shop, card).json
    assert first["prize"]["id"] == cup["id"] and first["prize"]["stock"] == 0
    for holder in (other, card):
        shop.buy(holder, 100)
    for holder in (other, card):  # the cup is gone and the empty prize never comes up
        assert spin(shop, holder).json["prize"]["id"] == nothing["id"]
    prizes = shop.client.get("/api/v1/points/wheel/prizes", headers=shop.headers()).json["items"]
    assert [p["stock"] for p in prizes] == [0, 0, None]
    shop.verify()


def test_p4_no_prize_left_is_a_409_and_nothing_is_spent(wheel_shop):
    add_prize(wheel_shop, name="杯子", kind="gift", stock=0)
    card = wheel_shop.card()
    response = spin(wheel_shop, card)
    assert response.status_code == 409 and response.json["error"]["code"] == "no_prizes"
    add_prize(wheel_shop)
    assert spin(wheel_shop, card).json["spin_no"] == 1  # the refused spin was not counted


def test_p4_restock_reweight_and_deactivate_prizes(wheel_shop):
    shop = wheel_shop
    cup = add_prize(shop, name="杯子", kind="gift", stock=0).json
    nothing = add_prize(shop).json
    url = f"/api/v1/points/wheel/prizes/{cup['id']}"
    restocked = shop.client.patch(url, json={"restock": 2, "weight": 1_000_000}, headers=shop.headers())
    assert restocked.status_code == 200 and restocked.json["stock"] == 2
    card = shop.card()
    assert spin(shop, card).json["prize"]["id"] == cup["id"]
    assert shop.client.patch(url, json={"active": False}, headers=shop.headers()).json["active"] is False
    shop.buy(card, 100)
    assert spin(shop, card).json["prize"]["id"] == nothing["id"]
    unlimited = shop.client.patch(f"/api/v1/points/wheel/prizes/{nothing['id']}", json={"restock": 1},
                                  headers=shop.headers())
    assert unlimited.status_code == 422
    assert shop.client.patch(url, json={"restock": 1}, headers=shop.headers("cashier")).status_code == 403
    assert shop.client.patch("/api/v1/points/wheel/prizes/999999", json={"restock": 1},
                             headers=shop.headers()).status_code == 404


def test_p4_the_draw_follows_the_weights_and_the_injected_rng(wheel_shop, monkeypatch):
    shop = wheel_shop
    ids = [add_prize(shop, name=name, kind="gift", weight=weight).json["id"]
           for name, weight in (("a", 1), ("b", 3))]
    tickets = iter([0, 1, 3, 2])

    class Scripted(random.Random):
        def randrange(self, stop):
            assert stop == 4  # the sum of the weights
            return next(tickets)

    monkeypatch.setattr(wheel, "rng_factory", Scripted)
    shop2 = [shop.card() for _ in range(4)]
    won = [spin(shop, card).json["prize"]["id"] for card in shop2]
    assert won == [ids[0], ids[1], ids[1], ids[1]]  # ticket 0 -> a (weight 1), 1..3 -> b


def test_p4_a_retried_spin_is_replayed_not_repeated(wheel_shop):
    add_prize(wheel_shop)
    card = wheel_shop.card()
    wheel_shop.buy(card, 100)
    headers = {"Idempotency-Key": "spin-1"}
    first = spin(wheel_shop, card, headers=headers)
    retry = spin(wheel_shop, card, headers=headers)
    assert first.status_code == retry.status_code == 201 and retry.json == first.json
    assert spin(wheel_shop, card).json["spin_no"] == 2
    assert wheel_shop.points(card) == 5


def test_p4_wheel_off_by_default_and_cards_must_be_usable(client, hk, wheel_shop):
    off = make_shop(client, hk, "不抽奖的店")
    add_prize(off)
    response = spin(off, off.card())
    assert response.status_code == 409 and response.json["error"]["code"] == "wheel_disabled"
    add_prize(wheel_shop)
    assert spin(wheel_shop, "NOSUCHCARD").status_code == 404
    card = wheel_shop.card()
    wheel_shop.client.post(f"/api/v1/cards/{card}/report-lost", headers=wheel_shop.headers())
    assert spin(wheel_shop, card).json["error"]["code"] == "card_not_usable"
    body = wheel_shop.client.post(f"/api/v1/cards/{card}/wheel/spin", json={"prize_id": 1},
                                  headers=wheel_shop.headers(idempotent=True))
    assert body.status_code == 422


def test_p4_prizes_belong_to_their_merchant(client, hk, wheel_shop):
    other = make_shop(client, hk, "隔壁店", wheel_enabled=True)
    theirs = add_prize(other, name="他们的奖", kind="gift", stock=3).json
    assert wheel_shop.client.get("/api/v1/points/wheel/prizes", headers=wheel_shop.headers()).json["items"] == []
    assert wheel_shop.client.patch(f"/api/v1/points/wheel/prizes/{theirs['id']}", json={"restock": 1},
                                   headers=wheel_shop.headers()).status_code == 404
    response = spin(wheel_shop, wheel_shop.card())  # their prizes are not on our wheel
    assert response.status_code == 409 and response.json["error"]["code"] == "no_prizes"
    assert other.client.get("/api/v1/points/wheel/prizes", headers=other.headers()).json["items"][0]["stock"] == 3
