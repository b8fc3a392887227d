"""Every API route is scoped to the caller's merchant: another merchant's objects answer 404.

The test walks the app's URL map, so a new route fails here until it is covered.
"""
from __future__ import annotations

import re

import pytest

from tests.api import isolation_events as events
from tests.api import isolation_messages as messages
from tests.api import isolation_till as till
from tests.support.factories import basic_document, make_merchant

# A body that would be valid for the route if the object were the caller's own.
BODIES = {
    "setMessageOptOut": messages.OPT_OUT_BODY,
    "updateMember": {"name": "改名"},
    "updateMallItem": {"restock": 1},
    "redeemMallItem": {"item_id": 1, "quantity": 1},
    "adjustPoints": {"points": 10, "reason": "测试"},
    "rechargeStoredValue": {"amount_fen": 50000, "payment": {"method": "cash"}},
    "payPurchaseCardFee": {"payment": {"method": "cash"}},
    "withdrawStoredValue": {"pin": "123456", "payment": {"method": "cash"}},
    "refundStoredValue": {"pin": "123456", "payment": {"method": "cash"}},
    "extendCard": {"expires_on": "2099-01-01"},
    "setCardPin": {"pin": "482916"},
    "returnCheckout": {"lines": [{"line_no": 1, "quantity": 1}]},
    "changeCardKind": {"kind": "purchase"},
    "updateWheelPrize": {"weight": 2},
    "bindCard": {"member_id": None},  # filled with B's own member below
    "rollbackConfig": None,
    "updateCourse": {"name": "改名"},
    "updateCoursePlan": {"price_fen": 1},
    "sellCoursePackage": None,  # filled with A's plan below
    "signInStudent": {"course_key": "piano"},
    "checkInStudent": {"course_key": "piano"},
    "checkOutStudent": {},
    "cancelCheckIn": {"reason": "x"},
    "updateSkinProfile": {"skin_type": "dry"},
    "recordFollowUp": {"mode": "log", "channel": "phone", "note": "x"},
    "completeFollowUp": {"outcome": "x"},
    "cancelFollowUp": {},
    "issueRoomVouchers": {"room_type": "suite", "reason": "campaign"},
    "redeemRoomVoucher": {"voucher_code": "ABCDEFGHJKLMNPQR"},
    "updateCouponTemplate": {"name": "改名", "active": False},
    "issueCardCoupons": None,  # filled with A's template below
    "voidCoupon": {"note": "x"},
    "sellServicePackage": {"plan": "wash_20", "payment": {"method": "cash"}},
    "useServicePackage": {"sessions": 1},
    "cancelServicePackageUse": {"reason": "x"},
    "closeShift": {"counted": {"cash": 0}},
    "addShiftNote": {"text": "x", "amount_fen": 100},
}
# A shift another merchant cannot see answers 404 with the shifts' own code (docs/api.md).
NOT_FOUND_CODES = {"not_found", "shift_not_found"}


PIN_ROUTES = {"withdrawStoredValue", "refundStoredValue"}

PLUGINS = [{"id": "points", "settings": {"wheel_enabled": True}}, {"id": "stored_value", "settings": {}},
           {"id": "training_courses", "settings": {}}, {"id": "cosmetics_profile", "settings": {}},
           {"id": "hotel_rooms", "settings": {}}, {"id": "coupons", "settings": {}},
           {"id": "goods", "settings": {}}, {"id": "member_events", "settings": {}}]


def service_plans(key: str, name: str) -> dict:
    """The service_packages plugin with one count card; A and B offer different ones."""
    return {"id": "service_packages", "settings": {"plans": [
        {"key": key, "name": name, "service": name[-2:], "kind": "count", "sessions": 20,
         "validity_days": 365, "price_fen": 50000}]}}


