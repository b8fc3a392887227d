"""Reminder kind ``purchase_cycle`` (issue 14): the running-out follow-ups ``plan_follow_ups``
planned from the member's own cycle, listed by GET /api/v1/reminders until staff close them."""
from __future__ import annotations

from .conftest import beijing, make_shop


def cycle_reminders(shop, on):
    answer = shop.get("/reminders", kind="purchase_cycle", on=on)
    assert answer.status_code == 200, answer.json
    return answer.json["reminders"]


def test_purchase_cycle_reminders_follow_the_planned_follow_ups(client, hk, clock):
    shop = make_shop(client, hk, running_out_lead_days=7, regular_follow_ups=False)
    member_id, card = shop.member_with_card("按月买面霜")
    for day in ("2026-01-01", "2026-01-31", "2026-03-02"):
        clock.at(f"{day} 10:00")
        shop.buy(card, ("面霜", 300))
    assert cycle_reminders(shop, "2026-03-25") == []  # nothing planned yet: the job plans
    assert shop.run("plan_follow_ups", beijing("2026-03-25 02:30"))["running_out"] == 1
    [found] = cycle_reminders(shop, "2026-03-25")
    assert (found["member_id"], found["facts"]["product_group"], found["facts"]["due_on"]) == (
        member_id, "skincare", "2026-03-25")
    assert found["occasion"] == f"purchase_cycle:follow_up:{found['facts']['follow_up_id']}"
    assert cycle_reminders(shop, "2026-03-24") == []  # not due yet
    assert len(cycle_reminders(shop, "2026-04-01")) == 1  # 7 days late: still on the list
    assert cycle_reminders(shop, "2026-04-02") == []
    done = shop.post(f"/cosmetics/follow-ups/{found['facts']['follow_up_id']}/complete", {"outcome": "已买"})
    assert done.status_code == 200
    assert cycle_reminders(shop, "2026-03-26") == []
