"""K3 follow-up log and plan; today's list puts key members (K2, class A) first."""
from __future__ import annotations

from sqlalchemy import func, select

from plugins.cosmetics_profile.models import FollowUp

from .conftest import beijing, make_shop


def follow_up_rows(shop) -> int:
    with shop.hk.db.read() as session:
        return session.scalar(select(func.count()).select_from(FollowUp).where(FollowUp.merchant_id == shop.id))


def test_k3_log_plan_complete_and_cancel(shop, clock):
    member_id = shop.member()
    logged = shop.post(f"/members/{member_id}/follow-ups",
                       {"mode": "log", "channel": "phone", "note": "回访新面霜使用感受"},
                       role="cashier", idempotent=True)
    assert logged.status_code == 201, logged.json
    assert (logged.json["status"], logged.json["kind"], logged.json["channel"]) == ("done", "manual", "phone")
    assert logged.json["closed_at"].startswith("2026-03-01T04:00")
    planned = shop.post(f"/members/{member_id}/follow-ups",
                        {"mode": "plan", "channel": "event", "due_on": "2026-03-08", "reason": "三八节沙龙邀请"},
                        role="cashier", idempotent=True)
    assert planned.status_code == 201 and planned.json["status"] == "planned"
    follow_up_id = planned.json["id"]
    done = shop.post(f"/cosmetics/follow-ups/{follow_up_id}/complete",
                     {"outcome": "答应参加", "channel": "sms"}, role="cashier")
    assert done.status_code == 200, done.json
    assert (done.json["status"], done.json["outcome"], done.json["channel"]) == ("done", "答应参加", "sms")
    again = shop.post(f"/cosmetics/follow-ups/{follow_up_id}/cancel", {"reason": "重复"})
    assert again.status_code == 409 and again.json["error"]["code"] == "follow_up_closed"
    other = shop.post(f"/members/{member_id}/follow-ups",
                      {"mode": "plan", "channel": "phone", "due_on": "2026-03-02", "reason": "新品"},
                      idempotent=True).json
    cancelled = shop.post(f"/cosmetics/follow-ups/{other['id']}/cancel", {"reason": "会员出差"})
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    listed = shop.get(f"/members/{member_id}/follow-ups", role="cashier")
    assert [item["status"] for item in listed.json["items"]] == ["cancelled", "done", "done"]

    log = shop.get("/cosmetics/reports/follow-up-log", role="manager", **{"from": "2026-03-01"})
    assert log.status_code == 200, log.json
    assert {(row["status"], row["staff_name"]) for row in log.json["items"]} == {
        ("done", "cashier"), ("cancelled", "owner")}
    assert shop.get("/cosmetics/reports/follow-up-log", role="manager",
                    **{"from": "2026-03-02", "to": "2026-03-01"}).status_code == 422
    assert shop.get("/cosmetics/reports/follow-up-log", role="cashier").status_code == 403


def test_k3_bad_follow_ups_are_refused_and_change_nothing(client, hk, clock):
    shop = make_shop(client, hk, follow_up_channels=["in_store", "phone"], regular_channel="phone")
    member_id = shop.member()
    cases = [
        ({"mode": "log", "channel": "phone"}, "/note"),
        ({"mode": "log", "channel": "mail", "note": "寄样品"}, "/channel"),  # not the shop's channel
        ({"mode": "log", "channel": "pigeon", "note": "x"}, "/channel"),
        ({"mode": "plan", "channel": "phone", "reason": "回访"}, "/due_on"),
        ({"mode": "plan", "channel": "phone", "due_on": "2026-02-28", "reason": "回访"}, "/due_on"),
        ({"mode": "plan", "channel": "phone", "due_on": "2026-03-10"}, "/reason"),
        ({"mode": "plan", "channel": "phone", "due_on": "2026-02-30", "reason": "回访"}, "/due_on"),
        ({"mode": "call", "channel": "phone"}, "/mode"),
        ({"channel": "phone", "note": "x"}, "/mode"),
    ]
    for body, pointer in cases:
        response = shop.post(f"/members/{member_id}/follow-ups", body, idempotent=True)
        assert response.status_code == 422, (body, response.json)
        assert pointer in [d["pointer"] for d in response.json["error"]["details"]], (body, response.json)
    assert shop.post(f"/members/{member_id}/follow-ups", {"mode": "log", "channel": "phone",
                                                         "note": "x"}).status_code == 428
    assert shop.post("/members/999999/follow-ups", {"mode": "log", "channel": "phone", "note": "x"},
                     idempotent=True).status_code == 404
    assert shop.post("/cosmetics/follow-ups/999999/complete", {"outcome": "x"}).status_code == 404
    assert follow_up_rows(shop) == 0


def test_k3_a_resubmitted_log_is_recorded_once(shop, clock):
    member_id = shop.member()
    headers = shop.headers("cashier", idempotent=True)
    body = {"mode": "log", "channel": "in_store", "note": "到店试用"}
    first = shop.client.post(f"/api/v1/members/{member_id}/follow-ups", json=body, headers=headers)
    second = shop.client.post(f"/api/v1/members/{member_id}/follow-ups", json=body, headers=headers)
    assert first.status_code == second.status_code == 201 and first.json == second.json
    assert follow_up_rows(shop) == 1


