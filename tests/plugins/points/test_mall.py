"""P4 points mall (积分商城): a catalogue with stock; redeeming spends points oldest lots first."""
from __future__ import annotations

import pytest

from .conftest import make_shop


def new_item(shop, role="manager", **fields):
    body = {"name": "保温杯", "points_cost": 30, "stock": 2, **fields}
    return shop.client.post("/api/v1/points/mall/items", json=body, headers=shop.headers(role))


def redeem(shop, card, item_id, quantity=None, headers=None, role="cashier"):
    body = {"item_id": item_id, **({"quantity": quantity} if quantity is not None else {})}
    return shop.client.post(f"/api/v1/cards/{card}/redeem", json=body,
                            headers={**shop.headers(role), **(headers or shop.headers(role, idempotent=True))})


def test_p4_managers_keep_the_catalogue_cashiers_read_it(shop):
    created = new_item(shop, description="500 毫升")
    assert created.status_code == 201, created.json
    item = created.json
    assert item == {"id": item["id"], "name": "保温杯", "description": "500 毫升", "points_cost": 30,
                    "stock": 2, "active": True, "benefit": None}
    assert new_item(shop, role="cashier", name="雨伞").status_code == 403
    listed = shop.client.get("/api/v1/points/mall/items", headers=shop.headers("cashier"))
    assert listed.status_code == 200 and listed.json["items"] == [item]
    duplicate = new_item(shop)
    assert duplicate.status_code == 409 and duplicate.json["error"]["code"] == "item_name_taken"


@pytest.mark.parametrize("body, pointer", [
    ({"name": "杯", "points_cost": 0, "stock": 1}, "/points_cost"),
    ({"name": "杯", "points_cost": 10, "stock": -1}, "/stock"),
    ({"name": "杯", "points_cost": 10.5, "stock": 1}, "/points_cost"),
    ({"name": "   ", "points_cost": 10, "stock": 1}, "/name"),
    ({"points_cost": 10, "stock": 1}, "/name"),
    ({"name": "杯", "points_cost": 10, "stock": 1, "colour": "红"}, "/colour"),
])
def test_p4_bad_items_are_refused_with_a_pointer(shop, body, pointer):
    response = shop.client.post("/api/v1/points/mall/items", json=body, headers=shop.headers())
    assert response.status_code == 422, response.json
    assert pointer in [d["pointer"] for d in response.json["error"]["details"]]
    assert shop.client.get("/api/v1/points/mall/items", headers=shop.headers()).json["items"] == []


def test_p4_redeeming_takes_stock_and_points_in_one_go(shop):
    card = shop.card()
    shop.buy(card, 1000)  # 100 points
    item = new_item(shop, stock=3).json
    response = redeem(shop, card, item["id"], quantity=2)
    assert response.status_code == 201, response.json
    assert response.json["points_spent"] == 60 and response.json["points"] == 40
    assert response.json["item"]["stock"] == 1 and response.json["quantity"] == 2
    assert shop.points(card) == 40 and shop.merchant_points("redeemed") == 60
    history = shop.client.get(f"/api/v1/cards/{card}/history", headers=shop.headers()).json["items"]
    assert history[0]["type"] == "points_redemption" and history[0]["amounts"] == {"points": -60}
    assert history[0]["memo"]["item_name"] == "保温杯"
    shop.verify()


def test_p4_out_of_stock_is_a_409_and_spends_nothing(shop):
    card = shop.card()
    shop.buy(card, 1000)
    item = new_item(shop, stock=1).json
    assert redeem(shop, card, item["id"]).status_code == 201
    response = redeem(shop, card, item["id"])
    assert response.status_code == 409 and response.json["error"]["code"] == "out_of_stock"
    assert shop.points(card) == 70
    too_many = redeem(shop, card, new_item(shop, name="雨伞", stock=2, points_cost=1).json["id"], 3)
    assert too_many.status_code == 409 and too_many.json["error"]["code"] == "out_of_stock"
    assert shop.points(card) == 70
    shop.verify()


def test_p4_too_few_points_keeps_the_stock(shop):
    card = shop.card()
    shop.buy(card, 200)  # 20 points
    item = new_item(shop, stock=5).json
    response = redeem(shop, card, item["id"])
    assert response.status_code == 409 and response.json["error"]["code"] == "insufficient_balance"
    listed = shop.client.get("/api/v1/points/mall/items", headers=shop.headers()).json["items"]
    assert listed[0]["stock"] == 5 and shop.points(card) == 20
    shop.verify()


