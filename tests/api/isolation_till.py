"""Tenant isolation of the till's plugins and shifts (issue 13): goods, coupons, count cards
(service_packages), shifts. Merchant A's objects, the check that none of them changed, and
the checks of the routes without ids; used by tests/api/test_tenant_isolation.py."""
from __future__ import annotations


def make_till_objects(client, a) -> dict:
    """A's sold and used count card, coupon template and coupon, product with stock, open shift."""
    a_service = client.post("/api/v1/cards/AAAA0001/service-packages", json={
        "plan": "wash_20", "payment": {"method": "cash"}},
        headers={**a.headers(), "Idempotency-Key": "a-service"})
    assert a_service.status_code == 201, a_service.json
    a_use = client.post("/api/v1/cards/AAAA0001/service-package-uses", json={},
                        headers={**a.headers(), "Idempotency-Key": "a-use"})
    assert a_use.status_code == 201, a_use.json
    a_template = client.post("/api/v1/coupon-templates", json={
        "name": "十元券", "kind": "cash", "value_fen": 1000, "valid_days": 30}, headers=a.headers()).json
    a_coupon = client.post("/api/v1/coupons/issue", json={"template_id": a_template["id"], "card_number": "AAAA0001"},
                           headers={**a.headers(), "Idempotency-Key": "a-coupon"}).json["coupons"][0]
    a_product = client.post("/api/v1/products", json={"products": [{
        "sku": "A-MILK", "barcode": "6900000000011", "name": "甲牛奶", "price_fen": 1200,
        "category": "食品/乳品"}]}, headers=a.headers()).json["products"][0]
    received = client.post("/api/v1/stock/movements", json={"movements": [{
        "kind": "receive", "product_id": a_product["id"], "quantity": 7, "reference": "A-IN-1"}]},
        headers={**a.headers(), "Idempotency-Key": "a-stock"})
    assert received.status_code == 201, received.json
    a_shift = client.post("/api/v1/shifts", json={"opening_float_fen": 100}, headers=a.headers()).json
    return {"a_service_package": a_service.json["packages"][0], "a_use": a_use.json,
            "a_template": a_template, "a_coupon": a_coupon, "a_product": a_product, "a_shift": a_shift}


def assert_a_untouched(client, t):
    """A's goods, coupons, count cards and shift are as the fixture left them."""
    a = t["a"].headers()
    product = client.get(f"/api/v1/products/{t['a_product']['id']}", headers=a).json
    assert (product["name"], product["price_fen"], product["stock_by_store"]) == (
        "甲牛奶", 1200, {str(t["a"].store_ids[0]): 7})
    assert [m["quantity"] for m in client.get("/api/v1/stock/movements", headers=a).json["movements"]] == [7]
    assert [c["path"] for c in client.get("/api/v1/categories", headers=a).json["categories"]] == ["食品", "食品/乳品"]
    templates = client.get("/api/v1/coupon-templates", headers=a).json["templates"]
    assert [(x["name"], x["active"]) for x in templates] == [("十元券", True)]
    coupon = client.get(f"/api/v1/coupons/{t['a_coupon']['code']}", headers=a).json
    assert coupon["status"] == "issued"
    assert [c["code"] for c in client.get("/api/v1/cards/AAAA0001/coupons", headers=a).json["coupons"]] == [
        t["a_coupon"]["code"]]
    packages = client.get("/api/v1/cards/AAAA0001/service-packages", headers=a).json["packages"]
    assert [(p["plan_key"], p["sessions_left"], p["status"]) for p in packages] == [("wash_20", 19, "active")]
    shift = client.get(f"/api/v1/shifts/{t['a_shift']['id']}", headers=a).json
    assert (shift["state"], shift["notes"], shift["staff_id"]) == ("open", [], t["a"].staff_ids["owner"])
    assert client.get("/api/v1/shifts/current", headers=a).json["id"] == t["a_shift"]["id"]


