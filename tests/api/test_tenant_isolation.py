"""Every API route is scoped to the caller's merchant: another merchant's objects answer 404.

The test walks the app's URL map, so a new route fails here until it is covered.
"""
from __future__ import annotations

import re

import pytest

from tests.support.factories import basic_document, make_merchant

# A body that would be valid for the route if the object were the caller's own.
BODIES = {
    "updateMember": {"name": "改名"},
    "updateMallItem": {"stock": 0},
    "redeemMallItem": {"item_id": 1, "quantity": 1},
    "adjustPoints": {"points": 10, "reason": "测试"},
    "rechargeStoredValue": {"amount_fen": 50000, "payment": {"method": "cash"}},
    "payPurchaseCardFee": {"payment": {"method": "cash"}},
    "withdrawStoredValue": {"pin": "123456", "payment": {"method": "cash"}},
    "refundStoredValue": {"pin": "123456", "payment": {"method": "cash"}},
    "extendCard": {"expires_on": "2099-01-01"},
    "updateWheelPrize": {"weight": 2},
    "bindCard": {"member_id": None},  # filled with B's own member below
    "rollbackConfig": None,
}


PLUGINS = [{"id": "points", "settings": {"wheel_enabled": True}}, {"id": "stored_value", "settings": {}}]


@pytest.fixture
def two_merchants(client, hk):
    # Both merchants enable the money plugins, so their routes are reachable and really checked.
    a_document = basic_document(plugins=PLUGINS)
    a = make_merchant(hk, "商户甲", a_document)
    for discount in (900, 880):  # A has versions 1..3, B only 1
        a_document["tiers"][1]["discount_permille"] = discount
        client.put("/api/v1/config/draft", json=a_document, headers=a.headers())
        client.post("/api/v1/config/publish", headers=a.headers())
    b_document = basic_document(plugins=PLUGINS,
                                tiers=[{"key": "vip", "name": {"zh-CN": "贵宾", "en": "VIP"},
                                        "rank": 0, "discount_permille": 900}])
    b = make_merchant(hk, "商户乙", b_document)
    a_member = client.post("/api/v1/members", json={"name": "甲会员", "phone": "13800000001"},
                           headers=a.headers()).json
    a_card = client.post("/api/v1/cards", json={"number": "AAAA0001", "member_id": a_member["id"]},
                         headers=a.headers()).json
    a_stock = client.post("/api/v1/cards", json={"number": "AAAA0002"}, headers=a.headers()).json
    b_member = client.post("/api/v1/members", json={"name": "乙会员", "phone": "13900000001"},
                           headers=b.headers()).json
    a_checkout = client.post("/api/v1/checkout", json={
        "card_number": "AAAA0001", "lines": [{"sku": "A", "unit_price_fen": 1000}],
        "payments": [{"method": "cash", "amount_fen": 950}]},
        headers={**a.headers(), "Idempotency-Key": "a-1"}).json
    a_item = client.post("/api/v1/points/mall/items", json={"name": "保温杯", "points_cost": 100, "stock": 5},
                         headers=a.headers()).json
    a_prize = client.post("/api/v1/points/wheel/prizes", json={"name": "谢谢参与", "kind": "none", "weight": 1},
                          headers=a.headers()).json
    cheque = client.post("/api/v1/cards/AAAA0001/recharge", json={
        "amount_fen": 50000, "payment": {"method": "cheque", "reference": "CHQ-1"}},
        headers={**a.headers(), "Idempotency-Key": "a-cheque"})
    assert cheque.status_code == 201, cheque.json
    history = client.get("/api/v1/cards/AAAA0001/history", headers=a.headers()).json["items"]
    a_cheque_id = next(item["transaction_id"] for item in history if "stored_value_pending" in item["amounts"])
    return {"a": a, "b": b, "a_member": a_member, "a_card": a_card, "a_stock": a_stock,
            "b_member": b_member, "a_checkout": a_checkout, "a_item": a_item, "a_prize": a_prize,
            "a_cheque_id": a_cheque_id}


def api_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")]


def fill(rule: str, values: dict) -> str:
    def replace(match):
        name = match.group(2)
        if name not in values:
            raise AssertionError(f"route {rule} has parameter {name!r} the isolation test does not know")
        return str(values[name])

    return re.sub(r"<(?:(\w+):)?(\w+)>", replace, rule)


