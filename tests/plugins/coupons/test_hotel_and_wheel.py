"""Coupons next to other plugins, which the coupon plugin never imports: H3 (a discounted
hotel room or a group-buy deal takes no coupon, the hotel plugin marks the lines) and P4 (a
lucky-wheel prize can be a coupon, given through core.benefits)."""
from __future__ import annotations

import random

from plugins.points import wheel
from tests.plugins.hotel_rooms.conftest import Hotel, hotel_document
from tests.support.factories import make_merchant

from .conftest import Shop, coupons_document

ROOM = {"sku": "KING", "category": "room", "unit_price_fen": 50000}
SNACK = {"sku": "NUTS", "category": "minibar", "unit_price_fen": 3000}


def _hotel_with_coupons(client, hk, **settings) -> tuple[Shop, Hotel]:
    document = hotel_document(**settings)
    document["plugins"].append({"id": "coupons", "settings": {}})
    hotel = Hotel(client, hk, make_merchant(hk, "券酒店", document))
    return Shop(client, hk, hotel.merchant), hotel


def test_h3_a_discounted_room_takes_no_coupon(client, hk, clock):
    shop, hotel = _hotel_with_coupons(client, hk)
    template = shop.template(name="房券50", value_fen=5000)
    shareholder = hotel.card("shareholder")  # a 7折 room rate: a room discount
    code = shop.coupon(template, shareholder)
    alone = shop.quote([ROOM], shareholder, [code])
    assert alone.status_code == 409 and alone.json["error"]["code"] == "coupon_no_lines"
    mixed = shop.quote([ROOM, SNACK], shareholder, [code]).json
    assert [ln["paid_fen"] for ln in mixed["lines"]] == [35000, 0]  # the coupon lowers the snack only
    business = hotel.card("business")  # rack rate: no room discount, the coupon applies
    assert shop.quote([ROOM], business, [shop.coupon(template, business)]).json["due_fen"] == 45000


def test_h3_off_when_the_hotel_lets_discounts_combine(client, hk, clock):
    shop, hotel = _hotel_with_coupons(client, hk, discount_combines_with_coupons=True)
    card = hotel.card("shareholder")
    code = shop.coupon(shop.template(value_fen=5000), card)
    assert shop.quote([ROOM], card, [code]).json["due_fen"] == 30000


def test_p4_a_wheel_prize_can_be_a_coupon(client, hk, clock, monkeypatch):
    monkeypatch.setattr(wheel, "rng_factory", lambda: random.Random(1))
    document = coupons_document([{"id": "coupons", "settings": {}},
                                 {"id": "points", "settings": {"wheel_enabled": True,
                                                               "wheel_free_spins_per_day": 1}}])
    shop = Shop(client, hk, make_merchant(hk, "转盘送券", document))
    template = shop.template(name="转盘券", value_fen=800)
    prize = shop.post("/points/wheel/prizes", {"name": "8元券", "kind": "benefit", "weight": 1,
                                               "benefit": {"kind": "coupon", "template_id": template["id"]}})
    assert prize.status_code == 201, prize.json
    card = shop.card()
    spin = shop.post(f"/cards/{card}/wheel/spin")
    assert spin.status_code == 201, spin.json
    assert spin.json["benefit_given"]["plugin"] == "coupons"
    [coupon] = shop.card_coupons(card)
    assert coupon["reason"] == "benefit" and coupon["template_id"] == template["id"]


def test_p4_a_points_mall_item_can_be_a_coupon(client, hk, clock):
    from tests.plugins.points.conftest import Shop as PointsShop

    shop = Shop(client, hk, make_merchant(hk, "积分换券", coupons_document()))
    points = PointsShop(client, hk, shop.merchant)
    template = shop.template(name="积分换10元券", value_fen=1000, per_member_limit=2)
    item = shop.post("/points/mall/items", {"name": "10元券", "points_cost": 10, "stock": 5,
                                            "benefit": {"kind": "coupon", "template_id": template["id"]}},
                     idempotent=False)
    assert item.status_code == 201, item.json
    bad = shop.post("/points/mall/items", {"name": "坏券", "points_cost": 10, "stock": 5,
                                           "benefit": {"kind": "coupon"}}, idempotent=False)
    assert bad.status_code == 422
    card = shop.card()
    points.buy(card, 300)  # 30 points
    bought = shop.post(f"/cards/{card}/redeem", {"item_id": item.json["id"], "quantity": 2})
    assert bought.status_code == 201, bought.json
    assert [given["plugin"] for given in bought.json["benefits_given"]] == ["coupons", "coupons"]
    assert len(shop.card_coupons(card)) == 2 and points.points(card) == 10
    over = shop.post(f"/cards/{card}/redeem", {"item_id": item.json["id"]})  # the per-member limit
    assert over.status_code == 409
    assert points.points(card) == 10 and len(shop.card_coupons(card)) == 2  # nothing spent
    stock = shop.get("/points/mall/items").json["items"][0]["stock"]
    assert stock == 3
    shop.verify()
