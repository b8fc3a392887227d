"""Tenant isolation of member events (issue 14, E1): merchant A's event and sign-up, the check
that neither changed, and the checks of the routes without ids; used by
tests/api/test_tenant_isolation.py."""
from __future__ import annotations

EVENT_BODIES = {
    "updateEvent": {"capacity": 9, "title": "改名"},
    "cancelEvent": {"reason": "x"},
    "registerForEvent": None,  # B's own member, filled in by the test
    "registerCardForEvent": None,  # A's event, filled in by the test
    "cancelEventRegistration": {},
    "checkInAtEvent": {"who": "AAAA0001"},
}


def make_event_objects(client, a) -> dict:
    """A's salon (far ahead) with A's member signed up by card."""
    event = client.post("/api/v1/events", json={
        "title": "甲沙龙", "starts_at": "2099-01-03T14:00", "ends_at": "2099-01-03T16:00", "capacity": 5,
        "waitlist": True}, headers=a.headers())
    assert event.status_code == 201, event.json
    registration = client.post("/api/v1/cards/AAAA0001/event-registrations", json={"event_id": event.json["id"]},
                               headers=a.headers())
    assert registration.status_code == 201, registration.json
    return {"a_event": event.json, "a_registration": registration.json}


def body_for(endpoint: str, t: dict):
    if endpoint == "registerForEvent":
        return {"member_id": t["b_member"]["id"]}
    if endpoint == "registerCardForEvent":
        return {"event_id": t["a_event"]["id"]}
    return EVENT_BODIES.get(endpoint)


def assert_a_untouched(client, t):
    a = t["a"].headers()
    event = client.get(f"/api/v1/events/{t['a_event']['id']}", headers=a).json
    assert (event["title"], event["capacity"], event["taken"], event["status"]) == ("甲沙龙", 5, 1, "open")
    registrations = client.get(f"/api/v1/events/{t['a_event']['id']}/registrations", headers=a).json
    assert [(r["card_number"], r["status"], r["checked_in_at"]) for r in registrations["registrations"]] == [
        ("AAAA0001", "registered", None)]


def check_event_reads(client, t):
    assert client.get("/api/v1/events", headers=t["b"].headers()).json["events"] == []


def check_create_event(client, t):
    created = client.post("/api/v1/events", json={
        "title": "乙沙龙", "starts_at": "2099-01-03T14:00", "ends_at": "2099-01-03T16:00", "capacity": 2},
        headers=t["b"].headers())
    assert created.status_code == 201, created.json
    assert [e["title"] for e in client.get("/api/v1/events", headers=t["a"].headers()).json["events"]] == ["甲沙龙"]


def check_check_in_today(client, t):
    """B has no event today: A's card checks in nowhere, and A's sign-up is untouched."""
    response = client.post("/api/v1/event-check-ins", json={"who": "AAAA0001",
                                                             "event_id": t["a_event"]["id"]},
                           headers=t["b"].headers())
    assert response.status_code == 404, response.json
    response = client.post("/api/v1/event-check-ins", json={"who": "AAAA0001"}, headers=t["b"].headers())
    assert response.status_code == 422 and response.json["error"]["code"] == "no_event_today", response.json
    assert_a_untouched(client, t)
