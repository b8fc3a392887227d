"""Manual points adjustments: owner only, with a reason kept in the transaction memo."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.models import LedgerTransaction


def test_owner_adds_points_as_a_new_lot_with_the_usual_expiry(shop, clock):
    card = shop.card()
    clock.at("2026-03-01 10:00")
    response = shop.adjust(card, 120, "  开业活动补录  ")
    assert response.status_code == 201, response.json
    assert response.json["points_changed"] == 120 and response.json["points"] == 120
    assert response.json["reason"] == "开业活动补录" and response.json["expires_on"] == "2027-12-31"
    assert shop.lots(card) == [(120, "2027-12-31")]
    assert shop.merchant_points("adjusted") == -120
    with shop.hk.db.read() as session:
        transaction = session.get(LedgerTransaction, response.json["adjustment_id"])
        assert transaction.type == "points_adjustment"
        assert transaction.memo["reason"] == "开业活动补录" and transaction.memo["points"] == 120
        assert transaction.memo["staff_id"] is not None
    shop.verify()


def test_negative_adjustments_take_the_soonest_expiring_points_first(shop, clock):
    card = shop.card()
    clock.at("2026-03-01 10:00")
    shop.buy(card, 500)  # 50 until 2027-12-31
    clock.at("2027-03-01 10:00")
    shop.buy(card, 300)  # 30 until 2028-12-31
    response = shop.adjust(card, -60, "误积分冲正")
    assert response.status_code == 201 and response.json["points"] == 20
    assert response.json["expires_on"] is None
    assert shop.lots(card) == [(20, "2028-12-31")]
    too_much = shop.adjust(card, -21, "冲正")
    assert too_much.status_code == 409 and too_much.json["error"]["code"] == "insufficient_balance"
    assert shop.points(card) == 20
    shop.verify()


@pytest.mark.parametrize("role", ["manager", "cashier"])
def test_only_the_owner_adjusts(shop, role):
    card = shop.card()
    response = shop.adjust(card, 10, "想多给点", role=role)
    assert response.status_code == 403
    assert shop.points(card) == 0


@pytest.mark.parametrize("body, pointer", [
    ({"points": 10}, "/reason"),
    ({"points": 10, "reason": ""}, "/reason"),
    ({"points": 10, "reason": "   "}, "/reason"),
    ({"points": 10, "reason": "x" * 201}, "/reason"),
    ({"points": 0, "reason": "零"}, "/points"),
    ({"points": 2.5, "reason": "小数"}, "/points"),
    ({"points": "10", "reason": "文本"}, "/points"),
    ({"reason": "没有积分"}, "/points"),
    ({"points": 10, "reason": "多余", "expires_on": "2030-01-01"}, "/expires_on"),
])
def test_bad_adjustments_are_refused_and_change_nothing(shop, body, pointer):
    card = shop.card()
    response = shop.client.post(f"/api/v1/cards/{card}/points/adjust", json=body,
                                headers=shop.headers(idempotent=True))
    assert response.status_code == 422, response.json
    assert pointer in [d["pointer"] for d in response.json["error"]["details"]]
    assert shop.points(card) == 0
    with shop.hk.db.read() as session:
        assert session.scalars(select(LedgerTransaction).where(
            LedgerTransaction.type == "points_adjustment")).all() == []


def test_a_retried_adjustment_is_applied_once(shop):
    card = shop.card()
    headers = {**shop.headers(), "Idempotency-Key": "adjust-1"}
    body = {"points": 30, "reason": "活动奖励"}
    first = shop.client.post(f"/api/v1/cards/{card}/points/adjust", json=body, headers=headers)
    retry = shop.client.post(f"/api/v1/cards/{card}/points/adjust", json=body, headers=headers)
    assert first.status_code == retry.status_code == 201 and first.json == retry.json
    assert shop.points(card) == 30
    assert shop.adjust(card, 5, "x", role="owner").status_code == 201
    assert shop.adjust("NOSUCHCARD", 5, "x").status_code == 404
    shop.verify()
