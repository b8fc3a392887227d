"""K2 / M5: A/B/C classes by net spend and visits in the window, recomputed by a job."""
from __future__ import annotations

import pytest

from .conftest import beijing, make_shop

SETTINGS = {"abc_window_days": 90, "class_a_min_spend_fen": 100000, "class_a_min_visits": 3,
            "class_b_min_spend_fen": 30000, "class_b_min_visits": 2}


@pytest.fixture
def abc_shop(client, hk):
    return make_shop(client, hk, **SETTINGS)


def test_k2_classes_by_net_spend_and_visits_in_the_window(abc_shop, clock):
    shop = abc_shop
    clock.at("2025-10-01 10:00")  # more than 90 days before the run: outside the window
    old_id, old_card = shop.member_with_card("旧客")
    shop.buy(old_card, ("面霜", 5000))
    alice, alice_card = shop.member_with_card("重点客户")
    bob, bob_card = shop.member_with_card("普通客户")
    carol, carol_card = shop.member_with_card("退货客户")
    dave = shop.member("未消费")
    alice_paid = 0
    for day in ("2026-02-01", "2026-02-10", "2026-02-20"):
        clock.at(f"{day} 11:00")
        alice_paid += shop.buy(alice_card, ("面霜", 400))["due_fen"]
    clock.at("2026-02-11 23:50")  # two checkouts on one local day are one visit
    bob_paid = shop.buy(bob_card, ("口红", 150))["due_fen"]
    clock.at("2026-02-12 00:10")
    bob_paid += shop.buy(bob_card, ("口红", 150))["due_fen"]
    bob_paid += shop.buy(bob_card, ("粉底", 150))["due_fen"]
    clock.at("2026-02-15 10:00")
    kept = shop.buy(carol_card, ("面霜", 500))
    returned = shop.buy(carol_card, ("面霜", 500), ("面膜", 100))
    clock.at("2026-02-16 10:00")
    shop.give_back(returned["checkout_id"], line_no=1)
    shop.give_back(returned["checkout_id"], line_no=2)  # everything back: no purchase, no visit

    summary = shop.run("classify_members", beijing("2026-03-01 02:00"))
    assert summary == {"as_of": "2026-03-01", "window_days": 90, "a": 1, "b": 1, "c": 3}
    classes = {m: shop.get(f"/members/{m}/skin-profile").json["classification"]
               for m in (alice, bob, carol, dave, old_id)}
    assert classes[alice]["member_class"] == "a" and classes[alice]["spend_fen"] == alice_paid
    assert classes[alice]["visits"] == 3
    assert classes[bob]["member_class"] == "b" and (classes[bob]["spend_fen"], classes[bob]["visits"]) == (bob_paid, 2)
    assert classes[carol]["member_class"] == "c"
    assert (classes[carol]["spend_fen"], classes[carol]["visits"]) == (kept["due_fen"], 1)
    assert classes[dave]["member_class"] == "c" and classes[old_id]["spend_fen"] == 0
    assert classes[alice]["computed_at"].startswith("2026-02-28T18:00")
    assert shop.get(f"/members/{alice}").json["summary"]["member_class"] == "a"

    report = shop.get("/cosmetics/reports/abc-distribution", role="manager")
    assert report.status_code == 200, report.json
    assert [(r["member_class"], r["members"]) for r in report.json["items"]] == [("a", 1), ("b", 1), ("c", 3)]
    assert report.json["items"][0]["spend_fen"] == alice_paid
    shop.verify()


def test_k2_recompute_on_demand_is_for_managers_and_updates_in_place(abc_shop, clock):
    shop = abc_shop
    member_id, card = shop.member_with_card()
    assert shop.post("/cosmetics/classes/recompute", role="cashier").status_code == 403
    first = shop.post("/cosmetics/classes/recompute", role="manager")
    assert first.status_code == 200 and first.json["c"] == 1
    for day in ("2026-03-02", "2026-03-03", "2026-03-04"):
        clock.at(f"{day} 10:00")
        shop.buy(card, ("面霜", 500))
    again = shop.post("/cosmetics/classes/recompute", role="manager")
    assert (again.json["a"], again.json["c"]) == (1, 0)
    assert shop.get("/cosmetics/reports/abc-distribution", role="manager").json["items"][0]["members"] == 1
    bad = shop.post("/cosmetics/classes/recompute", {"window": 3}, role="manager")
    assert bad.status_code == 422 and bad.json["error"]["details"][0]["pointer"] == "/window"


def test_k2_thresholds_must_be_ordered_to_publish(shop):
    from .conftest import template_document

    document = template_document(shop.hk, class_a_min_visits=1, class_b_min_visits=5,
                                 reminder_channel="event", follow_up_channels=["phone", "sms"])
    saved = shop.client.put("/api/v1/config/draft", json=document, headers=shop.headers())
    assert saved.status_code == 200
    refused = shop.client.post("/api/v1/config/publish", headers=shop.headers())
    assert refused.status_code == 422
    pointers = {d["pointer"] for d in refused.json["error"]["details"]}
    assert {"/plugins/0/settings/class_a_min_visits", "/plugins/0/settings/reminder_channel"} <= pointers
