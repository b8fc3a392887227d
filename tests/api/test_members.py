"""Members over the API (M1, M2): create, read, update, search, paging, bad input."""
from __future__ import annotations

import pytest

from tests.support.factories import basic_document, make_merchant


@pytest.fixture
def shop(hk):
    return make_merchant(hk, "茶饮小店", basic_document())


def create(client, shop, role="cashier", **data):
    body = {"name": "王芳", "phone": "13800138000", **data}
    return client.post("/api/v1/members", json=body, headers=shop.headers(role))


def test_create_and_read_member_with_custom_fields(client, shop):
    response = create(client, shop, gender="female", birthday="1990-05-17",
                      extra={"wechat_id": "wangfang", "favourite": "tea"})
    assert response.status_code == 201, response.json
    member = response.json
    assert member["name"] == "王芳" and member["extra"] == {"wechat_id": "wangfang", "favourite": "tea"}
    again = client.get(f"/api/v1/members/{member['id']}", headers=shop.headers("cashier"))
    assert again.status_code == 200
    assert again.json["phone"] == "13800138000" and again.json["birthday"] == "1990-05-17"


def test_phone_is_unique_per_merchant_but_not_across_merchants(client, hk, shop):
    assert create(client, shop).status_code == 201
    duplicate = create(client, shop, name="李四")
    assert duplicate.status_code == 409
    assert duplicate.json["error"]["code"] == "phone_taken"
    other = make_merchant(hk, "另一家店", basic_document())
    assert create(client, other).status_code == 201


@pytest.mark.parametrize("data, pointer", [
    ({"phone": "12345"}, "/phone"),
    ({"name": ""}, "/name"),
    ({"gender": "robot"}, "/gender"),
    ({"birthday": "1990-02-30"}, "/birthday"),
    ({"birthday": "2999-01-01"}, "/birthday"),
    ({"extra": {"favourite": "beer"}}, "/extra/favourite"),
    ({"extra": {"unknown_field": 1}}, "/extra"),
    ({"extra": {"wechat_id": 42}}, "/extra/wechat_id"),
    ({"nickname": "x"}, "/nickname"),
])
def test_bad_member_input_is_refused_with_pointer_and_saves_nothing(client, shop, data, pointer):
    response = create(client, shop, **data)
    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["code"] == "invalid"
    assert any(item["pointer"] == pointer for item in error["details"]), error
    listed = client.get("/api/v1/members", headers=shop.headers())
    assert listed.json["total"] == 0


def test_lunar_birthday_keeps_lunar_day_thirty(client, shop):
    response = create(client, shop, birthday="1988-02-30", birthday_calendar="lunar")
    assert response.status_code == 201, response.json
    assert response.json["birthday"] == "1988-02-30"
    assert response.json["birthday_calendar"] == "lunar"


def test_required_custom_field_is_enforced(client, hk):
    document = basic_document()
    document["fields"][0]["required"] = True
    shop = make_merchant(hk, "必填店", document)
    missing = create(client, shop)
    assert missing.status_code == 422
    assert missing.json["error"]["details"][0]["pointer"] == "/extra"
    assert create(client, shop, extra={"wechat_id": "w1"}).status_code == 201


def test_patch_updates_fields_and_merges_extra(client, shop):
    member = create(client, shop, extra={"wechat_id": "old", "favourite": "tea"}).json
    url = f"/api/v1/members/{member['id']}"
    response = client.patch(url, json={"address": "上海市南京路1号", "extra": {"wechat_id": "new"}},
                            headers=shop.headers("cashier"))
    assert response.status_code == 200, response.json
    assert response.json["address"] == "上海市南京路1号"
    assert response.json["extra"] == {"wechat_id": "new", "favourite": "tea"}
    cleared = client.patch(url, json={"extra": {"favourite": None}}, headers=shop.headers())
    assert cleared.json["extra"] == {"wechat_id": "new"}


def test_patch_with_bad_input_changes_nothing(client, shop):
    member = create(client, shop).json
    url = f"/api/v1/members/{member['id']}"
    response = client.patch(url, json={"name": "新名字", "phone": "bad"}, headers=shop.headers())
    assert response.status_code == 422
    assert client.get(url, headers=shop.headers()).json["name"] == "王芳"


def test_patch_to_a_taken_phone_conflicts(client, shop):
    create(client, shop)
    second = create(client, shop, name="李四", phone="13900139000").json
    response = client.patch(f"/api/v1/members/{second['id']}", json={"phone": "13800138000"},
                            headers=shop.headers())
    assert response.status_code == 409
    assert client.get(f"/api/v1/members/{second['id']}", headers=shop.headers()).json["phone"] == "13900139000"


def test_search_by_phone_card_number_and_name_prefix(client, shop):
    wang = create(client, shop, name="王芳", phone="13800000001").json
    create(client, shop, name="王伟", phone="13800000002")
    create(client, shop, name="李娜", phone="13800000003")
    card = client.post("/api/v1/cards", json={"member_id": wang["id"], "number": "CARD0001"},
                       headers=shop.headers()).json
    h = shop.headers("cashier")
    by_phone = client.get("/api/v1/members?phone=13800000003", headers=h).json
    assert [m["name"] for m in by_phone["items"]] == ["李娜"]
    by_card = client.get(f"/api/v1/members?card_number={card['number']}", headers=h).json
    assert [m["id"] for m in by_card["items"]] == [wang["id"]]
    by_name = client.get("/api/v1/members?name_prefix=王", headers=h).json
    assert sorted(m["name"] for m in by_name["items"]) == ["王伟", "王芳"] and by_name["total"] == 2
    wildcard = client.get("/api/v1/members?name_prefix=%25", headers=h).json
    assert wildcard["total"] == 0  # % is a literal, not a wildcard


def test_paging(client, shop):
    for index in range(7):
        create(client, shop, name=f"会员{index}", phone=f"1390000000{index}")
    h = shop.headers()
    first = client.get("/api/v1/members?per_page=3", headers=h).json
    third = client.get("/api/v1/members?per_page=3&page=3", headers=h).json
    assert first["total"] == 7 and len(first["items"]) == 3
    assert [m["name"] for m in third["items"]] == ["会员6"]
    for bad in ("per_page=0", "per_page=101", "page=0", "page=x"):
        response = client.get(f"/api/v1/members?{bad}", headers=h)
        assert response.status_code == 422, bad


def test_body_must_be_json_object(client, shop):
    h = shop.headers()
    assert client.post("/api/v1/members", data="not json", headers={**h, "Content-Type": "application/json"}).status_code == 400
    assert client.post("/api/v1/members", data="name=x", headers=h).status_code == 400
    assert client.post("/api/v1/members", json=[1, 2], headers=h).status_code == 422