def test_every_route_with_an_object_id_answers_404_for_another_merchant(app, client, two_merchants):
    a_ids = {"member_id": two_merchants["a_member"]["id"], "card_number": "AAAA0002",
             "tier_key": "gold", "version": 3, "checkout_id": two_merchants["a_checkout"]["checkout_id"],
             "item_id": two_merchants["a_item"]["id"], "prize_id": two_merchants["a_prize"]["id"],
             "transaction_id": two_merchants["a_cheque_id"]}
    b = two_merchants["b"]
    checked = []
    for rule in api_rules(app):
        if not rule.arguments:
            continue
        url = fill(rule.rule, a_ids)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            endpoint = rule.endpoint.removeprefix("api.")
            body = BODIES.get(endpoint)
            if endpoint == "bindCard":
                body = {"member_id": two_merchants["b_member"]["id"]}
            headers = {**b.headers("owner"), "Idempotency-Key": f"iso-{endpoint}"}
            response = client.open(url, method=method, json=body, headers=headers)
            assert response.status_code == 404, (method, url, response.json)
            assert response.json["error"]["code"] == "not_found"
            checked.append(endpoint)
    assert {"getMember", "updateMember", "listMemberCards", "getCard", "bindCard", "getTier",
            "getVersion", "rollbackConfig", "getCheckout", "returnCheckout", "replaceCard",
            "getCardBalances", "getCardHistory", "updateMallItem", "updateWheelPrize",
            "clearStoredValueCheque", "rechargeStoredValue", "redeemMallItem"} <= set(checked)
    # Nothing of A's changed.
    a = two_merchants["a"]
    assert client.get(f"/api/v1/members/{a_ids['member_id']}", headers=a.headers()).json["name"] == "甲会员"
    assert client.get("/api/v1/cards/AAAA0002", headers=a.headers()).json["status"] == "issued"
    a_receipt = client.get(f"/api/v1/checkouts/{a_ids['checkout_id']}", headers=a.headers()).json
    assert a_receipt["returns"] == []
    items = client.get("/api/v1/points/mall/items", headers=a.headers()).json["items"]
    assert [(i["name"], i["stock"]) for i in items] == [("保温杯", 5)]
    assert len(client.get("/api/v1/config/versions", headers=a.headers()).json["items"]) == 3


# Routes without object ids: each gets a check that it shows or touches only the caller's data.
def _search(client, t):
    b = t["b"]
    assert client.get("/api/v1/members?phone=13800000001", headers=b.headers()).json["total"] == 0
    assert client.get("/api/v1/members?card_number=AAAA0001", headers=b.headers()).json["total"] == 0
    listed = client.get("/api/v1/members", headers=b.headers()).json
    assert [m["name"] for m in listed["items"]] == ["乙会员"]


def _create_member(client, t):
    # A's phone is free in B: uniqueness is per merchant.
    response = client.post("/api/v1/members", json={"name": "同号", "phone": "13800000001"},
                           headers=t["b"].headers())
    assert response.status_code == 201


def _issue_card(client, t):
    b = t["b"]
    onto_a_member = client.post("/api/v1/cards", json={"member_id": t["a_member"]["id"]},
                                headers=b.headers())
    assert onto_a_member.status_code == 404
    same_number = client.post("/api/v1/cards", json={"number": "AAAA0001"}, headers=b.headers())
    assert same_number.status_code == 201
    assert client.get("/api/v1/cards/AAAA0001", headers=t["a"].headers()).json["member_id"] == t["a_member"]["id"]


def _list_tiers(client, t):
    keys = [tier["key"] for tier in client.get("/api/v1/tiers", headers=t["b"].headers()).json["items"]]
    assert keys == ["vip"]


def _draft(client, t):
    draft = client.get("/api/v1/config/draft", headers=t["b"].headers()).json
    assert [tier["key"] for tier in draft["document"]["tiers"]] == ["vip"]


def _save_draft(client, t):
    response = client.put("/api/v1/config/draft", json=basic_document(), headers=t["b"].headers())
    assert response.status_code == 200
    a_draft = client.get("/api/v1/config/draft", headers=t["a"].headers()).json
    assert a_draft["document"]["tiers"][1]["discount_permille"] == 880


