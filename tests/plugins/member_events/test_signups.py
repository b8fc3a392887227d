"""Sign-up, waiting list, cancellation and check-in through the API (E1): one place per member,
never more seats than the capacity, a cancelled seat goes to the oldest waitlisted member."""
from __future__ import annotations

from tests.support.concurrency import concurrently


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")  # what some phone keyboards type


def codes(response):
    return response.status_code, response.json["error"]["code"]


def test_sign_up_at_the_till_and_once_only(shop):
    event = shop.event()
    card = shop.card(name="李娜")
    first = shop.signed(event, card)
    assert (first["status"], first["channel"], first["member_name"], first["card_number"]) == (
        "registered", "till", "李娜", card)
    assert codes(shop.sign_up(event, card)) == (409, "already_signed_up")
    assert shop.read(event)["taken"] == 1
    assert [r["status"] for r in shop.registrations(event)] == ["registered"]


def test_by_member_id_and_the_one_open_event(shop):
    event = shop.event()
    member = shop.member()
    response = shop.post(f"/events/{event['id']}/registrations", {"member_id": member["id"]}, role="cashier")
    assert response.status_code == 201 and response.json["channel"] == "api", response.json
    card = shop.card()
    implicit = shop.post(f"/cards/{card}/event-registrations", {}, role="cashier")  # the only open event
    assert implicit.status_code == 201 and implicit.json["event_id"] == event["id"], implicit.json
    other = shop.event(title="发布会")
    choose = shop.post(f"/cards/{shop.card()}/event-registrations", {}, role="cashier")
    assert codes(choose) == (422, "choose_event")
    assert f"{other['id']}: 03-14 14:00 发布会" in choose.json["error"]["details"][0]["message"]
    both = shop.post(f"/events/{event['id']}/registrations", {"member_id": 1, "card_number": card})
    assert both.status_code == 422


def test_full_event_refuses_or_waitlists_and_a_cancel_promotes(shop):
    full = shop.event(capacity=1)
    shop.signed(full, shop.card())
    assert codes(shop.sign_up(full, shop.card())) == (409, "event_full")

    queued = shop.event(title="候补沙龙", capacity=1, waitlist=True)
    first, second, third = shop.card(), shop.card(), shop.card()
    seat = shop.signed(queued, first)
    assert [shop.signed(queued, c)["status"] for c in (second, third)] == ["waitlisted", "waitlisted"]
    assert shop.read(queued)["taken"] == 1
    cancelled = shop.post(f"/events/{queued['id']}/registrations/{seat['id']}/cancel", {}, role="cashier")
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled", cancelled.json
    statuses = {r["card_number"]: r["status"] for r in shop.registrations(queued)}
    assert statuses == {first: "cancelled", second: "registered", third: "waitlisted"}
    assert shop.read(queued)["taken"] == 1
    again = shop.post(f"/events/{queued['id']}/registrations/{seat['id']}/cancel", {})
    assert codes(again) == (409, "registration_cancelled")
    # The first member signs up again: the same row, now at the back of the queue.
    assert shop.signed(queued, first)["status"] == "waitlisted"
    grown = shop.patch(f"/events/{queued['id']}", {"capacity": 3})
    assert grown.json["taken"] == 3
    assert {r["status"] for r in shop.registrations(queued)} == {"registered"}


def test_cancel_without_a_waiting_list_frees_the_seat(shop):
    event = shop.event(capacity=1)
    seat = shop.signed(event, shop.card())
    shop.post(f"/events/{event['id']}/registrations/{seat['id']}/cancel", {})
    assert shop.read(event)["taken"] == 0
    assert shop.signed(event, shop.card())["status"] == "registered"


def test_tiers_window_and_status_are_enforced(shop, clock):
    gold_only = shop.event(tiers=["gold"])
    assert codes(shop.sign_up(gold_only, shop.card("regular"))) == (409, "tier_not_eligible")
    assert shop.signed(gold_only, shop.card("gold"))["status"] == "registered"

    later = shop.event(title="晚开", signup_opens_at="2026-03-12T09:00", signup_closes_at="2026-03-13T18:00")
    card = shop.card()
    assert codes(shop.sign_up(later, card)) == (409, "signup_not_open_yet")
    draft = shop.event(title="草稿", status="draft")
    assert codes(shop.sign_up(draft, card)) == (409, "event_not_open")
    cancelled = shop.event(title="取消")
    shop.post(f"/events/{cancelled['id']}/cancel", {})
    assert codes(shop.sign_up(cancelled, card)) == (409, "event_cancelled")
    clock.at("2026-03-13 18:00")
    assert codes(shop.sign_up(later, card)) == (409, "signup_closed")
    clock.at("2026-03-12 09:00")
    assert shop.signed(later, card)["status"] == "registered"


def test_a_card_that_cannot_be_used_or_of_another_merchant(shop, client, hk):
    from .conftest import make_shop

    event = shop.event()
    other = make_shop(client, hk, "别家")
    foreign = other.card()
    assert shop.sign_up(event, foreign).status_code == 404
    loose = client.post("/api/v1/cards", json={}, headers=shop.headers()).json["number"]
    assert shop.sign_up(event, loose).status_code == 409
    assert shop.post(f"/events/{event['id']}/registrations", {"member_id": other.member()["id"]}).status_code == 404
    assert shop.read(event)["taken"] == 0


