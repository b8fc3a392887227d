"""A shop whose checkouts debit a card, and the checks of what its ledger holds afterwards.

Shared by the race and fault tests (tests/test_concurrency.py, tests/test_faults.py). The
payment method is the test-only ``card_debit`` plugin (tests/bench_support/card_debit.py,
installed through a real entry point): the core's guarded debit and lots without the ~50 ms
scrypt PIN check of a stored-value payment, so hundreds of checkouts fit in a test. With
``points=True`` the points plugin is enabled too, and every checkout earns points.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core import ledger
from core.cards import get_card
from core.ledger import Posting
from core.models import Checkout, IdempotencyRecord, LedgerTransaction
from core.plugins import build_registry
from tests.bench_support import card_debit
from tests.bench_support.card_debit import ASSET
from tests.support.factories import TestMerchant, basic_document, make_merchant

POINTS = "points"
# One point per full yuan paid, so the test amounts (a few yuan) earn a few points each.
POINTS_SETTINGS = {"earn_unit_fen": 100, "points_per_unit": 1}


def install_card_debit(site: Path):
    """Install the card_debit plugin into ``site`` (put it on sys.path first); its registry."""
    card_debit.install(site)
    registry = build_registry()
    assert card_debit.PLUGIN_ID in registry.plugins, registry.refused
    return registry


def forget_card_debit() -> None:
    sys.modules.pop(card_debit.MODULE, None)


def open_shop(hk, name: str = "并发测试店", *, points: bool = False) -> TestMerchant:
    plugins = [{"id": card_debit.PLUGIN_ID, "settings": {}}]
    if points:
        plugins.append({"id": POINTS, "settings": POINTS_SETTINGS})
    return make_merchant(hk, name, basic_document(plugins=plugins))


def loaded_card(app, shop: TestMerchant, balance: int, phone: str = "13900000001") -> str:
    """A member's active card holding ``balance`` fen of test credit (posted to the ledger)."""
    client = app.test_client()
    member = client.post("/api/v1/members", json={"name": "并发", "phone": phone},
                         headers=shop.headers()).json
    response = client.post("/api/v1/cards", json={"member_id": member["id"]}, headers=shop.headers())
    assert response.status_code == 201, response.json
    number = response.json["number"]
    hk = app.extensions["huika"]
    with hk.db.write() as session:
        card_id = get_card(session, shop.id, number).id
        ledger.post(session, shop.id, "test_load", [
            Posting(ledger.card_account(session, shop.id, card_id, ASSET), balance),
            Posting(ledger.merchant_account(session, shop.id, "issued", ASSET), -balance)])
    return number


def checkout_body(number: str, amount: int) -> dict:
    # special_price: no tier discount, so the amount due is exactly the amount paid.
    return {"card_number": number,
            "lines": [{"sku": "ITEM", "unit_price_fen": amount, "special_price": True}],
            "payments": [{"method": card_debit.METHOD, "amount_fen": amount}]}


def card_state(app, merchant_id: int, number: str) -> dict:
    """The card's balances and the merchant's checkout, ledger and idempotency counts."""
    hk = app.extensions["huika"]
    with hk.db.read() as session:
        card_id = get_card(session, merchant_id, number).id
        balances = ledger.card_balances(session, card_id)
        return {
            "balance": balances.get(ASSET),
            "points": balances.get(POINTS, 0),
            "problems": ledger.verify(session, merchant_id),
            "checkouts": _count(session, Checkout, Checkout.merchant_id == merchant_id),
            "checkout_transactions": _count(session, LedgerTransaction,
                                            LedgerTransaction.merchant_id == merchant_id,
                                            LedgerTransaction.type == "checkout"),
            "idempotency_records": _count(session, IdempotencyRecord,
                                          IdempotencyRecord.merchant_id == merchant_id),
        }


def _count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


# -- fixtures (import them into the test module that uses them) -----------------------

@pytest.fixture
def card_debit_site(tmp_path, monkeypatch):
    """(site folder, plugin registry): the card_debit plugin installed on sys.path, for this
    process and, through ``pythonpath``, for a gunicorn server."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    registry = install_card_debit(site)
    yield site, registry
    forget_card_debit()


@pytest.fixture
def debit_app(card_debit_site, database_url):
    """The app in this process, on ``database_url``: for setting up shops and reading results
    while a server (werkzeug or gunicorn) answers the requests under test."""
    from webui import create_app

    _site, registry = card_debit_site
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
                      "PLUGIN_REGISTRY": registry})
    yield app
    app.extensions["huika"].db.dispose()
