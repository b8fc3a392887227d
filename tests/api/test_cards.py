"""Cards over the API: issue, bind, read (C3, C5, C6, M2)."""
from __future__ import annotations

import pytest

from core.cards import luhn_check_digit
from tests.support.factories import basic_document, make_merchant


@pytest.fixture
def shop(hk):
    return make_merchant(hk, "卡片测试店", basic_document())


def new_member(client, shop, phone="13800138000"):
    response = client.post("/api/v1/members", json={"name": "张三", "phone": phone},
                           headers=shop.headers())
    assert response.status_code == 201
    return response.json


def test_issue_stock_card_with_generated_number_then_bind(client, shop):
    response = client.post("/api/v1/cards", json={"tier": "gold", "pin": "246810", "batch": "2026-A"},
                           headers=shop.headers("cashier"))
    assert response.status_code == 201, response.json
    card = response.json
    number = card["number"]
    assert len(number) == 16 and number.isdigit() and number[-1] == luhn_check_digit(number[:-1])
    assert card["status"] == "issued" and card["member_id"] is None and card["tier"] == "gold"
    assert card["has_pin"] is True and card["balances"] == {}
    member = new_member(client, shop)
    bound = client.post(f"/api/v1/cards/{number}/bind", json={"member_id": member["id"]},
                        headers=shop.headers("cashier"))
    assert bound.status_code == 200, bound.json
    assert bound.json["status"] == "active" and bound.json["member_id"] == member["id"]
    read = client.get(f"/api/v1/cards/{number}", headers=shop.headers()).json
    assert read["member_id"] == member["id"]
    listed = client.get(f"/api/v1/members/{member['id']}/cards", headers=shop.headers()).json
    assert [c["number"] for c in listed["items"]] == [number]


def test_default_tier_is_the_lowest_rank(client, shop):
    card = client.post("/api/v1/cards", json={}, headers=shop.headers()).json
    assert card["tier"] == "silver" and card["kind"] == "standard" and card["has_pin"] is False


def test_pin_is_stored_as_a_salted_hash_keyed_by_the_pepper(client, hk, shop):
    from sqlalchemy import select

    from core.models import Card

    client.post("/api/v1/cards", json={"number": "PIN00001", "pin": "135790"}, headers=shop.headers())
    client.post("/api/v1/cards", json={"number": "PIN00002", "pin": "135790"}, headers=shop.headers())
    with hk.db.read() as session:
        hashes = session.scalars(select(Card.pin_hash).where(Card.merchant_id == shop.id)).all()
    assert all(h.startswith("hmac-sha256$") and "135790" not in h for h in hashes)
    assert hashes[0] != hashes[1]  # salted


def test_card_number_unique_per_merchant(client, hk, shop):
    assert client.post("/api/v1/cards", json={"number": "VIP0001"}, headers=shop.headers()).status_code == 201
    again = client.post("/api/v1/cards", json={"number": "VIP0001"}, headers=shop.headers())
    assert again.status_code == 409 and again.json["error"]["code"] == "card_number_taken"
    other = make_merchant(hk, "别家", basic_document())
    assert client.post("/api/v1/cards", json={"number": "VIP0001"}, headers=other.headers()).status_code == 201


@pytest.mark.parametrize("data, pointer", [
    ({"number": "x"}, "/number"),
    ({"number": "has space 1"}, "/number"),
    ({"kind": "platinum"}, "/kind"),
    ({"pin": "12ab56"}, "/pin"),
    ({"pin": "123"}, "/pin"),
    ({"tier": "bronze"}, "/tier"),
    ({"expires_on": "next year"}, "/expires_on"),
    ({"colour": "red"}, "/colour"),
])
def test_bad_card_input_is_refused_and_nothing_issued(client, hk, shop, data, pointer):
    response = client.post("/api/v1/cards", json=data, headers=shop.headers())
    assert response.status_code == 422, response.json
    assert any(d["pointer"] == pointer for d in response.json["error"]["details"])
    from sqlalchemy import func, select

    from core.models import Card

    with hk.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Card)) == 0


def test_one_person_one_card_by_default(client, shop):
    member = new_member(client, shop)
    first = client.post("/api/v1/cards", json={"member_id": member["id"]}, headers=shop.headers())
    assert first.status_code == 201
    second = client.post("/api/v1/cards", json={"member_id": member["id"]}, headers=shop.headers())
    assert second.status_code == 409 and second.json["error"]["code"] == "card_limit_reached"
    stock = client.post("/api/v1/cards", json={"number": "STOCK001"}, headers=shop.headers()).json
    bind = client.post(f"/api/v1/cards/{stock['number']}/bind", json={"member_id": member["id"]},
                       headers=shop.headers())
    assert bind.status_code == 409
    assert client.get("/api/v1/cards/STOCK001", headers=shop.headers()).json["status"] == "issued"


def test_merchant_may_allow_several_cards(client, hk):
    shop = make_merchant(hk, "家庭卡店", basic_document(policies={"cards_per_member": 2}))
    member = new_member(client, shop)
    for _ in range(2):
        assert client.post("/api/v1/cards", json={"member_id": member["id"]},
                           headers=shop.headers()).status_code == 201
    assert client.post("/api/v1/cards", json={"member_id": member["id"]},
                       headers=shop.headers()).status_code == 409


def test_bound_card_cannot_be_bound_again(client, shop):
    first = new_member(client, shop)
    second = new_member(client, shop, phone="13900139000")
    card = client.post("/api/v1/cards", json={"member_id": first["id"]}, headers=shop.headers()).json
    response = client.post(f"/api/v1/cards/{card['number']}/bind", json={"member_id": second["id"]},
                           headers=shop.headers())
    assert response.status_code == 409 and response.json["error"]["code"] == "card_not_bindable"


def test_bind_to_unknown_member_or_bad_id(client, shop):
    card = client.post("/api/v1/cards", json={}, headers=shop.headers()).json
    url = f"/api/v1/cards/{card['number']}/bind"
    assert client.post(url, json={"member_id": 99999}, headers=shop.headers()).status_code == 404
    assert client.post(url, json={"member_id": "1"}, headers=shop.headers()).status_code == 422
    assert client.post(url, json={}, headers=shop.headers()).status_code == 422


def test_unknown_card_is_404(client, shop):
    response = client.get("/api/v1/cards/NOPE0000", headers=shop.headers())
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