def check_goods_reads(client, t):
    b = t["b"].headers()
    a_product = t["a_product"]
    assert client.get("/api/v1/categories", headers=b).json["categories"] == []
    for query in ("", "?q=甲牛奶", "?q=jnn", f"?barcode={a_product['barcode']}", f"?q={a_product['sku']}",
                  "?include_inactive=true"):
        assert client.get(f"/api/v1/products{query}", headers=b).json["products"] == [], query
    a_store = t["a"].store_ids[0]
    for path in ("stock", "stock/low", f"stock?store={a_store}", f"stock/low?store={a_store}",
                 "stock/movements", f"stock/movements?product_id={a_product['id']}",
                 f"stock/movements?store={a_store}"):
        response = client.get(f"/api/v1/{path}", headers=b)
        assert response.status_code in (200, 403, 404, 422), (path, response.json)
        if "store=" in path:  # another merchant's store is not a store B may name
            assert response.status_code == 422, (path, response.json)
        assert "甲" not in str(response.json) and "A-MILK" not in str(response.json), path
        if response.status_code == 200:
            assert list(response.json.values())[0] == [], path


def check_save_categories(client, t):
    b = t["b"].headers()
    a_category = client.get("/api/v1/categories", headers=t["a"].headers()).json["categories"][0]
    under_a = client.post("/api/v1/categories", json={"categories": [{"name": "乙类", "parent_id": a_category["id"]}]},
                          headers=b)
    assert under_a.status_code == 422, under_a.json
    same_path = client.post("/api/v1/categories", json={"categories": [{"path": "食品/乳品"}]}, headers=b)
    assert same_path.status_code == 200, same_path.json
    assert {c["id"] for c in same_path.json["categories"]}.isdisjoint({a_category["id"]})
    assert_a_untouched(client, t)


def check_save_products(client, t):
    b = t["b"].headers()
    a_product = t["a_product"]
    a_category_ids = [c["id"] for c in client.get("/api/v1/categories", headers=t["a"].headers()).json["categories"]]
    into_a_category = client.post("/api/v1/products", json={"products": [{
        "sku": "B-1", "name": "乙商品", "price_fen": 100, "category_id": a_category_ids[-1]}]}, headers=b)
    assert into_a_category.status_code == 422, into_a_category.json
    # A's SKU and barcode are free in B: B gets a product of its own, A's stays as it was.
    same_codes = client.post("/api/v1/products", json={"products": [{
        "sku": a_product["sku"], "barcode": a_product["barcode"], "name": "乙牛奶", "price_fen": 1}]}, headers=b)
    assert same_codes.status_code == 200, same_codes.json
    assert same_codes.json["products"][0]["id"] != a_product["id"]
    assert [p["name"] for p in client.get("/api/v1/products", headers=b).json["products"]] == ["乙牛奶"]
    assert_a_untouched(client, t)


def check_record_stock(client, t):
    b, b_store, a_store = t["b"].headers(), t["b"].store_ids[0], t["a"].store_ids[0]
    a_product = t["a_product"]
    client.post("/api/v1/products", json={"products": [{"sku": "B-TEA", "name": "乙茶", "price_fen": 1}]}, headers=b)
    tries = [{"kind": "receive", "product_id": a_product["id"], "quantity": 5},
             {"kind": "adjust", "product_id": a_product["id"], "quantity": -7},
             {"kind": "stocktake", "product_id": a_product["id"], "counted": 0},
             {"kind": "receive", "sku": "B-TEA", "quantity": 5, "store_id": a_store},
             {"kind": "transfer", "sku": "B-TEA", "quantity": 1, "store_id": b_store, "to_store_id": a_store},
             {"kind": "receive", "sku": "B-TEA", "quantity": 5, "reference": "A-IN-1"}]  # A's reference
    for index, movement in enumerate(tries):
        response = client.post("/api/v1/stock/movements", json={"movements": [movement]},
                               headers={**b, "Idempotency-Key": f"b-stock-{index}"})
        if index == len(tries) - 1:  # A's reference is no reference of B's
            assert response.status_code == 201, response.json
        else:
            assert response.status_code in (403, 404, 422), (movement, response.json)
    assert_a_untouched(client, t)


def check_coupon_reads(client, t):
    b = t["b"].headers()
    assert client.get("/api/v1/coupon-templates", headers=b).json["templates"] == []
    assert client.get("/api/v1/cards/BBBB0001/coupons", headers=b).json["coupons"] == []