@pytest.fixture
def two_merchants(client, hk):
    # Both merchants enable the money plugins, so their routes are reachable and really checked.
    a_document = basic_document(plugins=[*PLUGINS, service_plans("wash_20", "20次洗车")])
    a = make_merchant(hk, "商户甲", a_document)
    for discount in (900, 880):  # A has versions 1..3, B only 1
        a_document["tiers"][1]["discount_permille"] = discount
        client.put("/api/v1/config/draft", json=a_document, headers=a.headers())
        client.post("/api/v1/config/publish", headers=a.headers())
    b_document = basic_document(plugins=[*PLUGINS, service_plans("massage_10", "10次按摩")],
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
    a_course = client.post("/api/v1/training/courses", json={"key": "piano", "name": "钢琴"},
                           headers=a.headers()).json
    a_plan = client.post("/api/v1/training/plans", json={"course_id": a_course["id"], "name": "十次课",
                                                          "kind": "count", "sessions": 10, "price_fen": 100000},
                         headers=a.headers()).json
    a_package = client.post("/api/v1/cards/AAAA0001/course-packages", json={
        "plan_id": a_plan["id"], "payment": {"method": "cash"}},
        headers={**a.headers(), "Idempotency-Key": "a-package"}).json["packages"][0]
    a_follow_up = client.post(f"/api/v1/members/{a_member['id']}/follow-ups", json={
        "mode": "plan", "channel": "phone", "due_on": "2099-01-01", "reason": "回访"},
        headers={**a.headers(), "Idempotency-Key": "a-follow-up"}).json
    a_voucher = client.post("/api/v1/cards/AAAA0001/room-vouchers", json={
        "room_type": "suite", "reason": "campaign"},
        headers={**a.headers(), "Idempotency-Key": "a-voucher"}).json["items"][0]
    till_objects = till.make_till_objects(client, a)
    b_card = client.post("/api/v1/cards", json={"number": "BBBB0001", "member_id": b_member["id"]},
                         headers=b.headers())
    assert b_card.status_code == 201, b_card.json
    return {**till_objects, **events.make_event_objects(client, a), "a_voucher": a_voucher,
            "a_follow_up": a_follow_up, "a_course": a_course, "a_plan": a_plan, "a_package": a_package,
            "a": a, "b": b, "a_member": a_member, "a_card": a_card, "a_stock": a_stock,
            "b_member": b_member, "a_checkout": a_checkout, "a_item": a_item, "a_prize": a_prize,
            "a_cheque_id": a_cheque_id}


# Routes whose path parameter names no merchant's object (an import kind, a template file).
NOT_OBJECTS = {"api.runImport", "api.getImportTemplate", "api.runReport"}  # kinds and report ids name no object (_imports, _reports)


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
             "transaction_id": two_merchants["a_cheque_id"],
             "course_id": two_merchants["a_course"]["id"], "plan_id": two_merchants["a_plan"]["id"],
             "package_id": two_merchants["a_package"]["id"],
             "follow_up_id": two_merchants["a_follow_up"]["id"],
             "voucher_code": two_merchants["a_voucher"]["code"],
             "shift_id": two_merchants["a_shift"]["id"], "product_id": two_merchants["a_product"]["id"],
             "use_id": two_merchants["a_use"]["use_id"], "template_id": two_merchants["a_template"]["id"],
             "code": two_merchants["a_coupon"]["code"], "event_id": two_merchants["a_event"]["id"],
             "registration_id": two_merchants["a_registration"]["id"]}
    b = two_merchants["b"]
    checked = []
    for rule in api_rules(app):
        if not rule.arguments or rule.endpoint in NOT_OBJECTS:
            continue
        url = fill(rule.rule, a_ids)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            endpoint = rule.endpoint.removeprefix("api.")
            body = BODIES.get(endpoint)
            if endpoint == "bindCard":
                body = {"member_id": two_merchants["b_member"]["id"]}
            if endpoint == "sellCoursePackage":
                body = {"plan_id": two_merchants["a_plan"]["id"], "payment": {"method": "cash"}}
            if endpoint == "issueCardCoupons":
                body = {"template_id": two_merchants["a_template"]["id"]}
            if endpoint in events.EVENT_BODIES:
                body = events.body_for(endpoint, two_merchants)
            headers = {**b.headers("owner"), "Idempotency-Key": f"iso-{endpoint}"}
            response = client.open(url, method=method, json=body, headers=headers)
            if endpoint in PIN_ROUTES:  # given a PIN, an unknown card answers like a wrong PIN (C6),
                # unless B's policy refuses the operation before any card is looked at
                assert response.status_code == 403 and response.json["error"]["code"] in (
                    "pin_not_accepted", "withdrawal_disabled", "refund_disabled"), (method, url, response.json)
            else:
                assert response.status_code == 404, (method, url, response.json)
                assert response.json["error"]["code"] in NOT_FOUND_CODES, (method, url, response.json)
            checked.append(endpoint)
    assert {"getMember", "updateMember", "listMemberCards", "getCard", "bindCard", "getTier",
            "getVersion", "rollbackConfig", "getCheckout", "returnCheckout", "replaceCard",
            "getCardBalances", "getCardHistory", "updateMallItem", "updateWheelPrize",
            "clearStoredValueCheque", "rechargeStoredValue", "redeemMallItem", "updateCourse",
            "updateCoursePlan", "sellCoursePackage", "freezeCoursePackage", "signInStudent",
            "checkInStudent", "checkOutStudent", "listCoursePackages", "getSkinProfile",
            "updateSkinProfile", "recordFollowUp", "completeFollowUp", "cancelFollowUp",
            "listPurchaseCycles", "listRoomVouchers", "issueRoomVouchers", "redeemRoomVoucher",
            "getRoomVoucher", "setCardPin", "unblockCardPin", "withdrawStoredValue",
            "getShift", "closeShift", "addShiftNote", "getProduct", "updateCouponTemplate", "getCoupon",
            "voidCoupon", "issueCardCoupons", "listCardCoupons", "listMemberCoupons", "listServicePackages",
            "sellServicePackage", "useServicePackage", "cancelServicePackageUse",
            "getMessageOptOuts", "setMessageOptOut", "getEvent", "updateEvent",
            "cancelEvent", "listEventRegistrations", "registerForEvent", "registerCardForEvent",
            "cancelEventRegistration", "checkInAtEvent"} <= set(checked)
    # Nothing of A's changed.
    a = two_merchants["a"]
    assert client.get(f"/api/v1/members/{a_ids['member_id']}", headers=a.headers()).json["name"] == "甲会员"
    assert client.get("/api/v1/cards/AAAA0002", headers=a.headers()).json["status"] == "issued"
    a_receipt = client.get(f"/api/v1/checkouts/{a_ids['checkout_id']}", headers=a.headers()).json
    assert a_receipt["returns"] == []
    items = client.get("/api/v1/points/mall/items", headers=a.headers()).json["items"]
    assert [(i["name"], i["stock"]) for i in items] == [("保温杯", 5)]
    assert len(client.get("/api/v1/config/versions", headers=a.headers()).json["items"]) == 3
    a_packages = client.get("/api/v1/cards/AAAA0001/course-packages", headers=a.headers()).json["packages"]
    assert [(p["units_left"], p["status"]) for p in a_packages] == [(10, "active")]
    a_follow_ups = client.get(f"/api/v1/members/{a_ids['member_id']}/follow-ups", headers=a.headers()).json
    assert [(f["status"], f["reason"]) for f in a_follow_ups["items"]] == [("planned", "回访")]
    a_vouchers = client.get("/api/v1/cards/AAAA0001/room-vouchers", headers=a.headers()).json["items"]
    assert [(v["code"], v["status"]) for v in a_vouchers] == [(a_ids["voucher_code"], "active")]
    till.assert_a_untouched(client, two_merchants)
    events.assert_a_untouched(client, two_merchants)


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
    assert {item["id"] for item in items if item["enabled"]} == {"points", "stored_value", "training_courses",
                                                                    "cosmetics_profile", "hotel_rooms", "coupons", "goods",
                                                                    "service_packages", "member_events"}


