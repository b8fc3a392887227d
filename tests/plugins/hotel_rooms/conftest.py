"""Fixtures for the hotel plugin's tests: a merchant made from the hotel starter, a frozen clock.

Every test that takes ``hotel`` runs on SQLite and PostgreSQL (``client``/``hk`` take
``database_url``). ``clock`` freezes both the API's ``now`` (webui.api.handlers.now_utc) and
the core clock the card hooks read (core.clock.now_utc), at a Beijing-time moment.
"""
from __future__ import annotations

import copy
import itertools
import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core import ledger
from plugins.hotel_rooms.models import RoomVoucher
from tests.support.clock import beijing, freeze, key  # noqa: F401  (tests import them from here)
from tests.support.factories import make_merchant
from tests.support.merchant_api import MerchantApi

STARTER = Path(__file__).parents[3] / "plugins" / "hotel_rooms" / "starters" / "hotel.json"
_phones = itertools.count(13900000001)


def hotel_document(**settings) -> dict:
    """The hotel starter's document with ``settings`` for the hotel plugin."""
    document = copy.deepcopy(json.loads(STARTER.read_text(encoding="utf-8"))["document"])
    for entry in document["plugins"]:
        if entry["id"] == "hotel_rooms":
            entry["settings"] = {**entry["settings"], **settings}
    return document


class Hotel(MerchantApi):
    """A merchant on the hotel template and small API helpers around the test client."""

    def member(self, **fields) -> int:
        body = {"name": "张伟", "phone": str(next(_phones)), **fields}
        response = self.client.post("/api/v1/members", json=body, headers=self.headers())
        assert response.status_code == 201, response.json
        return response.json["id"]

    def card(self, kind="business", member_id=None, **fields) -> str:
        member_id = member_id or self.member(**fields)
        response = self.client.post("/api/v1/cards", json={"member_id": member_id, "kind": kind},
                                    headers=self.headers())
        assert response.status_code == 201, response.json
        return response.json["number"]

    def post(self, path, body=None, role="owner", idempotent=True):
        return self.client.post(f"/api/v1{path}", json=body if body is not None else {},
                                headers=self.headers(role, idempotent))

    def get(self, path, role="owner"):
        return self.client.get(f"/api/v1{path}", headers=self.headers(role))

    def vouchers(self, card, status=None) -> list[dict]:
        response = self.get(f"/cards/{card}/room-vouchers" + (f"?status={status}" if status else ""))
        assert response.status_code == 200, response.json
        return response.json["items"]

    def codes(self, card, room_type=None, kind="room") -> list[str]:
        return [v["code"] for v in self.vouchers(card, "active")
                if v["kind"] == kind and (room_type is None or v["room_type"] == room_type)]

    def issue(self, card, role="owner", **body):
        return self.post(f"/cards/{card}/room-vouchers", {"reason": "campaign", **body}, role=role)

    def redeem(self, card, code, role="cashier", **body):
        return self.post(f"/cards/{card}/room-vouchers/redeem", {"voucher_code": code, **body}, role=role)

    def balance(self, card) -> int:
        response = self.get(f"/cards/{card}/balances")
        assert response.status_code == 200, response.json
        return response.json["balances"].get("room_vouchers", 0)

    def merchant_vouchers(self, purpose) -> int:
        with self.hk.db.read() as session:
            return ledger.merchant_account(session, self.id, purpose, "room_vouchers").balance

    def voucher_rows(self) -> list[tuple]:
        """(code, card_id, status) of every voucher row: a snapshot to compare before/after."""
        with self.hk.db.read() as session:
            return session.execute(select(RoomVoucher.code, RoomVoucher.card_id, RoomVoucher.status)
                                   .where(RoomVoucher.merchant_id == self.id)
                                   .order_by(RoomVoucher.code)).all()

    def transactions(self) -> int:
        from core.models import LedgerTransaction

        with self.hk.db.read() as session:
            return session.scalar(select(func.count()).select_from(LedgerTransaction)
                                  .where(LedgerTransaction.merchant_id == self.id))

    def publish(self, document):
        saved = self.client.put("/api/v1/config/draft", json=document, headers=self.headers())
        assert saved.status_code == 200, saved.json
        published = self.client.post("/api/v1/config/publish", headers=self.headers())
        assert published.status_code in (200, 201), published.json


def make_hotel(client, hk, **settings) -> Hotel:
    return Hotel(client, hk, make_merchant(hk, f"酒店-{uuid.uuid4().hex[:6]}", hotel_document(**settings)))


@pytest.fixture
def clock(monkeypatch):
    """Freeze the clock at 2026-03-10 10:00, Beijing time; ``clock.at(...)`` moves it."""
    return freeze(monkeypatch, "2026-03-10 10:00")


@pytest.fixture
def hotel(client, hk, clock):
    return make_hotel(client, hk)
