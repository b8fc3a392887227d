"""Fixtures for the training plugin's tests: a school with courses, plans, teachers, a frozen clock.

Every test runs on SQLite and PostgreSQL (``client``/``hk`` take ``database_url``). The
``clock`` fixture freezes the API's ``now`` at a Beijing-time moment the test chooses.
"""
from __future__ import annotations

import itertools
import uuid

import pytest
from sqlalchemy import func, select

from core import ledger
from tests.support.clock import beijing, freeze, key  # noqa: F401  (tests import them from here)
from tests.support.factories import basic_document, make_merchant
from tests.support.merchant_api import MerchantApi

_phones = itertools.count(13900000001)
TEACHERS = [{"key": "wang", "name": "王老师"}, {"key": "li", "name": "李老师"}]


def school_document(**settings) -> dict:
    """Training enabled (teachers wang and li) plus stored value; tiers silver 9.5折, gold 8.8折."""
    return basic_document(plugins=[
        {"id": "training_courses", "settings": {"teachers": TEACHERS, **settings}},
        {"id": "stored_value", "settings": {}}])


class School(MerchantApi):
    """A merchant with the training plugin and small API helpers."""

    def post(self, path, body=None, role="cashier", idempotent=True):
        return self.client.post(f"/api/v1{path}", json=body or {},
                                headers=self.headers(role, idempotent))

    def get(self, path, role="owner"):
        response = self.client.get(f"/api/v1{path}", headers=self.headers(role))
        assert response.status_code == 200, response.json
        return response.json

    def card(self, tier="silver", pin=None) -> str:
        member = self.client.post("/api/v1/members", json={"name": "张小明", "phone": str(next(_phones))},
                                  headers=self.headers())
        assert member.status_code == 201, member.json
        card = self.client.post("/api/v1/cards", json={"member_id": member.json["id"], "tier": tier,
                                                       **({"pin": pin} if pin else {})},
                                headers=self.headers())
        assert card.status_code == 201, card.json
        return card.json["number"]

    def course(self, key="piano", name="钢琴", teacher="wang") -> dict:
        response = self.post("/training/courses", {"key": key, "name": name, "default_teacher": teacher},
                             role="manager", idempotent=False)
        assert response.status_code == 201, response.json
        return response.json

    def plan(self, course_id, kind="count", price_fen=100000, **fields) -> dict:
        body = {"course_id": course_id, "name": f"{kind} plan", "kind": kind, "price_fen": price_fen,
                **fields}
        if kind == "count":
            body.setdefault("sessions", 3)
        if kind == "metered":
            body.setdefault("minutes", 120)
        response = self.post("/training/plans", body, role="manager", idempotent=False)
        assert response.status_code == 201, response.json
        return response.json

    def sell(self, card, plan_id, method="cash", **extra):
        return self.post(f"/cards/{card}/course-packages",
                         {"plan_id": plan_id, "payment": {"method": method}, **extra})

    def bought(self, card, plan_id, **extra) -> dict:
        response = self.sell(card, plan_id, **extra)
        assert response.status_code == 201, response.json
        return response.json

    def sign_in(self, card, course_key="piano", **extra):
        return self.post(f"/cards/{card}/course-sign-ins", {"course_key": course_key, **extra})

    def packages(self, card) -> list[dict]:
        return self.get(f"/cards/{card}/course-packages")["packages"]

    def balances(self, card) -> dict:
        return self.get(f"/cards/{card}/balances")["balances"]

    def account(self, purpose, asset="cny") -> int:
        with self.hk.db.read() as session:
            return ledger.merchant_account(session, self.id, purpose, asset).balance

    def count_rows(self, model) -> int:
        with self.hk.db.read() as session:
            return session.scalar(select(func.count()).select_from(model).where(model.merchant_id == self.id))

    def run(self, job_name, now):
        """Run one of the plugin's job bodies for this merchant at ``now``, in one transaction."""
        from core.config_versions import published_config

        job = {j.id: j for j in self.hk.plugins.jobs()}[f"training_courses.{job_name}"]
        with self.hk.db.write() as session:
            config = published_config(session, self.id, self.hk.plugins)
            return job.func(session, config, self.id, now)


def make_school(client, hk, name=None, **settings) -> School:
    return School(client, hk, make_merchant(hk, name or f"培训-{uuid.uuid4().hex[:6]}",
                                            school_document(**settings)))


@pytest.fixture
def school(client, hk):
    return make_school(client, hk)


@pytest.fixture
def clock(monkeypatch):
    """Freeze the clock at 2026-03-02 10:00, Beijing time; ``clock.at(...)`` moves it."""
    return freeze(monkeypatch, "2026-03-02 10:00")
