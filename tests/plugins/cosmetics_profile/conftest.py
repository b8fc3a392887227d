"""Fixtures for the cosmetics plugin's tests: a merchant on the cosmetics_shop template, members
with cards, purchases by category, a frozen clock, on SQLite and PostgreSQL.

The ``client``/``hk`` fixtures take ``database_url``, so every test runs on both databases. The
``clock`` fixture freezes the API's ``now`` (``webui.api.handlers.now_utc``) at a Beijing-time
moment, so purchases, classes and due dates fall on the merchant's local dates.
"""
from __future__ import annotations

import itertools
import uuid
from datetime import datetime

import pytest

from core.jobs import run_job
from core.starters import get_starter
from tests.support.clock import beijing, freeze, key  # noqa: F401  (tests import them from here)
from tests.support.factories import make_merchant
from tests.support.merchant_api import MerchantApi

_phones = itertools.count(13900000001)


def template_document(hk, **settings) -> dict:
    """The cosmetics_shop starter's document (L2), with ``settings`` over the plugin's own."""
    document = get_starter(hk.plugins, "cosmetics_shop").new_document()
    entry = next(p for p in document["plugins"] if p["id"] == "cosmetics_profile")
    entry["settings"] = {**entry.get("settings", {}), **settings}
    return document


class Shop(MerchantApi):
    """A merchant created from the cosmetics_shop template, with API helpers."""

    def publish(self, document):
        saved = self.client.put("/api/v1/config/draft", json=document, headers=self.headers())
        assert saved.status_code == 200, saved.json
        published = self.client.post("/api/v1/config/publish", headers=self.headers())
        assert published.status_code in (200, 201), published.json
        return published.json

    def member(self, name="林小姐", **data) -> int:
        body = {"name": name, "phone": str(next(_phones)), **data}
        response = self.client.post("/api/v1/members", json=body, headers=self.headers("cashier"))
        assert response.status_code == 201, response.json
        return response.json["id"]

    def card(self, member_id) -> str:
        response = self.client.post("/api/v1/cards", json={"member_id": member_id},
                                    headers=self.headers())
        assert response.status_code == 201, response.json
        return response.json["number"]

    def member_with_card(self, name="林小姐", **data) -> tuple[int, str]:
        member_id = self.member(name, **data)
        return member_id, self.card(member_id)

    def buy(self, card, *lines) -> dict:
        """A cash checkout of ``lines`` given as (category, yuan) or (category, yuan, quantity)."""
        items = [{"sku": f"SKU-{index}", "name": category, "category": category,
                  "unit_price_fen": yuan * 100, "quantity": rest[0] if rest else 1}
                 for index, (category, yuan, *rest) in enumerate(lines)]
        quote = self.client.post("/api/v1/checkout/quote", json={"card_number": card, "lines": items},
                                 headers=self.headers("cashier"))
        assert quote.status_code == 200, quote.json
        response = self.client.post("/api/v1/checkout", json={
            "card_number": card, "lines": items,
            "payments": [{"method": "cash", "amount_fen": quote.json["due_fen"]}]},
            headers=self.headers("cashier", idempotent=True))
        assert response.status_code == 201, response.json
        return response.json

    def give_back(self, checkout_id, line_no=1, quantity=1):
        response = self.client.post(f"/api/v1/checkouts/{checkout_id}/returns",
                                    json={"lines": [{"line_no": line_no, "quantity": quantity}]},
                                    headers=self.headers("manager", idempotent=True))
        assert response.status_code == 201, response.json
        return response.json

    def get(self, path, role="owner", **query):
        return self.client.get(f"/api/v1{path}", query_string=query, headers=self.headers(role))

    def post(self, path, body=None, role="owner", idempotent=False):
        return self.client.post(f"/api/v1{path}", json=body if body is not None else {},
                                headers=self.headers(role, idempotent))

    def put(self, path, body, role="owner"):
        return self.client.put(f"/api/v1{path}", json=body, headers=self.headers(role))

    def run(self, job_name: str, now: datetime) -> dict:
        """Run the plugin's job ``job_name`` as the scheduler would; this merchant's summary."""
        job = next(j for j in self.hk.plugins.jobs() if j.id == f"cosmetics_profile.{job_name}")
        result = run_job(self.hk.db, self.hk.plugins, job, now, force=True)
        assert result["status"] == "done", result
        return result["merchants"][str(self.id)]


def make_shop(client, hk, name=None, **settings) -> Shop:
    """A new merchant that starts from the cosmetics_shop template and publishes it."""
    merchant = make_merchant(hk, name or f"美妆店-{uuid.uuid4().hex[:6]}")
    shop = Shop(client, hk, merchant)
    shop.publish(template_document(hk, **settings))
    return shop


@pytest.fixture
def shop(client, hk):
    return make_shop(client, hk)


@pytest.fixture
def clock(monkeypatch):
    """Freeze the clock at 2026-03-01 12:00, Beijing time; ``clock.at(...)`` moves it."""
    return freeze(monkeypatch, "2026-03-01 12:00")
