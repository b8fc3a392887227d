"""P8 returns take back the points the returned goods earned and give back points spent, once.

The core (core/returns.py) recomputes ``checkout_earn`` on the kept lines and takes back the
difference; points paid as cash go back to the very lots they came from.
"""
from __future__ import annotations

import pytest

from .conftest import key, make_shop
from .test_mall import new_item, redeem


def give_back(shop, checkout_id, lines, headers=None):
    return shop.client.post(f"/api/v1/checkouts/{checkout_id}/returns", json={"lines": lines},
                            headers={**shop.headers("manager"), **(headers or key())})


@pytest.fixture(autouse=True)
def returns_endpoint(app):
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    if "/api/v1/checkouts/<int:checkout_id>/returns" not in rules:
        pytest.skip("POST /api/v1/checkouts/<checkout_id>/returns is not served yet (core, issue 3)")


def test_p8_full_return_takes_back_exactly_the_points_earned(shop):
    card = shop.card()
    receipt = shop.checkout(card, [{"sku": "COAT", "unit_price_fen": 55000},
                                   {"sku": "SOCKS", "unit_price_fen": 900}]).json
    assert receipt["earned"][0]["amount"] == 55 and shop.points(card) == 55
    response = give_back(shop, receipt["checkout_id"], [{"line_no": 1, "quantity": 1},
                                                        {"line_no": 2, "quantity": 1}])
    assert response.status_code == 201, response.json
    assert {"asset": "points", "amount": -55} in response.json["refunds"]
    assert shop.points(card) == 0 and shop.lots(card) == []
    assert shop.merchant_points("issued") == 0
    shop.verify()


def test_p8_returning_the_9_yuan_line_of_559_takes_back_nothing(shop):
    card = shop.card()
    receipt = shop.checkout(card, [{"sku": "COAT", "unit_price_fen": 55000},
                                   {"sku": "SOCKS", "unit_price_fen": 900}]).json
    response = give_back(shop, receipt["checkout_id"], [{"line_no": 2, "quantity": 1}])
    assert response.status_code == 201 and response.json["refund_fen"] == 900
    assert shop.points(card) == 55  # 550 yuan kept still earns 55
    shop.verify()


def test_p8_returning_100_of_559_yuan_takes_back_10(shop):
    card = shop.card()
    receipt = shop.checkout(card, [{"sku": "COAT", "unit_price_fen": 45900},
                                   {"sku": "SHOES", "unit_price_fen": 10000}]).json
    assert shop.points(card) == 55
    response = give_back(shop, receipt["checkout_id"], [{"line_no": 2, "quantity": 1}])
    assert response.status_code == 201 and response.json["refund_fen"] == 10000
    assert {"asset": "points", "amount": -10} in response.json["refunds"]
    assert shop.points(card) == 45  # 459 yuan kept earns 45
    assert shop.lots(card)[0][0] == 45
    again = give_back(shop, receipt["checkout_id"], [{"line_no": 2, "quantity": 1}])
    assert again.status_code == 409 and again.json["error"]["code"] == "already_returned"
    assert shop.points(card) == 45
    rest = give_back(shop, receipt["checkout_id"], [{"line_no": 1, "quantity": 1}])
    assert rest.status_code == 201 and shop.points(card) == 0
    shop.verify()


def test_p8_unit_returns_add_up_with_per_tier_rates(client, hk):
    from .conftest import make_shop

    shop = make_shop(client, hk, tier_rates=[{"tier_key": "gold", "earn_unit_fen": 1000,
                                              "points_per_unit": 2}])
    card = shop.card(tier="gold")
    receipt = shop.checkout(card, [{"sku": "TEA", "unit_price_fen": 5000, "quantity": 3}]).json
    assert receipt["due_fen"] == 13200 and shop.points(card) == 26  # 132 yuan: 13 units x 2
    kept = []
    for _ in range(3):  # kept paid: 8800 -> 16 points, 4400 -> 8, nothing -> 0
        assert give_back(shop, receipt["checkout_id"], [{"line_no": 1, "quantity": 1}]).status_code == 201
        kept.append(shop.points(card))
    assert kept == [16, 8, 0]
    assert shop.points(card) == 0
    shop.verify()


