"""Merchant configuration over the API: draft, publish, versions, rollback, tiers (L1, C1)."""
from __future__ import annotations

import copy

import pytest

from tests.support.factories import basic_document, make_merchant


@pytest.fixture
def shop(hk):
    return make_merchant(hk, "配置测试店")


def put_draft(client, shop, document, role="manager"):
    return client.put("/api/v1/config/draft", json=document, headers=shop.headers(role))


def publish(client, shop, note="", role="manager"):
    return client.post("/api/v1/config/publish", json={"note": note}, headers=shop.headers(role))


def test_new_merchant_has_an_empty_draft_and_no_versions(client, shop):
    draft = client.get("/api/v1/config/draft", headers=shop.headers()).json
    assert draft["based_on_version"] is None
    assert draft["document"]["schema_version"] == 1 and draft["document"]["plugins"] == []
    assert client.get("/api/v1/config/versions", headers=shop.headers()).json["items"] == []
    published = client.get("/api/v1/config/published", headers=shop.headers("cashier")).json
    assert published["version"] is None and published["enabled_plugins"] == []


def test_publish_stores_versions_and_syncs_tiers(client, shop):
    assert put_draft(client, shop, basic_document()).status_code == 200
    first = publish(client, shop, note="开业")
    assert first.status_code == 201, first.json
    assert first.json["version"] == 1 and first.json["note"] == "开业"
    tiers = client.get("/api/v1/tiers", headers=shop.headers("cashier")).json["items"]
    assert [(t["key"], t["discount_permille"]) for t in tiers] == [("silver", 950), ("gold", 880)]

    changed = basic_document()
    changed["tiers"][1]["discount_permille"] = 800
    changed["tiers"] = changed["tiers"][1:]  # silver removed
    put_draft(client, shop, changed)
    assert publish(client, shop).json["version"] == 2
    tiers = {t["key"]: t for t in client.get("/api/v1/tiers", headers=shop.headers()).json["items"]}
    assert tiers["gold"]["discount_permille"] == 800 and tiers["gold"]["active"] is True
    assert tiers["silver"]["active"] is False  # kept for cards that point to it
    gold = client.get("/api/v1/tiers/gold", headers=shop.headers()).json
    assert gold["name"] == {"zh-CN": "金卡", "en": "Gold"}

    versions = client.get("/api/v1/config/versions", headers=shop.headers()).json["items"]
    assert [v["version"] for v in versions] == [2, 1]
    old = client.get("/api/v1/config/versions/1", headers=shop.headers()).json
    assert old["document"]["tiers"][1]["discount_permille"] == 880  # immutable


def test_rollback_republishes_an_old_version(client, shop):
    put_draft(client, shop, basic_document())
    publish(client, shop)
    changed = basic_document()
    changed["tiers"][1]["discount_permille"] = 700
    put_draft(client, shop, changed)
    publish(client, shop)
    response = client.post("/api/v1/config/versions/1/rollback", headers=shop.headers())
    assert response.status_code == 201, response.json
    assert response.json["version"] == 3 and response.json["rolled_back_from"] == 1
    assert client.get("/api/v1/tiers/gold", headers=shop.headers()).json["discount_permille"] == 880
    draft = client.get("/api/v1/config/draft", headers=shop.headers()).json
    assert draft["based_on_version"] == 3 and draft["document"]["tiers"][1]["discount_permille"] == 880
    assert [v["version"] for v in client.get("/api/v1/config/versions", headers=shop.headers()).json["items"]] == [3, 2, 1]
    assert client.post("/api/v1/config/versions/9/rollback", headers=shop.headers()).status_code == 404


def test_draft_with_wrong_shape_is_refused_and_old_draft_kept(client, shop):
    put_draft(client, shop, basic_document())
    bad = basic_document()
    bad["tiers"][0]["discount_permille"] = 1.5  # never floats
    response = put_draft(client, shop, bad)
    assert response.status_code == 422
    assert any(d["pointer"] == "/tiers/0/discount_permille" for d in response.json["error"]["details"])
    draft = client.get("/api/v1/config/draft", headers=shop.headers()).json["document"]
    assert draft["tiers"][0]["discount_permille"] == 950


@pytest.mark.parametrize("mutate, pointer", [
    (lambda d: d["tiers"].append(copy.deepcopy(d["tiers"][0])), "/tiers/2/key"),
    (lambda d: d["tiers"].append({**copy.deepcopy(d["tiers"][0]), "key": "other"}), "/tiers/2/rank"),
    (lambda d: d["fields"].append(copy.deepcopy(d["fields"][0])), "/fields/2/key"),
    (lambda d: d["fields"].append({"key": "phone", "type": "text",
                                   "label": {"zh-CN": "电话", "en": "Phone"}}), "/fields/2/key"),
    (lambda d: d["plugins"].append({"id": "no_such_plugin", "settings": {}}), "/plugins/0/id"),
])
def test_publish_refuses_inconsistent_documents(client, shop, mutate, pointer):
    document = basic_document()
    mutate(document)
    saved = put_draft(client, shop, document)
    if saved.status_code == 422:  # caught by the shape check already
        details = saved.json["error"]["details"]
    else:
        response = publish(client, shop)
        assert response.status_code == 422
        details = response.json["error"]["details"]
    assert any(d["pointer"] == pointer for d in details), details
    assert client.get("/api/v1/config/versions", headers=shop.headers()).json["items"] == []


def test_publish_note_must_be_text(client, shop):
    put_draft(client, shop, basic_document())
    response = client.post("/api/v1/config/publish", json={"note": 5}, headers=shop.headers())
    assert response.status_code == 422


def test_publish_without_body_is_allowed(client, shop):
    put_draft(client, shop, basic_document())
    response = client.post("/api/v1/config/publish", headers=shop.headers())
    assert response.status_code == 201


def test_member_extra_follows_the_published_fields(client, shop):
    put_draft(client, shop, basic_document())
    publish(client, shop)
    create = client.post("/api/v1/members", json={"name": "赵六", "phone": "13700137000",
                                                   "extra": {"wechat_id": "z6"}}, headers=shop.headers())
    assert create.status_code == 201
    document = basic_document()
    document["fields"].append({"key": "hobby", "type": "text", "label": {"zh-CN": "爱好", "en": "Hobby"}})
    put_draft(client, shop, document)
    # Only the draft has the new field: members cannot use it before publishing.
    early = client.patch(f"/api/v1/members/{create.json['id']}", json={"extra": {"hobby": "茶"}},
                         headers=shop.headers())
    assert early.status_code == 422
    publish(client, shop)
    late = client.patch(f"/api/v1/members/{create.json['id']}", json={"extra": {"hobby": "茶"}},
                        headers=shop.headers())
    assert late.status_code == 200 and late.json["extra"]["hobby"] == "茶"
