"""A shop for the campaign tests: tiers, member fields of every type (tags included), coupons
enabled; members, cards and sales made through the real API on a frozen clock.

Every test taking ``shop`` runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

import itertools

import pytest

from tests.support.clock import freeze, key
from tests.support.factories import basic_document, make_merchant
from tests.support.merchant_api import MerchantApi

TIERS = [
    {"key": "regular", "name": {"zh-CN": "普卡", "en": "Regular"}, "rank": 0, "discount_permille": 1000},
    {"key": "gold", "name": {"zh-CN": "金卡", "en": "Gold"}, "rank": 1, "discount_permille": 1000},
]
FIELDS = [
    {"key": "tags", "type": "multi_choice", "label": {"zh-CN": "标签", "en": "Tags"},
     "options": [{"value": "vip", "label": {"zh-CN": "贵宾", "en": "VIP"}},
                 {"value": "new", "label": {"zh-CN": "新客", "en": "New"}},
                 {"value": "wine", "label": {"zh-CN": "爱酒", "en": "Wine"}}]},
    {"key": "favourite", "type": "choice", "label": {"zh-CN": "喜好", "en": "Favourite"},
     "options": [{"value": "tea", "label": {"zh-CN": "茶", "en": "Tea"}},
                 {"value": "coffee", "label": {"zh-CN": "咖啡", "en": "Coffee"}}]},
    {"key": "kids", "type": "number", "label": {"zh-CN": "孩子数", "en": "Kids"}, "min": 0, "max": 20},
    {"key": "smoker", "type": "boolean", "label": {"zh-CN": "吸烟", "en": "Smoker"}},
    {"key": "wedding", "type": "date", "label": {"zh-CN": "结婚纪念日", "en": "Wedding day"}},
    {"key": "note", "type": "text", "label": {"zh-CN": "备注", "en": "Note"}},
]
_phones = itertools.count(13600000001)


def campaign_document() -> dict:
    return basic_document(plugins=[{"id": "coupons", "settings": {}}], tiers=TIERS, fields=FIELDS)


class Shop(MerchantApi):
    def member(self, name="王芳", tier="regular", card=True, **fields) -> dict:
        response = self.client.post("/api/v1/members", json={"name": name, "phone": str(next(_phones)), **fields},
                                    headers=self.headers())
        assert response.status_code == 201, response.json
        member = response.json
        if card:
            made = self.client.post("/api/v1/cards", json={"member_id": member["id"], "tier": tier},
                                    headers=self.headers())
            assert made.status_code == 201, made.json
            member["card"] = made.json["number"]
        return member

    def buy(self, member: dict, fen: int) -> dict:
        response = self.client.post("/api/v1/checkout", json={
            "card_number": member["card"], "lines": [{"sku": "A", "unit_price_fen": fen}],
            "payments": [{"method": "cash", "amount_fen": fen}]}, headers={**self.headers(), **key()})
        assert response.status_code == 201, response.json
        return response.json

    def post(self, path: str, body=None, role="owner"):
        return self.client.post(f"/api/v1{path}", json=body, headers=self.headers(role))

    def get(self, path: str, role="owner"):
        return self.client.get(f"/api/v1{path}", headers=self.headers(role))

    def count(self, segment: dict) -> int:
        response = self.post("/campaigns/preview", {"segment": segment})
        assert response.status_code == 200, response.json
        return response.json["count"]

    def ids(self, segment: dict) -> set[int]:
        """The segment's members through the core's compiled query (the preview samples ten)."""
        from core import clock
        from core.campaigns.segments import segment_query
        from core.config_versions import published_config

        with self.hk.db.read() as session:
            config = published_config(session, self.id, self.hk.plugins)
            return set(session.scalars(segment_query(session, config, self.id, segment,
                                                     clock.local_date(clock.now_utc()))))


@pytest.fixture
def clock(monkeypatch):
    return freeze(monkeypatch, "2026-12-06 10:00")


@pytest.fixture
def shop(client, hk, clock):
    return Shop(client, hk, make_merchant(hk, "营销小店", campaign_document()))


def use_console(hk, merchant_id: int) -> None:
    """The merchant's messages go to the console sender (to the member's phone)."""
    from core.messages.channels import save_channel

    with hk.db.write() as session:
        save_channel(session, hk.plugins, merchant_id, "console", sender="console", settings={}, secrets={})


def opt_out(hk, merchant_id: int, member_id: int) -> None:
    from core.messages import set_opt_out

    with hk.db.write() as session:
        set_opt_out(session, merchant_id, member_id, "all", True)
