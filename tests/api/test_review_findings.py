"""Defects a review of issue 10's change found, each pinned by a test that failed before its fix."""
from __future__ import annotations

import hashlib
import json
import uuid

import pytest
from sqlalchemy import select

from core.models import Card, IdempotencyRecord
from tests.support.factories import basic_document, make_merchant

PLUGINS = [{"id": "points", "settings": {}}, {"id": "stored_value", "settings": {}}]
PIN = "604817"


@pytest.fixture
def shop(hk):
    return make_merchant(hk, "复查店", basic_document(plugins=PLUGINS))


def call(client, shop, method, url, body=None, role="owner", **headers):
    return client.open(f"/api/v1{url}", method=method, json=body,
                       headers={**shop.headers(role), "Idempotency-Key": uuid.uuid4().hex, **headers})


def card(client, shop, number="80020001") -> str:
    member = call(client, shop, "POST", "/members", {"name": "复查", "phone": "13800138111"}).json
    assert call(client, shop, "POST", "/cards", {"number": number, "member_id": member["id"],
                                                   "pin": PIN}).status_code == 201
    return number


@pytest.mark.parametrize("url, body", [
    ("/cards", {"number": "ZZZZ9999\n"}),
    ("/cards/{n}/replace", {"new_number": "ABCD1234\n"}),
])
def test_a_card_number_with_a_trailing_newline_is_refused(client, hk, shop, url, body):
    """``$`` matched before a final newline: the balance went to a card no route could reach."""
    number = card(client, shop)
    response = call(client, shop, "POST", url.format(n=number), body)
    assert response.status_code == 422, response.json
    with hk.db.read() as session:
        assert session.scalar(select(Card.id).where(Card.number.like("%\n"))) is None


@pytest.mark.parametrize("url, method", [("/cards", "POST"), ("/cards/{n}/pin", "PUT")])
def test_a_pin_with_a_trailing_newline_is_a_422_not_a_500(client, shop, url, method):
    number = card(client, shop)
    body = {"pin": "583921\n"} if method == "PUT" else {"number": "80020002", "pin": "583921\n"}
    response = call(client, shop, method, url.format(n=number), body, role="manager")
    assert response.status_code == 422, response.json


def test_a_utf16_body_cannot_hide_its_nesting(client, shop):
    """The depth scan reads UTF-8; a UTF-16 body is refused before anything parses it."""
    text = '{"name":"Ģ","x":' + "[" * 50000 + "]" * 50000 + ',"y":"Ģ"}'
    response = client.post("/api/v1/members", data=text.encode("utf-16-le"),
                           headers={**shop.headers(), "Content-Type": "application/json"})
    assert response.status_code == 400 and response.json["error"]["code"] == "bad_request"


@pytest.mark.parametrize("staff", ["²", "99999999999999999999999"])
def test_the_audit_staff_filter_takes_any_text(client, shop, staff):
    response = client.get(f"/api/v1/audit?staff={staff}", headers=shop.headers("owner"))
    assert response.status_code == 200 and response.json["audit"] == []


def test_a_replacement_card_keeps_the_pin_block(client, hk, shop):
    number = card(client, shop)
    call(client, shop, "POST", f"/cards/{number}/recharge", {"amount_fen": 50000, "payment": {"method": "cash"}})
    with hk.db.write() as session:
        row = session.scalar(select(Card).where(Card.number == number))
        row.pin_failures_total, row.pin_blocked_at = 10, row.issued_at
    replaced = call(client, shop, "POST", f"/cards/{number}/replace", {"new_number": "80020009"}, role="manager")
    assert replaced.status_code in (200, 201), replaced.json
    paid = call(client, shop, "POST", "/checkout", {
        "card_number": "80020009", "lines": [{"sku": "A", "name": "商品", "unit_price_fen": 1000}],
        "payments": [{"method": "stored_value", "amount_fen": 1000, "pin": PIN}]})
    assert paid.status_code == 403 and paid.json["error"]["code"] == "pin_blocked", paid.json
    with hk.db.read() as session:
        new = session.scalar(select(Card).where(Card.number == "80020009"))
        assert new.pin_blocked_at is not None and new.pin_failures_total == 10


def test_the_idempotency_digest_does_not_give_the_pin_away(client, hk, shop):
    """The stored digest of a PIN-bearing body must not be reproducible by trying PINs."""
    number = card(client, shop)
    call(client, shop, "POST", f"/cards/{number}/recharge", {"amount_fen": 50000, "payment": {"method": "cash"}})
    body = {"card_number": number, "lines": [{"sku": "A", "name": "商品", "unit_price_fen": 1000,
                                             "special_price": True}],
            "payments": [{"method": "stored_value", "amount_fen": 1000, "pin": PIN}]}
    key = uuid.uuid4().hex
    assert call(client, shop, "POST", "/checkout", body, **{"Idempotency-Key": key}).status_code == 201
    with hk.db.read() as session:
        stored = session.scalar(select(IdempotencyRecord.request_digest).where(IdempotencyRecord.key == key))
    guess = json.dumps(["checkout", {}, body], sort_keys=True, ensure_ascii=False)
    assert hashlib.sha256(guess.encode("utf-8")).hexdigest() != stored
    # A retry with the same key replays the answer; nothing is paid twice.
    again = call(client, shop, "POST", "/checkout", body, **{"Idempotency-Key": key})
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
