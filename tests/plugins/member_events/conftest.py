"""Fixtures for the member-events tests: a shop with events (and points) enabled, a frozen
clock, helpers that go through the real API only.

Every test that takes ``shop`` runs on SQLite and PostgreSQL (``client``/``hk`` take
``database_url``).
"""
from __future__ import annotations

import itertools

import pytest

from tests.support.clock import freeze, key  # noqa: F401  (tests import them from here)
from tests.support.factories import basic_document, make_merchant
from tests.support.merchant_api import MerchantApi

TIERS = [
    {"key": "regular", "name": {"zh-CN": "普卡", "en": "Regular"}, "rank": 0, "discount_permille": 1000},
    {"key": "gold", "name": {"zh-CN": "金卡", "en": "Gold"}, "rank": 1, "discount_permille": 880},
]
_phones = itertools.count(13600000001)


def events_document() -> dict:
    return basic_document(plugins=[{"id": "member_events", "settings": {}},
                                   {"id": "points", "settings": {}}], tiers=TIERS)


class Shop(MerchantApi):
    def member(self, name="王芳", phone=None) -> dict:
        response = self.client.post("/api/v1/members", json={"name": name, "phone": phone or str(next(_phones))},
                                    headers=self.headers())
        assert response.status_code == 201, response.json
        return response.json

    def card(self, tier="regular", member_id=None, name="王芳") -> str:
        response = self.client.post("/api/v1/cards", json={"member_id": member_id or self.member(name)["id"],
                                                           "tier": tier}, headers=self.headers())
        assert response.status_code == 201, response.json
        return response.json["number"]

    def event(self, **body) -> dict:
        body = {"title": "护肤沙龙", "place": "二楼", "starts_at": "2026-03-14T14:00",
                "ends_at": "2026-03-14T16:00", "capacity": 3, **body}
        response = self.post("/events", {k: v for k, v in body.items() if v is not None})
        assert response.status_code == 201, response.json
        return response.json

    def sign_up(self, event, card, role="cashier"):
        return self.post(f"/cards/{card}/event-registrations", {"event_id": event["id"]}, role=role)

    def signed(self, event, card) -> dict:
        response = self.sign_up(event, card)
        assert response.status_code == 201, response.json
        return response.json

    def registrations(self, event, status=None) -> list[dict]:
        query = f"?status={status}" if status else ""
        response = self.get(f"/events/{event['id']}/registrations{query}")
        assert response.status_code == 200, response.json
        return response.json["registrations"]

    def read(self, event) -> dict:
        response = self.get(f"/events/{event['id']}")
        assert response.status_code == 200, response.json
        return response.json

    def post(self, path, body=None, role="owner"):
        return self.client.post(f"/api/v1{path}", json=body if body is not None else {},
                                headers=self.headers(role))

    def patch(self, path, body, role="owner"):
        return self.client.patch(f"/api/v1{path}", json=body, headers=self.headers(role))

    def get(self, path, role="owner"):
        return self.client.get(f"/api/v1{path}", headers=self.headers(role))


def make_shop(client, hk, name="活动小店") -> Shop:
    return Shop(client, hk, make_merchant(hk, name, events_document()))


@pytest.fixture
def clock(monkeypatch):
    return freeze(monkeypatch, "2026-03-10 10:00")


@pytest.fixture
def shop(client, hk, clock):
    return make_shop(client, hk)
