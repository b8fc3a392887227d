"""Helpers for the stored-value API tests: a shop with the plugin enabled, cards, requests."""
from __future__ import annotations

import uuid

from core import ledger
from core.models import Card
from tests.support.factories import basic_document, make_merchant

PIN = "482916"
WRONG_PIN = "654321"


def document(settings: dict | None = None, **overrides) -> dict:
    """regular (no discount) and gold (9折 from 2000 yuan stored, C4); two card kinds (C3)."""
    return basic_document(
        plugins=[{"id": "stored_value", "settings": settings or {}}],
        tiers=[{"key": "regular", "name": {"zh-CN": "普卡", "en": "Regular"}, "rank": 0,
                "discount_permille": 1000},
               {"key": "gold", "name": {"zh-CN": "金卡", "en": "Gold"}, "rank": 1,
                "discount_permille": 900,
                "upgrade": [{"kind": "stored_amount", "amount_fen": 200000}]}],
        **overrides)


def shop_with(hk, settings: dict | None = None, name: str | None = None, **overrides):
    return make_merchant(hk, name or f"储值店-{uuid.uuid4().hex[:6]}", document(settings, **overrides))


def key() -> str:
    return uuid.uuid4().hex


def post(client, shop, url: str, body: dict | None, *, role: str = "owner", idem: str | None = None):
    headers = {**shop.headers(role), "Idempotency-Key": idem or key()}
    return client.post(f"/api/v1{url}", json=body, headers=headers)


def new_card(client, shop, *, pin: str | None = PIN, kind: str = "standard", phone: str | None = None) -> str:
    phone = phone or "139" + str(uuid.uuid4().int)[:8]
    member = client.post("/api/v1/members", json={"name": "李娜", "phone": phone}, headers=shop.headers())
    assert member.status_code == 201, member.json
    data = {"member_id": member.json["id"], "kind": kind}
    if pin:
        data["pin"] = pin
    card = client.post("/api/v1/cards", json=data, headers=shop.headers())
    assert card.status_code == 201, card.json
    return card.json["number"]


def recharge(client, shop, card: str, amount: int, method: str = "cash", **payment):
    response = post(client, shop, f"/cards/{card}/recharge",
                    {"amount_fen": amount, "payment": {"method": method, **payment}})
    assert response.status_code == 201, response.json
    return response.json


def pay(client, shop, card: str | None, amount: int, pin: str | None = PIN, *, lines=None, extra=None,
        idem: str | None = None):
    """A checkout of one line of ``amount`` fen paid by stored value (plus ``extra`` payments)."""
    payment = {"method": "stored_value", "amount_fen": amount}
    if pin is not None:
        payment["pin"] = pin
    body = {"lines": lines or [{"sku": "GOODS", "name": "商品", "unit_price_fen": amount}],
            "payments": [payment, *(extra or [])]}
    if card is not None:
        body["card_number"] = card
    return client.post("/api/v1/checkout", json=body,
                       headers={**shop.headers("cashier"), "Idempotency-Key": idem or key()})


def stored(client, shop, card: str) -> dict:
    response = client.get(f"/api/v1/cards/{card}/stored-value", headers=shop.headers("cashier"))
    assert response.status_code == 200, response.json
    return response.json["balances"]


def card_balances(client, shop, card: str) -> dict:
    return client.get(f"/api/v1/cards/{card}/balances", headers=shop.headers()).json["balances"]


def merchant_balance(hk, shop, purpose: str, asset: str) -> int:
    with hk.db.read() as session:
        return ledger.merchant_account(session, shop.id, purpose, asset).balance


def pin_state(hk, card: str) -> tuple[int, object]:
    from sqlalchemy import select

    with hk.db.read() as session:
        row = session.scalar(select(Card).where(Card.number == card))
        return row.pin_failures, row.pin_locked_until


def tier(client, shop, card: str):
    return client.get(f"/api/v1/cards/{card}", headers=shop.headers()).json["tier"]


def assert_ledger_sound(hk, shop) -> None:
    """The ledger invariants hold for the merchant (double entry, balances, lots)."""
    with hk.db.read() as session:
        assert ledger.verify(session, shop.id) == []