def _me(client, t):
    assert client.get("/api/v1/me", headers=t["b"].headers()).json["merchant"]["name"] == "商户乙"


def _quote(client, t):
    response = client.post("/api/v1/checkout/quote", json={
        "card_number": "AAAA0001", "lines": [{"sku": "A", "unit_price_fen": 100}]},
        headers=t["b"].headers())
    assert response.status_code == 404  # A's card number means nothing to B
    # On B's own card, A's product (by id or barcode) and A's coupon code are nothing of B's.
    for line in ({"product_id": t["a_product"]["id"]}, {"barcode": t["a_product"]["barcode"]},
                 {"barcode": t["a_product"]["sku"]}):
        response = client.post("/api/v1/checkout/quote", json={"card_number": "BBBB0001", "lines": [line]},
                               headers=t["b"].headers())
        assert response.status_code == 422, (line, response.json)
    response = client.post("/api/v1/checkout/quote", json={
        "card_number": "BBBB0001", "lines": [{"sku": "A", "unit_price_fen": 5000}],
        "coupons": [t["a_coupon"]["code"]]}, headers=t["b"].headers())
    assert response.status_code == 422 and response.json["error"]["code"] == "coupon_unknown", response.json


def _checkout(client, t):
    response = client.post("/api/v1/checkout", json={
        "card_number": "AAAA0001", "lines": [{"sku": "A", "unit_price_fen": 100}],
        "payments": [{"method": "cash", "amount_fen": 100}]},
        headers={**t["b"].headers(), "Idempotency-Key": "a-1"})  # A's key too
    assert response.status_code == 404
    for extra in ({"lines": [{"product_id": t["a_product"]["id"], "quantity": 1}]},
                  {"lines": [{"sku": "A", "unit_price_fen": 5000}], "coupons": [t["a_coupon"]["code"]]}):
        response = client.post("/api/v1/checkout", json={
            "card_number": "BBBB0001", "payments": [{"method": "cash", "amount_fen": 5000}], **extra},
            headers={**t["b"].headers(), "Idempotency-Key": "a-coupon"})  # A's key of its coupon issue
        assert 400 <= response.status_code < 500, (extra, response.json)
    till.assert_a_untouched(client, t)


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