def test_p4_restock_and_deactivate(shop):
    card = shop.card()
    shop.buy(card, 1000)
    item = new_item(shop, stock=0).json
    assert redeem(shop, card, item["id"]).json["error"]["code"] == "out_of_stock"
    url = f"/api/v1/points/mall/items/{item['id']}"
    restocked = shop.client.patch(url, json={"restock": 4}, headers=shop.headers("manager"))
    assert restocked.status_code == 200 and restocked.json["stock"] == 4
    assert redeem(shop, card, item["id"]).status_code == 201
    assert shop.client.patch(url, json={"active": False}, headers=shop.headers("cashier")).status_code == 403
    off = shop.client.patch(url, json={"active": False, "points_cost": 40}, headers=shop.headers())
    assert off.json["active"] is False and off.json["points_cost"] == 40 and off.json["stock"] == 3
    response = redeem(shop, card, item["id"])
    assert response.status_code == 409 and response.json["error"]["code"] == "item_inactive"
    active = shop.client.get("/api/v1/points/mall/items?active=true", headers=shop.headers()).json
    assert active["items"] == []
    for body in ({}, {"restock": 0}, {"stock": 9}, {"active": "no"}):
        assert shop.client.patch(url, json=body, headers=shop.headers()).status_code == 422, body
    assert shop.client.patch("/api/v1/points/mall/items/999999", json={"restock": 1},
                             headers=shop.headers()).status_code == 404
    assert shop.points(card) == 70
    shop.verify()


@pytest.mark.parametrize("body, pointer", [
    ({}, "/item_id"), ({"item_id": "1"}, "/item_id"), ({"item_id": 1, "quantity": 0}, "/quantity"),
    ({"item_id": 1, "quantity": 101}, "/quantity"), ({"item_id": 1, "points": 5}, "/points"),
])
def test_p4_bad_redemptions_are_refused(shop, body, pointer):
    card = shop.card()
    shop.buy(card, 1000)
    response = shop.client.post(f"/api/v1/cards/{card}/redeem", json=body,
                                headers=shop.headers(idempotent=True))
    assert response.status_code == 422
    assert pointer in [d["pointer"] for d in response.json["error"]["details"]]
    assert shop.points(card) == 100


def test_p4_a_retried_redemption_is_replayed_not_repeated(shop):
    card = shop.card()
    shop.buy(card, 1000)
    item = new_item(shop, stock=5).json
    headers = {"Idempotency-Key": "redeem-1"}
    first = redeem(shop, card, item["id"], headers=headers)
    retry = redeem(shop, card, item["id"], headers=headers)
    assert first.status_code == retry.status_code == 201 and retry.json == first.json
    assert retry.headers.get("Idempotent-Replayed") == "true"
    other = redeem(shop, card, item["id"], quantity=2, headers=headers)
    assert other.status_code == 409 and other.json["error"]["code"] == "idempotency_key_reused"
    missing = shop.client.post(f"/api/v1/cards/{card}/redeem", json={"item_id": item["id"]},
                               headers=shop.headers())
    assert missing.status_code == 428
    assert shop.points(card) == 70
    shop.verify()


def test_p4_unusable_cards_cannot_redeem(shop):
    card = shop.card()
    shop.buy(card, 1000)
    item = new_item(shop).json
    assert shop.client.post(f"/api/v1/cards/{card}/freeze", headers=shop.headers()).status_code == 200
    response = redeem(shop, card, item["id"])
    assert response.status_code == 409 and response.json["error"]["code"] == "card_not_usable"
    assert redeem(shop, "NOSUCHCARD", item["id"]).status_code == 404


def test_p4_items_belong_to_their_merchant(client, hk, shop):
    other = make_shop(client, hk, "隔壁店")
    theirs = new_item(other, name="他们的杯子").json
    card = shop.card()
    shop.buy(card, 1000)
    assert redeem(shop, card, theirs["id"]).status_code == 404
    assert shop.client.patch(f"/api/v1/points/mall/items/{theirs['id']}", json={"restock": 5},
                             headers=shop.headers()).status_code == 404
    assert shop.client.get("/api/v1/points/mall/items", headers=shop.headers()).json["items"] == []
    # The same name is free in another merchant's catalogue.
    assert new_item(shop, name="他们的杯子").status_code == 201
    assert other.client.get("/api/v1/points/mall/items", headers=other.headers()).json["items"] == [theirs]
    assert shop.points(card) == 100
