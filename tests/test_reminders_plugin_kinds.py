"""The plugins' reminder kinds (issue 14, item 1) through GET /api/v1/reminders: low stored
value, points, count cards and course packages, room vouchers and coupons expiring — each
threshold on its edge, settings changes, the store filter — with data made through the API on
a frozen clock, on both databases."""
from __future__ import annotations

import pytest

from core import ledger
from tests.support.clock import freeze, key
from tests.support.factories import basic_document, make_merchant

PLUGINS = [{"id": "stored_value", "settings": {"min_recharge_fen": 1}}, {"id": "points", "settings": {}},
           {"id": "service_packages", "settings": {"plans": [
               {"key": "wash_5", "name": "5次洗车", "service": "洗车", "kind": "count", "sessions": 5,
                "validity_days": 30, "price_fen": 10000}]}},
           {"id": "training_courses", "settings": {}}, {"id": "hotel_rooms", "settings": {}},
           {"id": "coupons", "settings": {}}]


class Shop:
    def __init__(self, client, hk, merchant):
        self.client, self.hk, self.merchant = client, hk, merchant

    def call(self, method, path, body=None, role="owner", status=None):
        headers = {**self.merchant.headers(role), **key()}
        response = self.client.open(f"/api/v1{path}", method=method, json=body, headers=headers)
        assert response.status_code == (status or response.status_code) and response.status_code < 400, response.json
        return response.json

    def member_card(self, name, phone, store=0):
        member = self.call("POST", "/members", {"name": name, "phone": phone})
        card = self.call("POST", "/cards", {"member_id": member["id"]})
        return member["id"], card["number"]

    def reminders(self, kind, on, **query):
        extra = "".join(f"&{k}={v}" for k, v in query.items())
        answer = self.client.get(f"/api/v1/reminders?kind={kind}&on={on}{extra}", headers=self.merchant.headers())
        assert answer.status_code == 200, answer.json
        return answer.json["reminders"]

    def publish(self, reminders):
        document = self.call("GET", "/config/draft")["document"]
        self.call("PUT", "/config/draft", {**document, "reminders": reminders})
        self.call("POST", "/config/publish")


@pytest.fixture
def shop(client, hk, monkeypatch):
    clock = freeze(monkeypatch, "2026-12-01 10:00")
    shop = Shop(client, hk, make_merchant(hk, "提醒商户", basic_document(plugins=PLUGINS)))
    shop.clock = clock
    return shop


def names(reminders):
    return sorted(r["facts"]["name"] for r in reminders)


def test_low_balance_below_the_threshold(shop):
    for name, phone, fen in (("少", "13800000001", 4999), ("刚好", "13800000002", 5000), ("多", "13800000003", 20000)):
        _member, card = shop.member_card(name, phone)
        shop.call("POST", f"/cards/{card}/recharge", {"amount_fen": fen, "payment": {"method": "cash"}})
    shop.member_card("没充", "13800000004")
    found = shop.reminders("low_balance", "2026-12-01")
    assert [(r["facts"]["name"], r["facts"]["balance_fen"]) for r in found] == [("少", 4999)]
    assert found[0]["occasion"] == f"low_balance:card:{found[0]['card_id']}:4999"
    shop.publish({"low_balance": {"threshold_fen": 20001}})
    assert names(shop.reminders("low_balance", "2026-12-01")) == ["刚好", "多", "少"]
    with shop.hk.db.read() as session:
        assert ledger.verify(session, shop.merchant.id) == []


def test_points_expiring_within_the_window(shop):
    _member, card = shop.member_card("积分", "13800000011")
    adjusted = shop.call("POST", f"/cards/{card}/points/adjust", {"points": 120, "reason": "补录"})
    expires = adjusted["expires_on"]
    assert expires == "2027-12-31"
    [found] = shop.reminders("points_expiry", "2027-12-01")  # 30 days ahead by default
    assert (found["facts"]["points"], found["facts"]["expires_on"], found["facts"]["days_left"]) == (120, expires, 30)
    assert found["occasion"] == f"points_expiry:card:{found['card_id']}:2027-12-31"
    assert shop.reminders("points_expiry", "2027-11-30") == []
    assert shop.reminders("points_expiry", "2028-01-01") == []
    shop.publish({"points_expiry": {"days": 60, "min_points": 121}})
    assert shop.reminders("points_expiry", "2027-11-01") == []
    shop.publish({"points_expiry": {"days": 60, "min_points": 120}})
    assert names(shop.reminders("points_expiry", "2027-11-01")) == ["积分"]