def _training_lists(client, t):
    b = t["b"]
    for path in ("courses", "plans", "reports/income", "reports/deferred", "reports/consumption",
                 "reports/package-sales"):
        assert client.get(f"/api/v1/training/{path}", headers=b.headers()).json["items"] == [], path
    assert client.post("/api/v1/training/catalogue", json={}, headers=b.headers()).json["items"] == []
    reminders = client.get("/api/v1/training/reminders", headers=b.headers()).json
    assert reminders["expiring"] == reminders["running_low"] == []


def _create_course(client, t):
    b = t["b"]
    course = client.post("/api/v1/training/courses", json={"key": "piano", "name": "乙的钢琴"},
                         headers=b.headers())
    assert course.status_code == 201  # the key is free in B: unique per merchant
    a_courses = client.get("/api/v1/training/courses", headers=t["a"].headers()).json["items"]
    assert [c["name"] for c in a_courses] == ["钢琴"]


def _create_plan(client, t):
    onto_a_course = client.post("/api/v1/training/plans", json={
        "course_id": t["a_course"]["id"], "name": "x", "kind": "period", "price_fen": 1},
        headers=t["b"].headers())
    assert onto_a_course.status_code == 422
    a_plans = client.get("/api/v1/training/plans", headers=t["a"].headers()).json["items"]
    assert [p["name"] for p in a_plans] == ["十次课"]