def test_check_in_by_card_phone_or_name_once_on_the_day(shop, clock):
    event = shop.event(capacity=4)
    by_card, by_phone, by_name, absent = (shop.card(name=n) for n in ("张伟", "刘洋", "陈静", "赵磊"))
    for card in (by_card, by_phone, by_name, absent):
        shop.signed(event, card)
    phone = next(r["phone"] for r in shop.registrations(event) if r["member_name"] == "刘洋")
    path = f"/events/{event['id']}/check-ins"
    assert codes(shop.post(path, {"who": by_card}, role="cashier")) == (409, "check_in_not_now")
    clock.at("2026-03-14 13:30")
    for who in (f"https://shop.example/m/cards/{by_card}", phone.translate(FULL_WIDTH), "陈静"):
        response = shop.post(path, {"who": who}, role="cashier")
        assert response.status_code == 201 and response.json["checked_in_at"] == "2026-03-14T13:30:00+08:00"
    assert codes(shop.post(path, {"who": by_card}, role="cashier")) == (409, "already_checked_in")
    assert codes(shop.post(path, {"who": "不认识"}, role="cashier")) == (409, "not_signed_up")
    assert shop.post(path, {"who": ""}, role="cashier").status_code == 422
    today = shop.post("/event-check-ins", {"who": "赵磊"}, role="cashier")  # the one event today
    assert today.status_code == 201 and today.json["member_name"] == "赵磊", today.json
    checked = [r for r in shop.registrations(event) if r["checked_in_at"]]
    assert len(checked) == 4
    cancel = shop.post(f"/events/{event['id']}/registrations/{checked[0]['id']}/cancel", {})
    assert codes(cancel) == (409, "already_checked_in")


def test_two_members_of_one_name_need_the_phone(shop, clock):
    event = shop.event()
    shop.signed(event, shop.card(name="王芳"))
    shop.signed(event, shop.card(name="王芳"))
    clock.at("2026-03-14 14:10")
    response = shop.post(f"/events/{event['id']}/check-ins", {"who": "王芳"})
    assert codes(response) == (422, "several_match")


def test_member_summary_lists_upcoming_events(shop, clock):
    event = shop.event(title="插花沙龙")
    card = shop.card()
    shop.signed(event, card)
    member_id = shop.get(f"/cards/{card}").json["member_id"]
    summary = shop.get(f"/members/{member_id}").json["summary"]
    assert summary["member_events"][0]["text"] == "03-14 14:00 插花沙龙"
    clock.at("2026-03-14 16:01")
    assert shop.get(f"/members/{member_id}").json["summary"]["member_events"] == []


def test_concurrent_sign_ups_never_exceed_the_capacity(app, shop):
    event = shop.event(capacity=3)
    cards = [shop.card() for _ in range(8)]
    responses = concurrently(app, [
        ("POST", f"/api/v1/cards/{card}/event-registrations", {"event_id": event["id"]},
         shop.headers("cashier")) for card in cards])
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 3, [r.json for r in responses]
    assert all(s in (201, 409) for s in statuses), [r.json for r in responses]
    assert {r.json["error"]["code"] for r in responses if r.status_code == 409} == {"event_full"}
    assert shop.read(event)["taken"] == 3
    assert len(shop.registrations(event, "registered")) == 3


def test_one_member_pressing_twice_at_once_gets_one_place(app, shop):
    event = shop.event(capacity=5)
    card = shop.card()
    responses = concurrently(app, [("POST", f"/api/v1/cards/{card}/event-registrations",
                                    {"event_id": event["id"]}, shop.headers("cashier"))] * 4)
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409], [r.json for r in responses]
    assert shop.read(event)["taken"] == 1


def test_sign_up_and_promotion_queue_one_confirmation_each(shop):
    from sqlalchemy import select

    from core.messages.channels import save_channel
    from core.models import OutboxMessage

    with shop.hk.db.write() as session:
        save_channel(session, shop.hk.plugins, shop.id, "console", sender="console", settings={},
                     secrets={}, enabled=True)
    event = shop.event(title="插花沙龙", capacity=1, waitlist=True)
    first, second = shop.card(name="李娜"), shop.card(name="周敏")
    seat = shop.signed(event, first)
    assert shop.sign_up(event, first).status_code == 409  # refused: nothing more queued
    shop.signed(event, second)
    shop.post(f"/events/{event['id']}/registrations/{seat['id']}/cancel", {})

    def outbox():
        with shop.hk.db.read() as session:
            return session.execute(select(OutboxMessage.kind, OutboxMessage.body).where(
                OutboxMessage.merchant_id == shop.id).order_by(OutboxMessage.id)).all()

    rows = outbox()
    assert [kind for kind, _body in rows] == ["event_signup", "event_waitlist", "event_signup"]
    assert rows[0].body.startswith("李娜，您已成功报名插花沙龙，时间2026-03-14 14:00")
    assert rows[1].body.startswith("周敏") and "候补" in rows[1].body
    assert rows[2].body.startswith("周敏，您已成功报名插花沙龙")


def test_cancels_racing_sign_ups_keep_the_counter_and_the_queue_right(app, shop):
    event = shop.event(capacity=2, waitlist=True)
    seats = [shop.signed(event, shop.card()) for _ in range(2)]
    newcomers = [shop.card() for _ in range(4)]
    cancel = [("POST", f"/api/v1/events/{event['id']}/registrations/{seat['id']}/cancel", {},
               shop.headers("cashier")) for seat in seats]
    signups = [("POST", f"/api/v1/cards/{card}/event-registrations", {"event_id": event["id"]},
                shop.headers("cashier")) for card in newcomers]
    responses = concurrently(app, [signups[0], cancel[0], signups[1], signups[2], cancel[1], signups[3]])
    assert all(r.status_code in (200, 201) for r in responses), [r.json for r in responses]
    registered = shop.registrations(event, "registered")
    waiting = shop.registrations(event, "waitlisted")
    assert shop.read(event)["taken"] == len(registered) == 2  # both seats refilled from the newcomers
    assert len(waiting) == 2
