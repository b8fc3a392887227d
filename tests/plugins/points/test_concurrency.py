"""Concurrent requests cannot oversell stock or overspend points (medusa#16347, spree#13734).

Several threads hit the API at once through their own test clients; on PostgreSQL the guarded
UPDATEs serialise them row by row, on SQLite BEGIN IMMEDIATE does.
"""
from __future__ import annotations

import random

import pytest

from plugins.points import wheel
from tests.support.concurrency import concurrently


def test_p4_the_last_mall_item_is_redeemed_once(app, shop):
    cards = [shop.card() for _ in range(4)]
    for card in cards:
        shop.buy(card, 100)
    item = shop.client.post("/api/v1/points/mall/items", json={"name": "最后一个", "points_cost": 10,
                                                                "stock": 1}, headers=shop.headers()).json
    responses = concurrently(app, [("POST", f"/api/v1/cards/{card}/redeem", {"item_id": item["id"]},
                                    shop.headers(idempotent=True)) for card in cards])
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1, [r.json for r in responses]
    assert all(r.status_code in (201, 409, 503) for r in responses)
    assert sorted(shop.points(card) for card in cards) == [0, 10, 10, 10]
    listed = shop.client.get("/api/v1/points/mall/items", headers=shop.headers()).json["items"]
    assert listed[0]["stock"] == 0
    shop.verify()


def test_p4_points_cannot_be_spent_twice_at_once(app, shop):
    card = shop.card()
    shop.buy(card, 100)  # 10 points: enough for one 10-point item
    items = [shop.client.post("/api/v1/points/mall/items", json={"name": f"礼品{i}", "points_cost": 10,
                                                                 "stock": 5}, headers=shop.headers()).json
             for i in range(3)]
    responses = concurrently(app, [("POST", f"/api/v1/cards/{card}/redeem", {"item_id": item["id"]},
                                    shop.headers(idempotent=True)) for item in items])
    assert sorted(r.status_code for r in responses).count(201) == 1, [r.json for r in responses]
    assert shop.points(card) == 0
    stocks = [i["stock"] for i in shop.client.get("/api/v1/points/mall/items", headers=shop.headers()).json["items"]]
    assert sorted(stocks) == [4, 5, 5]  # the refused redemptions gave their stock back
    shop.verify()


@pytest.mark.parametrize("spins", [4])
def test_p4_simultaneous_spins_never_exceed_the_daily_limit(app, client, hk, monkeypatch, spins):
    from .conftest import make_shop

    monkeypatch.setattr(wheel, "rng_factory", lambda: random.Random(3))
    shop = make_shop(client, hk, "转盘并发", wheel_enabled=True)
    shop.client.post("/api/v1/points/wheel/prizes", json={"name": "谢谢参与", "kind": "none"},
                     headers=shop.headers())
    card = shop.card()
    shop.buy(card, 100)
    responses = concurrently(app, [("POST", f"/api/v1/cards/{card}/wheel/spin", None,
                                    shop.headers(idempotent=True)) for _ in range(spins)])
    done = [r.json for r in responses if r.status_code == 201]
    assert 1 <= len(done) <= 2, [r.json for r in responses]
    assert all(r.status_code in (201, 409, 503) for r in responses)
    assert sorted(d["spin_no"] for d in done) == list(range(1, len(done) + 1))
    paid = sum(d["cost_points"] for d in done)
    assert shop.points(card) == 10 - paid
    shop.verify()