def _cosmetics_lists(client, t):
    b = t["b"]
    assert client.get("/api/v1/cosmetics/follow-ups/due", headers=b.headers()).json["items"] == []
    assert client.post("/api/v1/cosmetics/follow-ups/today", json={}, headers=b.headers()).json["items"] == []
    assert client.get("/api/v1/cosmetics/segments", headers=b.headers()).json["total"] == 1  # 乙会员 only
    rows = client.get("/api/v1/cosmetics/reports/abc-distribution", headers=b.headers()).json["items"]
    assert sum(row["members"] for row in rows) == 0
    assert client.get("/api/v1/cosmetics/reports/follow-up-log", headers=b.headers()).json["items"] == []


def _cosmetics_jobs(client, t):
    classified = client.post("/api/v1/cosmetics/classes/recompute", headers=t["b"].headers()).json
    assert classified["a"] + classified["b"] + classified["c"] <= 1  # B's one member at most
    client.post("/api/v1/cosmetics/follow-ups/plan", headers=t["b"].headers())
    a_follow_ups = client.get(f"/api/v1/members/{t['a_member']['id']}/follow-ups",
                              headers=t["a"].headers()).json["items"]
    assert len(a_follow_ups) == 1  # B's planning job planned nothing for A's member


def _room_voucher_reads(client, t):
    for path in ("expiring?days=3660", "reports/liability", "reports/redemptions"):
        response = client.get(f"/api/v1/room-vouchers/{path}", headers=t["b"].headers())
        assert response.status_code == 200 and response.json["items"] == [], path


def _expire_room_vouchers(client, t):
    response = client.post("/api/v1/room-vouchers/expire",
                           headers={**t["b"].headers(), "Idempotency-Key": "b-room-exp"})
    assert response.status_code == 200 and response.json["vouchers"] == 0


def _audit(client, t):
    a_log = client.get("/api/v1/audit?per_page=100", headers=t["a"].headers()).json
    b_log = client.get("/api/v1/audit?per_page=100", headers=t["b"].headers()).json
    assert a_log["total"] > 0 and "AAAA0001" in str(a_log)  # A issued and recharged its cards
    assert "甲" not in str(b_log)  # nothing of A's (B may well number a card of its own AAAA0001)
    b_staff = set(t["b"].staff_ids.values())
    assert all(entry["staff_id"] in b_staff for entry in b_log["audit"])
    a_ids = {entry["id"] for entry in a_log["audit"]}
    assert not a_ids & {entry["id"] for entry in b_log["audit"]}


# Figures that come from the merchant's configuration, not from its members' activity.
CONFIGURED_FIGURES = {("tier_advice", "threshold_fen"), ("tier_advice", "quantile_fen")}


def _reports(client, t):
    """B has a member and no activity: every report of its catalogue, over a period that holds
    all of A's activity, shows none of A's cards, members or money."""
    b = t["b"]
    listed = client.get("/api/v1/reports", headers=b.headers()).json["reports"]
    assert len(listed) >= 15
    for report in listed:
        period = "&from=2020-01-01&to=2029-12-31" if "from" in report["parameters"]["properties"] else ""
        page = client.get(f"/api/v1/reports/{report['id']}?limit=1000{period}", headers=b.headers())
        assert page.status_code == 200, (report["id"], page.json)
        text = str(page.json["rows"])
        assert "AAAA" not in text and "甲会员" not in text, report["id"]
        for column in report["columns"]:
            if column["type"] == "fen" and (report["id"], column["key"]) not in CONFIGURED_FIGURES:
                assert page.json["totals"].get(column["key"], 0) == 0, (report["id"], column["key"])

