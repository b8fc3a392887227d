"""Events through the API: local times at the edges, every bad input a JSON 4xx that changes
nothing, owners and managers only for changes (E1)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from plugins.member_events.models import MemberEvent


def test_an_event_is_stored_in_utc_and_shown_in_local_time(shop):
    event = shop.event(title="冬季护肤沙龙", description="补水讲座", waitlist=True, tiers=["gold"],
                       signup_closes_at="2026-03-13T20:00", store_id=shop.merchant.store_ids[0])
    assert (event["starts_at"], event["ends_at"]) == ("2026-03-14T14:00:00+08:00", "2026-03-14T16:00:00+08:00")
    assert (event["capacity"], event["taken"], event["seats_left"], event["status"]) == (3, 0, 3, "open")
    assert event["signup_closes_at"] == "2026-03-13T20:00:00+08:00" and event["accepting_signups"]
    with shop.hk.db.read() as session:
        stored = session.scalar(select(MemberEvent).where(MemberEvent.id == event["id"]))
        assert stored.starts_at.isoformat() == "2026-03-14T06:00:00+00:00"
    other = shop.event(title="发布会", starts_at="2026-03-20T19:00:00+00:00", ends_at="2026-03-20T21:00:00Z")
    assert other["starts_at"] == "2026-03-21T03:00:00+08:00"
    listed = shop.get("/events?from=2026-03-14&to=2026-03-14").json["events"]
    assert [e["id"] for e in listed] == [event["id"]]
    assert [e["id"] for e in shop.get("/events", role="cashier").json["events"]] == [event["id"], other["id"]]


@pytest.mark.parametrize("body, pointer", [
    ({"capacity": 0}, "/capacity"),
    ({"capacity": "20"}, "/capacity"),
    ({"title": ""}, "/title"),
    ({"title": "   "}, "/title"),
    ({"starts_at": "2026-13-01T10:00"}, "/starts_at"),
    ({"starts_at": "tomorrow"}, "/starts_at"),
    ({"ends_at": "2026-03-14T13:00"}, "/ends_at"),
    ({"starts_at": "2026-03-01T10:00", "ends_at": "2026-03-01T12:00"}, "/starts_at"),
    ({"signup_closes_at": "2026-03-15T10:00"}, "/signup_closes_at"),
    ({"signup_opens_at": "2026-03-14T15:00"}, "/signup_opens_at"),
    ({"tiers": ["platinum"]}, "/tiers/0"),
    ({"store_id": 999999}, "/store_id"),
    ({"status": "cancelled"}, "/status"),
    ({"colour": "red"}, "/colour"),
])
def test_a_bad_event_is_refused_naming_the_field(shop, body, pointer):
    base = {"title": "沙龙", "starts_at": "2026-03-14T14:00", "ends_at": "2026-03-14T16:00", "capacity": 5}
    response = shop.post("/events", {**base, **body})
    assert response.status_code == 422, response.json
    assert pointer in [d["pointer"] for d in response.json["error"]["details"]], response.json
    assert shop.get("/events").json["events"] == []


@pytest.mark.parametrize("body", [None, [], "x", {"capacity": 10**12}])
def test_odd_bodies_are_4xx_never_5xx(shop, body):
    response = shop.client.post("/api/v1/events", json=body, headers=shop.headers())
    assert 400 <= response.status_code < 500, response.json


def test_cashiers_read_but_do_not_change_events(shop):
    event = shop.event()
    assert shop.post("/events", {"title": "x", "starts_at": "2026-03-14T14:00", "ends_at": "2026-03-14T16:00",
                                 "capacity": 1}, role="cashier").status_code == 403
    assert shop.patch(f"/events/{event['id']}", {"capacity": 9}, role="cashier").status_code == 403
    assert shop.post(f"/events/{event['id']}/cancel", {}, role="cashier").status_code == 403
    assert shop.get(f"/events/{event['id']}", role="cashier").json["capacity"] == 3
    assert shop.patch(f"/events/{event['id']}", {"capacity": 9}, role="manager").json["capacity"] == 9


def test_update_and_cancel(shop):
    event = shop.event()
    changed = shop.patch(f"/events/{event['id']}", {"title": "春季沙龙", "starts_at": "2026-03-14T15:00",
                                                    "status": "closed"})
    assert changed.status_code == 200, changed.json
    assert (changed.json["title"], changed.json["starts_at"], changed.json["status"]) == (
        "春季沙龙", "2026-03-14T15:00:00+08:00", "closed")
    assert not changed.json["accepting_signups"]
    bad = shop.patch(f"/events/{event['id']}", {"ends_at": "2026-03-14T14:30"})
    assert bad.status_code == 422 and bad.json["error"]["details"][0]["pointer"] == "/ends_at"
    assert shop.patch(f"/events/{event['id']}", {}).status_code == 422
    cancelled = shop.post(f"/events/{event['id']}/cancel", {"reason": "场地维修"})
    assert (cancelled.json["status"], cancelled.json["cancel_reason"]) == ("cancelled", "场地维修")
    again = shop.post(f"/events/{event['id']}/cancel", {})
    assert again.status_code == 409 and again.json["error"]["code"] == "event_cancelled"
    edit = shop.patch(f"/events/{event['id']}", {"status": "open"})
    assert edit.status_code == 409 and edit.json["error"]["code"] == "event_cancelled"
    assert shop.read(event)["status"] == "cancelled"


def test_capacity_cannot_go_below_the_seats_taken(shop):
    event = shop.event(capacity=2)
    shop.signed(event, shop.card())
    shop.signed(event, shop.card())
    refused = shop.patch(f"/events/{event['id']}", {"capacity": 1})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "capacity_below_signups"
    assert shop.read(event)["capacity"] == 2


@pytest.mark.parametrize("query", ["status=nope", "from=2026-3-1", "from=2026-03-20&to=2026-03-01",
                                   "status=", "to=", "from="])
def test_bad_list_queries_are_422(shop, query):
    response = shop.get(f"/events?{query}")
    assert response.status_code == 422, response.json


def test_unknown_events_are_404(shop):
    for method, path in (("GET", "/events/999"), ("PATCH", "/events/999"), ("POST", "/events/999/cancel"),
                         ("GET", "/events/999/registrations"), ("POST", "/events/999/check-ins")):
        body = {"capacity": 5} if method == "PATCH" else ({"who": "x"} if "check-ins" in path else {})
        response = shop.client.open(f"/api/v1{path}", method=method, json=body, headers=shop.headers())
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found", (path, response.json)
