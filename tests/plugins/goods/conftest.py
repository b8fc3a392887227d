"""Fixtures for the goods plugin's tests: a shop with the goods and points plugins, a small
catalogue, and helpers around the test client. Every test that takes ``shop`` runs on SQLite
and PostgreSQL (``client``/``hk`` take ``database_url``)."""
from __future__ import annotations

import itertools
import uuid

import pytest

from tests.support.factories import basic_document, make_merchant
from tests.support.merchant_api import MerchantApi

_phones = itertools.count(13700000001)

CATALOGUE = [
    {"sku": "MILK-POWDER", "barcode": "6900000000011", "name": "牛奶粉", "unit": "罐",
     "category": "食品/乳品/奶粉", "price_fen": 10000, "member_prices": {"gold": 8500}},
    {"sku": "YOGURT", "barcode": "6900000000028", "name": "老酸奶", "unit": "杯",
     "category": "食品/乳品", "price_fen": 800},
    {"sku": "RICE-5KG", "barcode": "6900000000035", "name": "东北大米5kg", "unit": "袋",
     "category": "食品/粮油", "price_fen": 5000, "special_price": True},
    {"sku": "TISSUE", "name": "抽纸", "unit": "提", "category": "日用/纸品", "price_fen": 2000,
     "points_permille": 0, "favourite": True},
]


def goods_document(**overrides) -> dict:
    return basic_document(plugins=[{"id": "goods", "settings": {}}, {"id": "points", "settings": {}}],
                          **overrides)


class Shop(MerchantApi):
    def member(self, **fields) -> int:
        body = {"name": "张伟", "phone": str(next(_phones)), **fields}
        response = self.client.post("/api/v1/members", json=body, headers=self.headers())
        assert response.status_code == 201, response.json
        return response.json["id"]

    def card(self, tier="gold") -> str:
        response = self.client.post("/api/v1/cards", json={"member_id": self.member(), "tier": tier},
                                    headers=self.headers())
        assert response.status_code == 201, response.json
        return response.json["number"]

    def post(self, path, body, role="owner", idempotent=True, headers=None):
        return self.client.post(f"/api/v1{path}", json=body,
                                headers={**self.headers(role, idempotent), **(headers or {})})

    def get(self, path, role="owner"):
        return self.client.get(f"/api/v1{path}", headers=self.headers(role))

    def products(self, items=CATALOGUE) -> dict[str, dict]:
        response = self.post("/products", {"products": items}, idempotent=False)
        assert response.status_code == 200, response.json
        return {product["sku"]: product for product in response.json["products"]}

    def search(self, query: str, role="cashier") -> list[str]:
        response = self.get(f"/products?{query}", role=role)
        assert response.status_code == 200, response.json
        return [product["sku"] for product in response.json["products"]]

    def checkout(self, lines, card=None, payments=None, headers=None):
        body = {"lines": lines, **({"card_number": card} if card else {})}
        quote = self.post("/checkout/quote", body, role="cashier", idempotent=False)
        assert quote.status_code == 200, quote.json
        body["payments"] = payments or [{"method": "cash", "amount_fen": quote.json["due_fen"]}]
        return self.post("/checkout", body, role="cashier", headers=headers)

    def stock(self, sku, store_id=None) -> int:
        rows = self.get("/stock" + (f"?store={store_id}" if store_id else "")).json["stock"]
        store_id = store_id or self.merchant.store_ids[0]
        return next(row["quantity"] for row in rows if row["sku"] == sku and row["store_id"] == store_id)

    def verify(self):
        super().verify()
        from plugins.goods.stock import verify

        with self.hk.db.read() as session:
            assert verify(session, self.id) == []


@pytest.fixture
def shop(client, hk):
    return Shop(client, hk, make_merchant(hk, f"超市-{uuid.uuid4().hex[:6]}", goods_document()))
