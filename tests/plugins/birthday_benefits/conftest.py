"""Fixtures for the birthday plugin's tests: a shop with birthday benefits, coupons and points
enabled, a frozen clock, helpers that go through the real API only.

Every test that takes ``shop`` runs on SQLite and PostgreSQL (``client``/``hk`` take
``database_url``).
"""
from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from plugins.birthday_benefits.models import BirthdayBenefitUse
from tests.support.clock import freeze, key  # noqa: F401  (tests import them from here)
from tests.support.factories import basic_document, make_merchant
from tests.support.merchant_api import MerchantApi

TIERS = [
    {"key": "regular", "name": {"zh-CN": "普卡", "en": "Regular"}, "rank": 0, "discount_permille": 1000},
    {"key": "gold", "name": {"zh-CN": "金卡", "en": "Gold"}, "rank": 1, "discount_permille": 880},
]
MONTH_90 = {"window": "month", "discount_permille": 900}
_phones = itertools.count(13800000001)


def birthday_document(rules=None, more_plugins=()) -> dict:
    rules = [MONTH_90] if rules is None else rules
    return basic_document(plugins=[{"id": "birthday_benefits", "settings": {"rules": rules}},
                                   {"id": "coupons", "settings": {}},
                                   {"id": "points", "settings": {}}, *more_plugins],
                          tiers=TIERS, policies={"cards_per_member": 3, "allow_replacement": True})


class Shop(MerchantApi):
    def member(self, birthday="1990-03-10", calendar="solar", leap=False) -> int:
        body = {"name": "寿星", "phone": str(next(_phones))}
        if birthday:
            body.update(birthday=birthday, birthday_calendar=calendar, birthday_leap_month=leap)
        response = self.client.post("/api/v1/members", json=body, headers=self.headers())
        assert response.status_code == 201, response.json
        return response.json["id"]

    def card(self, member_id=None, tier="regular", **birthday) -> str:
        response = self.client.post("/api/v1/cards", json={"member_id": member_id or self.member(**birthday),
                                                           "tier": tier}, headers=self.headers())
        assert response.status_code == 201, response.json
        return response.json["number"]

    def quote(self, lines, card=None, coupons=None):
        body = {"lines": lines, **({"card_number": card} if card else {}),
                **({"coupons": coupons} if coupons is not None else {})}
        response = self.client.post("/api/v1/checkout/quote", json=body, headers=self.headers("cashier"))
        assert response.status_code == 200, response.json
        return response.json

    def pay_body(self, lines, card=None, coupons=None) -> dict:
        due = self.quote(lines, card, coupons)["due_fen"]
        return {"lines": lines, "payments": [{"method": "cash", "amount_fen": due}],
                **({"card_number": card} if card else {}),
                **({"coupons": coupons} if coupons is not None else {})}

    def checkout(self, lines, card=None, coupons=None, headers=None):
        return self.client.post("/api/v1/checkout", json=self.pay_body(lines, card, coupons),
                                headers=headers or self.headers("cashier", idempotent=True))

    def bought(self, lines, card=None, coupons=None) -> dict:
        response = self.checkout(lines, card, coupons)
        assert response.status_code == 201, response.json
        return {"checkout_id": response.json["checkout_id"], "receipt": response.json}

    def return_lines(self, checkout_id, lines):
        response = self.client.post(f"/api/v1/checkouts/{checkout_id}/returns", json={"lines": lines},
                                    headers=self.headers("cashier", idempotent=True))
        assert response.status_code == 201, response.json
        return response.json

    def uses(self) -> list[tuple]:
        """(member_id, benefit_year, checkout_id, discount_fen, released) of every use."""
        with self.hk.db.read() as session:
            return [tuple(row) for row in session.execute(
                select(BirthdayBenefitUse.member_id, BirthdayBenefitUse.benefit_year,
                       BirthdayBenefitUse.checkout_id, BirthdayBenefitUse.discount_fen,
                       BirthdayBenefitUse.released_at.is_not(None))
                .where(BirthdayBenefitUse.merchant_id == self.id).order_by(BirthdayBenefitUse.id))]

    def member_fact(self, member_id) -> dict | None:
        response = self.client.get(f"/api/v1/members/{member_id}", headers=self.headers("cashier"))
        assert response.status_code == 200, response.json
        return (response.json.get("summary") or response.json).get("birthday_benefits")


def line(fen, sku="GOODS", quantity=1, **more) -> dict:
    return {"sku": sku, "unit_price_fen": fen, "quantity": quantity, **more}


def birthday_adjustment(answer: dict) -> dict | None:
    return next((a for a in answer.get("adjustments", []) if a.get("kind") == "birthday"), None)


def make_shop(client, hk, name="生日小店", rules=None, more_plugins=()) -> Shop:
    return Shop(client, hk, make_merchant(hk, name, birthday_document(rules, more_plugins)))


@pytest.fixture
def clock(monkeypatch):
    return freeze(monkeypatch, "2026-03-10 10:00")


@pytest.fixture
def shop(client, hk, clock):
    return make_shop(client, hk)
