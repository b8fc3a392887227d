"""K3 running-out reminders from each member's own purchase cycle, and K2 regular follow-ups,
planned by the job ``plan_follow_ups`` (a function of now)."""
from __future__ import annotations

import pytest

from .conftest import beijing, make_shop


@pytest.fixture
def reminder_shop(client, hk):
    return make_shop(client, hk, running_out_lead_days=7, regular_follow_ups=False)


def planned(shop, member_id) -> list[dict]:
    return [f for f in shop.get(f"/members/{member_id}/follow-ups").json["items"]
            if f["kind"] == "running_out"]


def test_k3_running_out_from_the_members_own_cycle_planned_once(reminder_shop, clock):
    shop = reminder_shop
    regular, card = shop.member_with_card("按月买面霜")
    once, once_card = shop.member_with_card("买过一次彩妆")
    for day in ("2026-01-01", "2026-01-31"):
        clock.at(f"{day} 10:00")
        shop.buy(card, ("Cream", 300))  # categories match case-insensitively
    clock.at("2026-01-10 10:00")
    shop.buy(once_card, ("口红", 200))
    clock.at("2026-03-02 10:00")
    last = shop.buy(card, ("面霜", 300), ("其他", 50))

    cycles = shop.get(f"/members/{regular}/purchase-cycles", role="cashier").json["items"]
    assert cycles == [{"group": "skincare", "purchases": 3, "cycle_days": 30, "own_cycle": True,
                       "last_purchase_on": "2026-03-02", "last_checkout_id": last["checkout_id"],
                       "runs_out_on": "2026-04-01", "remind_on": "2026-03-25"}]
    makeup = shop.get(f"/members/{once}/purchase-cycles").json["items"]
    assert [(c["group"], c["cycle_days"], c["own_cycle"], c["runs_out_on"]) for c in makeup] == [
        ("makeup", 90, False, "2026-04-10")]  # one purchase: the group's default cycle

    assert shop.run("plan_follow_ups", beijing("2026-03-24 02:30"))["running_out"] == 0
    assert shop.run("plan_follow_ups", beijing("2026-03-25 02:30"))["running_out"] == 1
    assert shop.run("plan_follow_ups", beijing("2026-03-26 02:30"))["running_out"] == 0  # never twice
    [reminder] = planned(shop, regular)
    assert (reminder["status"], reminder["due_on"], reminder["product_group"],
            reminder["source_checkout_id"], reminder["channel"]) == (
        "planned", "2026-03-25", "skincare", last["checkout_id"], "phone")
    assert shop.run("plan_follow_ups", beijing("2026-04-03 02:30"))["running_out"] == 1
    assert planned(shop, once)[0]["due_on"] == "2026-04-03"
    # After the reminder was done, the same purchase still plans nothing new.
    assert shop.post(f"/cosmetics/follow-ups/{reminder['id']}/complete", {"outcome": "已买"}).status_code == 200
    assert shop.run("plan_follow_ups", beijing("2026-03-31 02:30"))["running_out"] == 0
    shop.verify()


def test_k3_returned_goods_do_not_count_in_the_cycle(reminder_shop, clock):
    shop = reminder_shop
    member_id, card = shop.member_with_card()
    clock.at("2026-02-01 10:00")
    kept = shop.buy(card, ("面霜", 300))
    clock.at("2026-02-11 10:00")
    returned = shop.buy(card, ("面霜", 300, 2))
    shop.give_back(returned["checkout_id"], quantity=2)
    cycles = shop.get(f"/members/{member_id}/purchase-cycles").json["items"]
    assert [(c["purchases"], c["cycle_days"], c["last_checkout_id"], c["runs_out_on"]) for c in cycles] == [
        (1, 60, kept["checkout_id"], "2026-04-02")]
    assert shop.run("plan_follow_ups", beijing("2026-03-26 02:30"))["running_out"] == 1
    assert planned(shop, member_id)[0]["source_checkout_id"] == kept["checkout_id"]


def test_k2_regular_follow_ups_by_class_interval(client, hk, clock):
    shop = make_shop(client, hk, follow_up_days_a=10, follow_up_days_b=20, follow_up_days_c=30,
                     regular_channel="sms")
    member_id, card = shop.member_with_card()
    clock.at("2026-03-01 10:00")
    shop.buy(card, ("其他", 10))  # an in-store contact; no product group
    shop.run("classify_members", beijing("2026-03-02 02:00"))
    assert shop.run("plan_follow_ups", beijing("2026-03-30 02:30"))["regular"] == 0
    assert shop.run("plan_follow_ups", beijing("2026-03-31 02:30"))["regular"] == 1
    assert shop.run("plan_follow_ups", beijing("2026-04-01 02:30"))["regular"] == 0  # one is open
    [regular] = [f for f in shop.get(f"/members/{member_id}/follow-ups").json["items"]
                 if f["kind"] == "regular"]
    assert (regular["due_on"], regular["channel"]) == ("2026-03-31", "sms")
    clock.at("2026-04-01 10:00")
    assert shop.post(f"/cosmetics/follow-ups/{regular['id']}/complete", {"outcome": "已联系"}).status_code == 200
    assert shop.run("plan_follow_ups", beijing("2026-04-30 02:30"))["regular"] == 0
    assert shop.run("plan_follow_ups", beijing("2026-05-01 02:30"))["regular"] == 1
    assert shop.post("/cosmetics/follow-ups/plan", role="cashier").status_code == 403