def test_p8_points_spent_as_cash_come_back_to_their_lots(shop, clock):
    card = shop.card()
    clock.at("2026-03-01 10:00")
    shop.buy(card, 1000)  # 100 points until 2027-12-31
    receipt = shop.checkout(card, [{"sku": "BAG", "unit_price_fen": 10000}],
                            [{"method": "points", "points": 50},
                             {"method": "cash", "amount_fen": 9500}]).json
    assert shop.points(card) == 100 - 50 + 10
    assert shop.lots(card) == [(50, "2027-12-31"), (10, "2027-12-31")]
    clock.at("2026-04-01 10:00")
    response = give_back(shop, receipt["checkout_id"], [{"line_no": 1, "quantity": 1}])
    assert response.status_code == 201, response.json
    assert response.json["refund_fen"] == 10000
    # The 10 earned go back to the merchant; the 50 spent return to the lot they came from.
    assert shop.points(card) == 100
    assert shop.lots(card) == [(100, "2027-12-31")]
    assert shop.merchant_points("redeemed") == 0 and shop.merchant_points("issued") == -100
    shop.verify()


def test_p8_partial_return_gives_back_points_spent_proportionally(shop):
    card = shop.card()
    shop.buy(card, 1000)  # 100 points
    receipt = shop.checkout(card, [{"sku": "A", "unit_price_fen": 6000},
                                   {"sku": "B", "unit_price_fen": 4000}],
                            [{"method": "points", "points": 100},  # 10 yuan in points
                             {"method": "cash", "amount_fen": 9000}]).json
    assert receipt["earned"][0]["amount"] == 10 and shop.points(card) == 100 - 100 + 10
    response = give_back(shop, receipt["checkout_id"], [{"line_no": 2, "quantity": 1}])
    assert response.status_code == 201
    # 40 % of the basket: 40 of the 100 points spent come back; the kept 60 yuan earns 6, so
    # 4 of the 10 earned are taken back.
    assert shop.points(card) == 10 + 40 - 4
    give_back(shop, receipt["checkout_id"], [{"line_no": 1, "quantity": 1}])
    assert shop.points(card) == 100
    shop.verify()


def test_p8_points_already_spent_do_not_block_the_return(shop):
    """G3: the goods and the money go back although the points they earned were spent in the
    mall; what the card no longer holds is not recovered (and not asked for again)."""
    card = shop.card()
    receipt = shop.buy(card, 500)  # 50 points
    item = new_item(shop, points_cost=30, stock=5).json
    assert redeem(shop, card, item["id"]).status_code == 201  # 20 points left
    response = give_back(shop, receipt["checkout_id"], [{"line_no": 1, "quantity": 1}])
    assert response.status_code == 201, response.json
    assert response.json["refund_fen"] == 50000
    assert response.json["not_recovered"] == {"points": 30}
    assert shop.points(card) == 0
    assert shop.merchant_points("issued") == -30 and shop.merchant_points("redeemed") == 30
    shop.verify()


def test_p8_earned_points_that_expired_do_not_block_the_return(client, hk, clock):
    shop = make_shop(client, hk, expiry_mode="days_after_earning", expiry_days=3,
                     expiry_notice_days=1)
    card = shop.card()
    clock.at("2026-03-01 10:00")
    receipt = shop.buy(card, 500)  # 50 points until 2026-03-04
    clock.at("2026-03-05 10:00")
    response = give_back(shop, receipt["checkout_id"], [{"line_no": 1, "quantity": 1}])
    assert response.status_code == 201, response.json
    assert response.json["not_recovered"] == {"points": 50}
    assert shop.points(card) == 50  # still on the card until the expiry job takes them
    shop.verify()


def test_p8_points_given_back_by_the_return_pay_its_take_back(shop):
    """The return restores the 100 points spent before it takes back the 10 earned, so the
    take-back is whole although the card held nothing just before."""
    card = shop.card()
    shop.buy(card, 1000)  # 100 points
    receipt = shop.checkout(card, [{"sku": "BAG", "unit_price_fen": 20000}],
                            [{"method": "points", "points": 100},
                             {"method": "cash", "amount_fen": 19000}]).json
    item = new_item(shop, points_cost=20, stock=5).json  # spend the 20 earned
    assert redeem(shop, card, item["id"]).status_code == 201 and shop.points(card) == 0
    response = give_back(shop, receipt["checkout_id"], [{"line_no": 1, "quantity": 1}])
    assert response.status_code == 201, response.json
    assert response.json["not_recovered"] == {}
    assert shop.points(card) == 100 - 20
    shop.verify()
