"""P4/H4: lucky-wheel prizes that are benefits given by another plugin (a hotel room voucher,
an e-voucher), through core.benefits: checked when the prize is saved, given in the spin's
transaction. The points plugin never imports the hotel plugin; these tests use the API only.
"""
from __future__ import annotations

import random

import pytest

from plugins.points import wheel
from tests.support.factories import basic_document, make_merchant

from .conftest import TIERS, Shop

SUITE = {"kind": "room_voucher", "room_type": "suite"}


@pytest.fixture(autouse=True)
def seeded(monkeypatch):
    monkeypatch.setattr(wheel, "rng_factory", lambda: random.Random(20260301))


def hotel_and_points_document(hotel=True) -> dict:
    plugins = [{"id": "points", "settings": {"wheel_enabled": True}}]
    if hotel:
        plugins.append({"id": "hotel_rooms", "settings": {}})
    return basic_document(plugins=plugins, tiers=TIERS)


@pytest.fixture
def resort(client, hk):
    return Shop(client, hk, make_merchant(hk, "度假酒店", hotel_and_points_document()))


def add_prize(shop, **fields):
    return shop.client.post("/api/v1/points/wheel/prizes", json={"name": "豪华套房一晚", **fields},
                            headers=shop.headers("manager"))


def spin(shop, card):
    return shop.client.post(f"/api/v1/cards/{card}/wheel/spin", headers=shop.headers("cashier", idempotent=True))


def vouchers(shop, card):
    response = shop.client.get(f"/api/v1/cards/{card}/room-vouchers", headers=shop.headers())
    assert response.status_code == 200, response.json
    return response.json["items"]


def prizes(shop):
    return shop.client.get("/api/v1/points/wheel/prizes", headers=shop.headers()).json["items"]


def test_p4_h4_a_benefit_prize_is_checked_when_it_is_saved(resort):
    created = add_prize(resort, kind="benefit", benefit=SUITE, stock=2)
    assert created.status_code == 201, created.json
    assert created.json["benefit"] == SUITE and created.json["points"] == 0
    e_voucher = add_prize(resort, name="300 元电子券", kind="benefit",
                          benefit={"kind": "e_voucher", "face_value_fen": 30000})
    assert e_voucher.status_code == 201, e_voucher.json
    cases = [
        ({"kind": "benefit"}, "/benefit"),
        ({"kind": "benefit", "benefit": {"kind": "spa_day"}}, "/benefit/kind"),
        ({"kind": "benefit", "benefit": {"kind": "room_voucher", "room_type": "penthouse"}},
         "/benefit/room_type"),
        ({"kind": "benefit", "benefit": {"kind": "room_voucher"}}, "/benefit"),
        ({"kind": "benefit", "benefit": {"kind": "e_voucher", "face_value_fen": 0}},
         "/benefit/face_value_fen"),
        ({"kind": "gift", "benefit": SUITE}, "/benefit"),
        ({"kind": "benefit", "benefit": "suite"}, "/benefit"),
    ]
    for body, pointer in cases:
        refused = add_prize(resort, **body)
        assert refused.status_code == 422, (body, refused.json)
        assert pointer in [d["pointer"] for d in refused.json["error"]["details"]], refused.json
    assert [p["name"] for p in prizes(resort)] == ["豪华套房一晚", "300 元电子券"]


def test_p4_h4_without_the_hotel_plugin_a_room_voucher_prize_is_refused(client, hk):
    shop = Shop(client, hk, make_merchant(hk, "无酒店", hotel_and_points_document(hotel=False)))
    refused = add_prize(shop, kind="benefit", benefit=SUITE)
    assert refused.status_code == 422
    assert refused.json["error"]["details"][0]["pointer"] == "/benefit/kind"


def test_p4_h4_winning_a_suite_night_issues_a_room_voucher_in_the_spin(resort):
    prize = add_prize(resort, kind="benefit", benefit=SUITE, stock=1).json
    card = resort.card()
    won = spin(resort, card)
    assert won.status_code == 201, won.json
    assert won.json["prize"]["id"] == prize["id"] and won.json["benefit_given"]["room_type"] == "suite"
    [voucher] = vouchers(resort, card)
    assert voucher["reason"] == "benefit" and voucher["code"] == won.json["benefit_given"]["code"]
    assert resort.balances(card)["balances"]["room_vouchers"] == 1
    assert prizes(resort)[0]["stock"] == 0
    resort.verify()


def test_p4_h4_a_benefit_no_longer_given_rolls_the_whole_spin_back(resort):
    add_prize(resort, kind="benefit", benefit=SUITE, stock=3)
    card = resort.card()
    resort.adjust(card, 100)
    resort.publish(hotel_and_points_document(hotel=False))  # the hotel plugin turned off
    before = (resort.points(card), prizes(resort))
    refused = spin(resort, card)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "benefit_unavailable"
    assert (resort.points(card), prizes(resort)) == before  # no spin counted, no stock taken
    assert "room_vouchers" not in resort.balances(card)["balances"]
    resort.verify()