def _imports(client, t):
    """B's imports see only B's cards and members: A's card is no card of B's, A's member's
    phone is free for a member of B."""
    b = t["b"]
    assert {k["key"] for k in client.get("/api/v1/imports", headers=b.headers()).json["kinds"]} >= {
        "members", "stored_value"}
    sv = client.post("/api/v1/imports/stored_value?dry_run=true", data="卡号*,本金(元)*\nAAAA0001,100\n".encode(),
                     headers=b.headers())
    assert [(p["row"], p["column"]) for p in sv.json["problems"]] == [(2, "card_number")]
    members = client.post("/api/v1/imports/members?dry_run=true",
                          data="手机号*,姓名*\n13800000001,乙的会员\n".encode(), headers=b.headers())
    assert members.json["problems"] == [] and members.json["rows_valid"] == 1
    balances = client.get("/api/v1/cards/AAAA0001/balances", headers=t["a"].headers()).json["balances"]
    assert "stored_value_principal" not in balances


COLLECTION_CHECKS = {  # reads first, then writes
    "listReports": _reports,
    "searchMembers": _search, "listTiers": _list_tiers, "getDraft": _draft,
    "getPublishedConfig": _published, "listVersions": _versions, "listPlugins": _plugins,
    "getMe": _me, "openapi": _openapi, "quoteCheckout": _quote, "checkout": _checkout,
    "listImportKinds": _imports,
    "listMallItems": _mall_items, "listWheelPrizes": _wheel_prizes, "listExpiringPoints": _expiring,
    "createMallItem": _create_mall_item, "createWheelPrize": _create_wheel_prize,
    "expirePoints": _expire,
    "listCourses": _training_lists, "listCoursePlans": _training_lists,
    "courseIncomeReport": _training_lists, "deferredRevenueReport": _training_lists,
    "sessionConsumptionReport": _training_lists, "listCourseReminders": _training_lists,
    "coursePackageSalesReport": _training_lists, "showCourseCatalogue": _training_lists,
    "createCourse": _create_course, "createCoursePlan": _create_plan,
    "listDueFollowUps": _cosmetics_lists, "showTodaysFollowUps": _cosmetics_lists,
    "listSegmentMembers": _cosmetics_lists, "reportAbcDistribution": _cosmetics_lists,
    "reportFollowUpLog": _cosmetics_lists,
    "classifyMembers": _cosmetics_jobs, "planFollowUps": _cosmetics_jobs,
    "listExpiringRoomVouchers": _room_voucher_reads, "reportRoomVoucherLiability": _room_voucher_reads,
    "reportRoomVoucherRedemptions": _room_voucher_reads, "expireRoomVouchers": _expire_room_vouchers,
    "listGoodsCategories": till.check_goods_reads, "listProducts": till.check_goods_reads,
    "listStock": till.check_goods_reads, "listLowStock": till.check_goods_reads,
    "listStockMovements": till.check_goods_reads, "listCouponTemplates": till.check_coupon_reads,
    "listServicePackagePlans": till.check_service_packages, "servicePackageDeferred": till.check_service_packages,
    "getCurrentShift": till.check_shift_reads, "listShifts": till.check_shift_reads,
    "saveGoodsCategories": till.check_save_categories, "saveProducts": till.check_save_products,
    "recordStockMovements": till.check_record_stock, "createCouponTemplate": till.check_create_coupon_template,
    "issueCoupons": till.check_issue_coupons, "openShift": till.check_open_shift,
    "listEvents": events.check_event_reads, "createEvent": events.check_create_event,
    "checkInToday": events.check_check_in_today,
    "createMember": _create_member, "issueCard": _issue_card, "saveDraft": _save_draft,
    "publishConfig": _publish, "listAuditEntries": _audit,
    "listMessages": messages.check_message_log,
}


def test_every_route_without_ids_is_scoped_to_the_caller(app, client, two_merchants):
    endpoints = {rule.endpoint.removeprefix("api.") for rule in api_rules(app) if not rule.arguments}
    assert endpoints == set(COLLECTION_CHECKS), "add an isolation check for the new route"
    for check in COLLECTION_CHECKS.values():
        check(client, two_merchants)
