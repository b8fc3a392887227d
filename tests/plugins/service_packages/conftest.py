"""Fixtures for the service-package tests: a salon with a count card and a period card, on a
frozen clock. Every test runs on SQLite and PostgreSQL (``client``/``hk`` take ``database_url``)."""
from __future__ import annotations

import itertools
import uuid

import pytest

from core import ledger
from tests.support.clock import beijing, freeze, key  # noqa: F401  (tests import them from here)
from tests.support.factories import basic_document, make_merchant
from tests.support.merchant_api import MerchantApi

_phones = itertools.count(13600000001)
FACIAL_10 = {"key": "facial_10", "name": "10次面部护理", "service": "面部护理", "kind": "count",
             "sessions": 10, "validity_days": 365, "price_fen": 100000}
QUARTER = {"key": "quarter", "name": "季卡", "service": "面部护理", "kind": "period",
           "validity_days": 90, "price_fen": 100000, "max_per_day": 1}
WASH_20 = {"key": "wash_20", "name": "20次洗车", "service": "洗车", "kind": "count", "sessions": 20,
           "validity_days": 180, "price_fen": 50000}


def salon_document(plans=(FACIAL_10, QUARTER, WASH_20), **settings) -> dict:
    return basic_document(plugins=[
        {"id": "service_packages", "settings": {"plans": list(plans), **settings}},
        {"id": "stored_value", "settings": {}}])


class Salon(MerchantApi):
    def post(self, path, body=None, role="cashier", idempotent=True, headers=None):
        return self.client.post(f"/api/v1{path}", json=body or {},
                                headers={**self.headers(role, idempotent), **(headers or {})})

    def get(self, path, role="owner"):
        response = self.client.get(f"/api/v1{path}", headers=self.headers(role))
        assert response.status_code == 200, response.json
        return response.json

    def member_card(self, tier="silver", pin=None) -> tuple[int, str]:
        member = self.client.post("/api/v1/members", json={"name": "林小姐", "phone": str(next(_phones))},
                                  headers=self.headers())
        assert member.status_code == 201, member.json
        card = self.client.post("/api/v1/cards", json={"member_id": member.json["id"], "tier": tier,
                                                       **({"pin": pin} if pin else {})},
                                headers=self.headers())
        assert card.status_code == 201, card.json
        return member.json["id"], card.json["number"]

    def card(self, tier="silver", pin=None) -> str:
        return self.member_card(tier, pin)[1]

    def sell(self, card, plan, method="cash", **extra):
        return self.post(f"/cards/{card}/service-packages", {"plan": plan, "payment": {"method": method}, **extra})

    def bought(self, card, plan, **extra) -> dict:
        response = self.sell(card, plan, **extra)
        assert response.status_code == 201, response.json
        return response.json

    def use(self, card, **body):
        return self.post(f"/cards/{card}/service-package-uses", body)

    def packages(self, card) -> list[dict]:
        return self.get(f"/cards/{card}/service-packages")["packages"]

    def balances(self, card) -> dict:
        return self.get(f"/cards/{card}/balances")["balances"]

    def account(self, purpose, asset="cny") -> int:
        with self.hk.db.read() as session:
            return ledger.merchant_account(session, self.id, purpose, asset).balance

    def report(self, report_id, query="") -> dict:
        return self.get(f"/reports/{report_id}?{query}")

    def expire(self, now):
        from core.config_versions import published_config

        job = {j.id: j for j in self.hk.plugins.jobs()}["service_packages.expire_packages"]
        with self.hk.db.write() as session:
            config = published_config(session, self.id, self.hk.plugins)
            return job.func(session, config, self.id, now)


def make_salon(client, hk, **settings) -> Salon:
    return Salon(client, hk, make_merchant(hk, f"美容-{uuid.uuid4().hex[:6]}", salon_document(**settings)))


@pytest.fixture
def salon(client, hk):
    return make_salon(client, hk)


@pytest.fixture
def clock(monkeypatch):
    """Freeze the clock at 2026-03-02 10:00, Beijing time; ``clock.at(...)`` moves it."""
    return freeze(monkeypatch, "2026-03-02 10:00")