def _publish(client, t):
    response = client.post("/api/v1/config/publish", headers=t["b"].headers())
    assert response.json["version"] == 2  # B's own numbering
    assert len(client.get("/api/v1/config/versions", headers=t["a"].headers()).json["items"]) == 3


def _published(client, t):
    published = client.get("/api/v1/config/published", headers=t["b"].headers()).json
    assert published["version"] == 1


def _versions(client, t):
    items = client.get("/api/v1/config/versions", headers=t["b"].headers()).json["items"]
    assert [v["version"] for v in items] == [1]


def _plugins(client, t):
    items = client.get("/api/v1/plugins", headers=t["b"].headers()).json["items"]
    assert {item["id"] for item in items if item["enabled"]} == {"points", "stored_value"}


def _me(client, t):
    assert client.get("/api/v1/me", headers=t["b"].headers()).json["merchant"]["name"] == "商户乙"


def _quote(client, t):
    response = client.post("/api/v1/checkout/quote", json={
        "card_number": "AAAA0001", "lines": [{"sku": "A", "unit_price_fen": 100}]},
        headers=t["b"].headers())
    assert response.status_code == 404  # A's card number means nothing to B


def _checkout(client, t):
    response = client.post("/api/v1/checkout", json={
        "card_number": "AAAA0001", "lines": [{"sku": "A", "unit_price_fen": 100}],
        "payments": [{"method": "cash", "amount_fen": 100}]},
        headers={**t["b"].headers(), "Idempotency-Key": "a-1"})  # A's key too
    assert response.status_code == 404


def _mall_items(client, t):
    assert client.get("/api/v1/points/mall/items", headers=t["b"].headers()).json["items"] == []


def _create_mall_item(client, t):
    created = client.post("/api/v1/points/mall/items", json={"name": "乙的杯", "points_cost": 1, "stock": 1},
                          headers=t["b"].headers())
    assert created.status_code == 201
    names = [i["name"] for i in client.get("/api/v1/points/mall/items", headers=t["a"].headers()).json["items"]]
    assert names == ["保温杯"]


def _wheel_prizes(client, t):
    assert client.get("/api/v1/points/wheel/prizes", headers=t["b"].headers()).json["items"] == []


def _create_wheel_prize(client, t):
    created = client.post("/api/v1/points/wheel/prizes", json={"name": "乙奖", "kind": "none", "weight": 1},
                          headers=t["b"].headers())
    assert created.status_code == 201
    assert len(client.get("/api/v1/points/wheel/prizes", headers=t["a"].headers()).json["items"]) == 1


def _expiring(client, t):
    response = client.get("/api/v1/points/expiring?days=3660", headers=t["b"].headers())
    assert response.status_code == 200 and "AAAA0001" not in response.get_data(as_text=True)


def _expire(client, t):
    response = client.post("/api/v1/points/expire", headers={**t["b"].headers(), "Idempotency-Key": "b-exp"})
    assert response.status_code in (200, 201) and "AAAA0001" not in response.get_data(as_text=True)


def _openapi(client, t):
    assert client.get("/api/v1/openapi.json").status_code == 200  # public, holds no tenant data


COLLECTION_CHECKS = {  # reads first, then writes
    "searchMembers": _search, "listTiers": _list_tiers, "getDraft": _draft,
    "getPublishedConfig": _published, "listVersions": _versions, "listPlugins": _plugins,
    "getMe": _me, "openapi": _openapi, "quoteCheckout": _quote, "checkout": _checkout,
    "listMallItems": _mall_items, "listWheelPrizes": _wheel_prizes, "listExpiringPoints": _expiring,
    "createMallItem": _create_mall_item, "createWheelPrize": _create_wheel_prize,
    "expirePoints": _expire,
    "createMember": _create_member, "issueCard": _issue_card, "saveDraft": _save_draft,
    "publishConfig": _publish,
}


def test_every_route_without_ids_is_scoped_to_the_caller(app, client, two_merchants):
    endpoints = {rule.endpoint.removeprefix("api.") for rule in api_rules(app) if not rule.arguments}
    assert endpoints == set(COLLECTION_CHECKS), "add an isolation check for the new route"
    for check in COLLECTION_CHECKS.values():
        check(client, two_merchants)