def check_create_coupon_template(client, t):
    created = client.post("/api/v1/coupon-templates", json={
        "name": "十元券", "kind": "cash", "value_fen": 500, "valid_days": 7}, headers=t["b"].headers())
    assert created.status_code == 201, created.json  # the name is free in B: unique per merchant
    assert created.json["id"] != t["a_template"]["id"]
    assert_a_untouched(client, t)


def check_issue_coupons(client, t):
    b = t["b"].headers()
    template_id = t["a_template"]["id"]
    for index, body in enumerate(({"template_id": template_id, "card_number": "BBBB0001"},
                                  {"template_id": template_id, "bearer": True, "quantity": 3})):
        response = client.post("/api/v1/coupons/issue", json=body, headers={**b, "Idempotency-Key": f"b-iss-{index}"})
        assert response.status_code == 404, (body, response.json)
    b_template = client.post("/api/v1/coupon-templates", json={
        "name": "乙券", "kind": "cash", "value_fen": 500, "valid_days": 7}, headers=b).json
    onto_a_card = client.post("/api/v1/coupons/issue", json={"template_id": b_template["id"], "card_number": "AAAA0001"},
                              headers={**b, "Idempotency-Key": "b-iss-a-card"})
    assert onto_a_card.status_code == 404, onto_a_card.json
    own = client.post("/api/v1/coupons/issue", json={"template_id": b_template["id"], "card_number": "BBBB0001"},
                      headers={**b, "Idempotency-Key": "a-coupon"})  # A's key: B's own request all the same
    assert own.status_code == 201 and own.json["coupons"][0]["name"] == "乙券", own.json
    assert_a_untouched(client, t)


def check_service_packages(client, t):
    b = t["b"].headers()
    assert [p["key"] for p in client.get("/api/v1/service-packages/plans", headers=b).json["plans"]] == ["massage_10"]
    deferred = client.get("/api/v1/service-packages/deferred", headers=b).json
    assert deferred["items"] == [] and deferred["ledger_deferred_fen"] == 0
    # B's own card cannot draw on A's package, by id or by A's service.
    for index, body in enumerate(({"package_id": t["a_service_package"]["id"]}, {"service": "洗车"},
                                  {"service": "wash_20"}, {})):
        response = client.post("/api/v1/cards/BBBB0001/service-package-uses", json=body,
                               headers={**b, "Idempotency-Key": f"b-use-{index}"})
        assert response.status_code in (404, 409, 422), (body, response.json)
    sold = client.post("/api/v1/cards/BBBB0001/service-packages", json={"plan": "wash_20", "payment": {"method": "cash"}},
                       headers={**b, "Idempotency-Key": "a-service"})  # A's plan and A's key
    assert sold.status_code == 422, sold.json
    assert_a_untouched(client, t)


def check_shift_reads(client, t):
    b = t["b"]
    for role in ("owner", "manager", "cashier"):
        current = client.get("/api/v1/shifts/current", headers=b.headers(role))
        assert current.status_code == 404, (role, current.json)
        for query in ("", "?state=open", f"?store={t['a'].store_ids[0]}", f"?staff={t['a'].staff_ids['owner']}"):
            listed = client.get(f"/api/v1/shifts{query}", headers=b.headers(role)).json
            assert listed["shifts"] == [] and listed["total"] == 0, (role, query, listed)


def check_open_shift(client, t):
    b = t["b"]
    opened = client.post("/api/v1/shifts", json={"opening_float_fen": 5}, headers=b.headers())
    assert opened.status_code == 201, opened.json  # A's owner has a shift open; B's owner is another person
    assert opened.json["store_id"] == b.store_ids[0] and opened.json["lines"][0]["expected_fen"] == 5
    assert [s["id"] for s in client.get("/api/v1/shifts", headers=b.headers()).json["shifts"]] == [opened.json["id"]]
    assert client.get("/api/v1/shifts/current", headers=b.headers()).json["id"] == opened.json["id"]
    assert_a_untouched(client, t)
