"""P6 projection, the core's part: the next tier reached by spending (C4) and the spend pace,
through GET /api/v1/cards/{number}/projection after real checkouts, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from tests.plugins.points.conftest import Shop
from tests.support.clock import freeze
from tests.support.factories import basic_document, make_merchant

TIERS = [
    {"key": "regular", "name": {"zh-CN": "普卡", "en": "Regular"}, "rank": 0},
    {"key": "silver", "name": {"zh-CN": "银卡", "en": "Silver"}, "rank": 1, "discount_permille": 950,
     "upgrade": [{"kind": "cumulative_spend", "amount_fen": 100000, "period_days": 365}]},
    {"key": "gold", "name": {"zh-CN": "金卡", "en": "Gold"}, "rank": 2, "discount_permille": 880,
     "upgrade": [{"kind": "single_purchase", "amount_fen": 300000},
                 {"kind": "cumulative_spend", "amount_fen": 500000, "period_days": 180}]},
    # Reached only by a recharge: never a spend line (C4).
    {"key": "diamond", "name": {"zh-CN": "钻石卡", "en": "Diamond"}, "rank": 3, "discount_permille": 800,
     "upgrade": [{"kind": "stored_amount", "amount_fen": 1000000}]},
]


@pytest.fixture
def clock(monkeypatch):
    return freeze(monkeypatch, "2026-03-01 12:00")


@pytest.fixture
def shop(client, hk):
    return Shop(client, hk, make_merchant(hk, "升级店", basic_document(tiers=TIERS)))


def projection(shop, card, role="cashier"):
    response = shop.client.get(f"/api/v1/cards/{card}/projection", headers=shop.headers(role))
    assert response.status_code == 200, response.json
    return response.json


def tier_lines(answer):
    return [line for line in answer["lines"] if line["kind"] == "tier"]


def test_a_new_card_has_the_next_tier_and_no_pace(shop, clock):
    card = shop.card()
    answer = projection(shop, card)
    assert answer["card_number"] == card and answer["tier"] == "regular"
    assert answer["as_of"] == "2026-03-01" and answer["year_end"] == "2026-12-31"
    assert answer["pace"] is None
    assert tier_lines(answer) == [{"kind": "tier", "tier": "silver", "condition": "cumulative_spend",
                                   "threshold_fen": 100000, "period_days": 365, "spent_fen": 0,
                                   "spend_fen": 100000}]


def test_one_fen_short_then_exactly_at_the_threshold(shop, clock):
    card = shop.card()
    shop.checkout(card, [{"sku": "A", "unit_price_fen": 99999}])
    assert tier_lines(projection(shop, card))[0]["spend_fen"] == 1
    shop.checkout(card, [{"sku": "B", "unit_price_fen": 1}])  # exactly 1000 yuan: silver now
    answer = projection(shop, card)
    assert answer["tier"] == "silver"
    assert tier_lines(answer) == [
        {"kind": "tier", "tier": "gold", "condition": "single_purchase", "threshold_fen": 300000,
         "spend_fen": 300000},
        {"kind": "tier", "tier": "gold", "condition": "cumulative_spend", "threshold_fen": 500000,
         "period_days": 180, "spent_fen": 100000, "spend_fen": 400000}]


def test_the_top_tier_reached_by_spending_has_no_tier_line(shop, clock):
    card = shop.card(tier="gold")
    shop.checkout(card, [{"sku": "A", "unit_price_fen": 10000}])
    assert tier_lines(projection(shop, card)) == []  # diamond needs a recharge
    top = shop.card(tier="diamond")
    assert tier_lines(projection(shop, top)) == []


def test_the_pace_is_net_spend_over_90_days_or_since_the_first_purchase(shop, clock):
    card = shop.card()
    clock.at("2026-02-20 10:00")
    bought = shop.checkout(card, [{"sku": "A", "unit_price_fen": 20000, "quantity": 2}])
    clock.at("2026-03-01 12:00")
    # First purchase 10 days ago (today included): 40000 fen over 10 days = 28000 a week.
    assert projection(shop, card)["pace"] == {"weekly_fen": 28000, "days": 10, "spent_fen": 40000}
    returned = shop.client.post(f"/api/v1/checkouts/{bought.json['checkout_id']}/returns",
                                json={"lines": [{"line_no": 1, "quantity": 1}]},
                                headers=shop.headers("manager", idempotent=True))
    assert returned.status_code == 201, returned.json
    assert projection(shop, card)["pace"] == {"weekly_fen": 14000, "days": 10, "spent_fen": 20000}
    clock.at("2026-05-20 12:00")  # 90 days from 2026-02-20 (included): still in the window
    assert projection(shop, card)["pace"]["days"] == 90
    clock.at("2026-05-21 12:00")  # now older than the window: no recent spend, no pace
    assert projection(shop, card)["pace"] is None


def test_one_purchase_today_counts_as_one_week(shop, clock):
    card = shop.card()
    shop.checkout(card, [{"sku": "A", "unit_price_fen": 5000}])
    assert projection(shop, card)["pace"] == {"weekly_fen": 5000, "days": 7, "spent_fen": 5000}


def test_errors_and_unusable_cards(shop, clock):
    missing = shop.client.get("/api/v1/cards/99999999/projection", headers=shop.headers())
    assert missing.status_code == 404 and missing.json["error"]
    card = shop.card()
    shop.checkout(card, [{"sku": "A", "unit_price_fen": 5000}])
    lost = shop.client.post(f"/api/v1/cards/{card}/report-lost", headers=shop.headers())
    assert lost.status_code == 200, lost.json
    answer = projection(shop, card)
    assert answer["lines"] == [] and answer["pace"] is None
    unauthenticated = shop.client.get(f"/api/v1/cards/{card}/projection")
    assert unauthenticated.status_code == 401


def test_a_condition_met_before_it_was_published_applies_from_the_next_purchase(shop, clock):
    card = shop.card()
    shop.checkout(card, [{"sku": "A", "unit_price_fen": 60000}])
    lowered = [dict(tier) for tier in TIERS]
    lowered[1] = {**lowered[1], "upgrade": [{"kind": "cumulative_spend", "amount_fen": 50000,
                                             "period_days": 365}]}
    shop.publish(basic_document(tiers=lowered))
    assert tier_lines(projection(shop, card))[0]["spend_fen"] == 0
    shop.checkout(card, [{"sku": "B", "unit_price_fen": 100}])
    assert projection(shop, card)["tier"] == "silver"
