"""Fixtures for the points plugin's tests: a merchant with points enabled, cards, a frozen clock.

Every test runs on SQLite and PostgreSQL (the ``client``/``hk`` fixtures take
``database_url``). The ``clock`` fixture freezes the API's ``now`` (the handler wrapper reads
``webui.api.handlers.now_utc``) at a Beijing-time moment the test chooses, so daily limits and
expiry are tested on the merchant's local date, not the server's.
"""
from __future__ import annotations

import itertools

import pytest

from core import ledger
from tests.support.clock import beijing, freeze, key  # noqa: F401  (tests import them from here)
from tests.support.factories import basic_document, make_merchant
from tests.support.merchant_api import MerchantApi

TIERS = [
    {"key": "regular", "name": {"zh-CN": "普卡", "en": "Regular"}, "rank": 0, "discount_permille": 1000},
    {"key": "gold", "name": {"zh-CN": "金卡", "en": "Gold"}, "rank": 1, "discount_permille": 880},
]
_phones = itertools.count(13800000001)


def points_document(**settings) -> dict:
    """Points enabled with ``settings``; tiers regular (no discount) and gold (8.8折);
    card kinds standard (earns) and purchase (earns nothing, P3)."""
    return basic_document(plugins=[{"id": "points", "settings": settings}], tiers=TIERS)


class Shop(MerchantApi):
    """A merchant with points enabled and small API helpers around the test client."""

    def card(self, tier="regular", kind="standard") -> str:
        member = self.client.post("/api/v1/members", json={"name": "李娜", "phone": str(next(_phones))},
                                  headers=self.headers())
        assert member.status_code == 201, member.json
        card = self.client.post("/api/v1/cards", json={"member_id": member.json["id"], "tier": tier,
                                                       "kind": kind}, headers=self.headers())
        assert card.status_code == 201, card.json
        return card.json["number"]

    def checkout(self, card, lines, payments=None, role="cashier"):
        """POST /api/v1/checkout; without ``payments`` the due amount is paid in cash."""
        if payments is None:
            body = {"lines": lines, **({"card_number": card} if card else {})}
            quote = self.client.post("/api/v1/checkout/quote", json=body, headers=self.headers(role))
            assert quote.status_code == 200, quote.json
            payments = [{"method": "cash", "amount_fen": quote.json["due_fen"]}]
        body = {"lines": lines, "payments": payments, **({"card_number": card} if card else {})}
        return self.client.post("/api/v1/checkout", json=body, headers=self.headers(role, idempotent=True))

    def buy(self, card, yuan: int, **line):
        """A one-line cash purchase of ``yuan`` (list price); returns the receipt."""
        response = self.checkout(card, [{"sku": "GOODS", "unit_price_fen": yuan * 100, **line}])
        assert response.status_code == 201, response.json
        return response.json

    def points(self, card) -> int:
        return self.balances(card)["balances"].get("points", 0)

    def balances(self, card) -> dict:
        response = self.client.get(f"/api/v1/cards/{card}/balances", headers=self.headers())
        assert response.status_code == 200, response.json
        return response.json

    def lots(self, card) -> list[tuple[int, str | None]]:
        """(remaining, expires_on) of the card's open points lots, soonest expiry first."""
        return [(lot["remaining"], lot["expires_on"]) for lot in self.balances(card)["lots"]
                if lot["asset"] == "points"]

    def adjust(self, card, points, reason="测试调整", role="owner"):
        return self.client.post(f"/api/v1/cards/{card}/points/adjust",
                                json={"points": points, "reason": reason},
                                headers=self.headers(role, idempotent=True))

    def publish(self, document):
        saved = self.client.put("/api/v1/config/draft", json=document, headers=self.headers())
        assert saved.status_code == 200, saved.json
        published = self.client.post("/api/v1/config/publish", headers=self.headers())
        assert published.status_code in (200, 201), published.json


    def merchant_points(self, purpose) -> int:
        with self.hk.db.read() as session:
            return ledger.merchant_account(session, self.id, purpose, "points").balance


def make_shop(client, hk, name="积分测试店", **settings) -> Shop:
    return Shop(client, hk, make_merchant(hk, name, points_document(**settings)))


@pytest.fixture
def shop(client, hk):
    return make_shop(client, hk)


@pytest.fixture
def clock(monkeypatch):
    """Freeze the clock at 2026-03-01 12:00, Beijing time; ``clock.at(...)`` moves it."""
    return freeze(monkeypatch, "2026-03-01 12:00")
