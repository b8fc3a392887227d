"""Fixtures for the coupon plugin's tests: a shop with coupons (and points) enabled, a frozen
clock, helpers that go through the real API only.

Every test that takes ``shop`` runs on SQLite and PostgreSQL (``client``/``hk`` take
``database_url``).
"""
from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from plugins.coupons.models import Coupon, CouponRedemption
from tests.support.clock import freeze, key  # noqa: F401  (tests import them from here)
from tests.support.factories import basic_document, make_merchant
from tests.support.merchant_api import MerchantApi

TIERS = [
    {"key": "regular", "name": {"zh-CN": "普卡", "en": "Regular"}, "rank": 0, "discount_permille": 1000},
    {"key": "gold", "name": {"zh-CN": "金卡", "en": "Gold"}, "rank": 1, "discount_permille": 880},
]
_phones = itertools.count(13700000001)


def coupons_document(plugins=None) -> dict:
    return basic_document(plugins=plugins or [{"id": "coupons", "settings": {}},
                                              {"id": "points", "settings": {}}], tiers=TIERS)


class Shop(MerchantApi):
    def member(self) -> int:
        response = self.client.post("/api/v1/members", json={"name": "王芳", "phone": str(next(_phones))},
                                    headers=self.headers())
        assert response.status_code == 201, response.json
        return response.json["id"]

    def card(self, tier="regular", member_id=None) -> str:
        response = self.client.post("/api/v1/cards", json={"member_id": member_id or self.member(),
                                                           "tier": tier}, headers=self.headers())
        assert response.status_code == 201, response.json
        return response.json["number"]

    def template(self, **body) -> dict:
        body = {"name": f"券{next(_phones)}", "kind": "cash", "value_fen": 1000, "valid_days": 30, **body}
        body = {key: value for key, value in body.items() if value is not None}
        response = self.post("/coupon-templates", body)
        assert response.status_code == 201, response.json
        return response.json

    def issue(self, template, card=None, quantity=1, role="cashier", **body):
        target = {"card_number": card} if card else {"bearer": True}
        return self.post("/coupons/issue", {"template_id": template["id"], "quantity": quantity,
                                            **target, **body}, role=role)

    def coupon(self, template, card=None, **body) -> str:
        response = self.issue(template, card, **body)
        assert response.status_code == 201, response.json
        return response.json["coupons"][0]["code"]

    def quote(self, lines, card=None, coupons=None):
        body = {"lines": lines, **({"card_number": card} if card else {}),
                **({"coupons": coupons} if coupons is not None else {})}
        return self.client.post("/api/v1/checkout/quote", json=body, headers=self.headers("cashier"))

    def checkout(self, lines, card=None, coupons=None, headers=None):
        """Quote, then pay the due amount in cash; returns the checkout response."""
        quote = self.quote(lines, card, coupons)
        if quote.status_code != 200:
            return quote
        body = {"lines": lines, "payments": [{"method": "cash", "amount_fen": quote.json["due_fen"]}],
                **({"card_number": card} if card else {}),
                **({"coupons": coupons} if coupons is not None else {})}
        return self.client.post("/api/v1/checkout", json=body,
                                headers=headers or self.headers("cashier", idempotent=True))

    def bought(self, lines, card=None, coupons=None) -> dict:
        response = self.checkout(lines, card, coupons)
        assert response.status_code == 201, response.json
        return response.json

    def return_lines(self, checkout_id, lines):
        response = self.post(f"/checkouts/{checkout_id}/returns", {"lines": lines}, role="cashier")
        assert response.status_code == 201, response.json
        return response.json

    def card_coupons(self, card) -> list[dict]:
        response = self.get(f"/cards/{card}/coupons")
        assert response.status_code == 200, response.json
        return response.json["coupons"]

    def status(self, code) -> str:
        response = self.get(f"/coupons/{code}")
        assert response.status_code == 200, response.json
        return response.json["status"]

    def redemptions(self, code) -> list[tuple]:
        with self.hk.db.read() as session:
            return session.execute(
                select(CouponRedemption.checkout_id, CouponRedemption.discount_fen,
                       CouponRedemption.reversed_at.is_not(None))
                .join(Coupon, Coupon.id == CouponRedemption.coupon_id)
                .where(Coupon.merchant_id == self.id, Coupon.code == code)
                .order_by(CouponRedemption.id)).all()

    def post(self, path, body=None, role="owner", idempotent=True):
        return self.client.post(f"/api/v1{path}", json=body if body is not None else {},
                                headers=self.headers(role, idempotent))

    def get(self, path, role="owner"):
        return self.client.get(f"/api/v1{path}", headers=self.headers(role))


def line(fen, sku="GOODS", quantity=1, **more) -> dict:
    return {"sku": sku, "unit_price_fen": fen, "quantity": quantity, **more}


def make_shop(client, hk, name="优惠券小店", plugins=None) -> Shop:
    return Shop(client, hk, make_merchant(hk, name, coupons_document(plugins)))


@pytest.fixture
def clock(monkeypatch):
    return freeze(monkeypatch, "2026-03-10 10:00")


@pytest.fixture
def shop(client, hk, clock):
    return make_shop(client, hk)