def test_k2_k3_todays_list_is_due_or_overdue_with_class_a_first(client, hk, clock):
    shop = make_shop(client, hk, class_a_min_spend_fen=50000, class_a_min_visits=1,
                     class_b_min_spend_fen=10000, class_b_min_visits=1)
    key_member, key_card = shop.member_with_card("A 客户")
    b_member, b_card = shop.member_with_card("B 客户")
    c_member = shop.member("C 客户")
    shop.buy(key_card, ("面霜", 800))
    shop.buy(b_card, ("口红", 200))
    shop.run("classify_members", beijing("2026-03-01 13:00"))
    plans = [(c_member, "2026-03-01"), (b_member, "2026-03-02"), (key_member, "2026-03-03"),
             (key_member, "2026-03-09")]
    for member_id, due in plans:
        assert shop.post(f"/members/{member_id}/follow-ups", {"mode": "plan", "channel": "phone",
                         "due_on": due, "reason": "回访"}, idempotent=True).status_code == 201
    clock.at("2026-03-03 09:00")
    due = shop.get("/cosmetics/follow-ups/due", role="cashier")
    assert due.status_code == 200, due.json
    assert [(i["member_name"], i["member_class"], i["overdue_days"]) for i in due.json["items"]] == [
        ("A 客户", "a", 0), ("B 客户", "b", 1), ("C 客户", "c", 2)]
    only_b = shop.get("/cosmetics/follow-ups/due", member_class="b").json["items"]
    assert [i["member_name"] for i in only_b] == ["B 客户"]
    assert shop.get("/cosmetics/follow-ups/due", member_class="vip").status_code == 422
    screen_action = shop.post("/cosmetics/follow-ups/today", {"channel": "phone"}, role="cashier")
    assert screen_action.status_code == 200 and len(screen_action.json["items"]) == 3
    assert shop.post("/cosmetics/follow-ups/today", {"member_class": "d"}).status_code == 422


def test_another_merchants_members_and_follow_ups_answer_404(client, hk, clock):
    mine, theirs = make_shop(client, hk), make_shop(client, hk)
    member_id = mine.member(extra={"skin_type": "dry"})
    follow_up = mine.post(f"/members/{member_id}/follow-ups", {"mode": "plan", "channel": "phone",
                          "due_on": "2026-03-05", "reason": "回访"}, idempotent=True).json
    calls = [
        ("GET", f"/members/{member_id}/skin-profile", None),
        ("PUT", f"/members/{member_id}/skin-profile", {"skin_type": "oily"}),
        ("GET", f"/members/{member_id}/follow-ups", None),
        ("POST", f"/members/{member_id}/follow-ups", {"mode": "log", "channel": "phone", "note": "x"}),
        ("GET", f"/members/{member_id}/purchase-cycles", None),
        ("POST", f"/cosmetics/follow-ups/{follow_up['id']}/complete", {"outcome": "x"}),
        ("POST", f"/cosmetics/follow-ups/{follow_up['id']}/cancel", {}),
    ]
    for method, path, body in calls:
        response = client.open(f"/api/v1{path}", method=method, json=body,
                               headers=theirs.headers(idempotent=True))
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found", (path, response.json)
    assert theirs.get("/cosmetics/follow-ups/due").json["items"] == []
    assert mine.get(f"/members/{member_id}/skin-profile").json["skin_type"] == "dry"
    assert mine.get(f"/members/{member_id}/follow-ups").json["items"][0]["status"] == "planned"


def test_collection_routes_show_and_touch_only_the_callers_members(client, hk, clock):
    mine, theirs = make_shop(client, hk), make_shop(client, hk)
    member_id, card = mine.member_with_card("甲店会员")
    mine.buy(card, ("面霜", 300))
    mine.post(f"/members/{member_id}/follow-ups", {"mode": "plan", "channel": "phone",
              "due_on": "2026-03-01", "reason": "回访"}, idempotent=True)
    mine.post(f"/members/{member_id}/follow-ups", {"mode": "log", "channel": "sms", "note": "x"},
              idempotent=True)
    assert mine.post("/cosmetics/classes/recompute", role="manager").json["c"] == 1
    assert theirs.post("/cosmetics/classes/recompute").json == {
        "as_of": "2026-03-01", "window_days": 365, "a": 0, "b": 0, "c": 0}
    assert theirs.post("/cosmetics/follow-ups/plan").json["regular"] == 0
    assert theirs.get("/cosmetics/follow-ups/due").json["items"] == []
    assert theirs.post("/cosmetics/follow-ups/today").json["items"] == []
    assert theirs.get("/cosmetics/segments").json["total"] == 0
    assert [r["members"] for r in theirs.get("/cosmetics/reports/abc-distribution").json["items"]] == [0, 0, 0]
    assert theirs.get("/cosmetics/reports/follow-up-log").json["items"] == []
    assert len(mine.get("/cosmetics/follow-ups/due").json["items"]) == 1
    assert mine.get("/cosmetics/segments", role="manager").json["total"] == 1