def test_count_cards_and_course_packages_ending_or_running_low(shop):
    _member, card = shop.member_card("洗车", "13800000021")
    shop.call("POST", f"/cards/{card}/service-packages", {"plan": "wash_5", "payment": {"method": "cash"}})
    course = shop.call("POST", "/training/courses", {"key": "piano", "name": "钢琴"})
    plan = shop.call("POST", "/training/plans", {"course_id": course["id"], "name": "十次课", "kind": "count",
                                                 "sessions": 10, "price_fen": 100000, "validity_days": 60})
    _student, student_card = shop.member_card("学琴", "13800000022")
    shop.call("POST", f"/cards/{student_card}/course-packages", {"plan_id": plan["id"], "payment": {"method": "cash"}})
    # The count card lasts 30 days from 2026-12-01: its last day is 2026-12-30; 14 days ahead.
    ending = shop.reminders("package_expiry", "2026-12-16")
    assert [(r["facts"]["name"], r["facts"]["reason"], r["facts"]["expires_on"]) for r in ending] == [
        ("洗车", "expiring", "2026-12-30")]
    assert shop.reminders("package_expiry", "2026-12-15") == []
    for _use in range(3):
        shop.call("POST", f"/cards/{card}/service-package-uses", {})
    low = shop.reminders("package_expiry", "2026-12-02")
    assert [(r["facts"]["name"], r["facts"]["reason"], r["facts"]["sessions_left"]) for r in low] == [
        ("洗车", "running_low", 2)]
    assert low[0]["occasion"].endswith(":left:2")
    shop.publish({"package_expiry": {"days": 60, "sessions_left": 0}})
    both = shop.reminders("package_expiry", "2026-12-02")
    assert sorted((r["facts"]["name"], r["facts"]["reason"]) for r in both) == [
        ("学琴", "expiring"), ("洗车", "expiring")]
    shop.publish({"package_expiry": {"enabled": False}})
    assert shop.reminders("package_expiry", "2026-12-02") == []


def test_room_vouchers_and_coupons_expiring(shop):
    _member, card = shop.member_card("住客", "13800000031")
    voucher = shop.call("POST", f"/cards/{card}/room-vouchers", {"room_type": "suite", "reason": "campaign"})["items"][0]
    template = shop.call("POST", "/coupon-templates", {"name": "十元券", "kind": "cash", "value_fen": 1000,
                                                       "valid_days": 10})
    coupon = shop.call("POST", "/coupons/issue", {"template_id": template["id"], "card_number": card})["coupons"][0]
    assert coupon["valid_until"] == "2026-12-10"
    found = shop.reminders("voucher_expiry", "2026-12-03")  # 7 days ahead by default
    assert [(r["facts"]["voucher"], r["facts"]["code"], r["facts"]["value_fen"]) for r in found] == [
        ("coupon", coupon["code"], 1000)]
    assert shop.reminders("voucher_expiry", "2026-12-02") == []
    last_day = voucher["expires_on"]
    room = shop.reminders("voucher_expiry", last_day)
    assert [(r["facts"]["voucher"], r["facts"]["code"], r["facts"]["days_left"]) for r in room] == [
        ("room_voucher", voucher["code"], 0)]
    assert room[0]["occasion"].startswith("voucher_expiry:room_voucher:") and room[0]["occasion"].endswith(last_day)


def test_store_filter_on_card_kinds(shop):
    _member, card = shop.member_card("门店", "13800000041")
    shop.call("POST", f"/cards/{card}/recharge", {"amount_fen": 100, "payment": {"method": "cash"}})
    store = shop.merchant.store_ids[0]
    assert names(shop.reminders("low_balance", "2026-12-01", store=store)) in (["门店"], [])
    cashier = shop.client.get("/api/v1/reminders?kind=low_balance", headers=shop.merchant.headers("cashier"))
    assert {r["store_id"] for r in cashier.json["reminders"]} <= {store}
