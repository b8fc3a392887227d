"""Count cards (次卡): sold through the checkout with money deferred, used at the till with
exact recognition, renewed, expired into breakage, returned while unused."""
from __future__ import annotations

from tests.support.clock import key


def test_a_sale_puts_sessions_on_the_card_and_defers_the_money(salon, clock):
    plans = salon.get("/service-packages/plans", role="cashier")["plans"]
    assert [p["sku"] for p in plans] == ["service_package.facial_10", "service_package.quarter",
                                         "service_package.wash_20"]
    member_id, card = salon.member_card(tier="silver")  # 9.5折 applies (C2)
    sale = salon.bought(card, "10次面部护理")  # by name, as a cashier types it
    [package] = sale["packages"]
    assert sale["due_fen"] == 95000
    assert (package["sessions_left"], package["paid_fen"], package["deferred_fen"]) == (10, 95000, 95000)
    assert (package["valid_from"], package["valid_to"]) == ("2026-03-02", "2027-03-01")
    assert salon.balances(card)["service_sessions"] == 10
    assert salon.account("package_deferred") == -95000 and salon.account("sales") == 0
    summary = salon.get(f"/members/{member_id}", role="cashier")["summary"]["service_packages"]
    assert [(s["name"], s["sessions_left"], s["valid_to"]) for s in summary] == [("10次面部护理", 10, "2027-03-01")]
    assert summary[0]["text"] == "10次面部护理 · 剩 10 次 · 至 2027-03-01"
    salon.verify()


def test_uses_recognise_exactly_what_was_paid_and_a_double_tap_is_one_use(salon, clock):
    card = salon.card(tier="gold")  # 8.8折: 88000 fen for 10 sessions
    salon.bought(card, "facial_10")
    tap = key()
    first = salon.post(f"/cards/{card}/service-package-uses", {}, idempotent=False, headers=tap)
    again = salon.post(f"/cards/{card}/service-package-uses", {}, idempotent=False, headers=tap)
    assert first.status_code == 201 and again.status_code in (200, 201), again.json
    assert again.json["use_id"] == first.json["use_id"]
    assert salon.balances(card)["service_sessions"] == 9
    amounts = [first.json["revenue_fen"]]
    three = salon.use(card, sessions=3)
    assert three.status_code == 201 and three.json["sessions_left"] == 6
    amounts.append(three.json["revenue_fen"])
    for _ in range(6):
        amounts.append(salon.use(card, service="面部护理").json["revenue_fen"])
    assert amounts[0] == 8800 and sum(amounts) == 88000
    refused = salon.use(card)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "package_used_up"
    assert salon.account("package_deferred") == 0 and salon.account("package_income") == -88000
    assert salon.account("package_used", "service_sessions") == 10
    salon.verify()


def test_uneven_money_leaves_the_remainder_to_the_last_session(salon, clock):
    card = salon.card(tier="silver")
    salon.bought(card, "wash_20")  # 47500 fen for 20 washes: 2375 each, exact
    card2 = salon.card(tier="gold")
    salon.bought(card2, "wash_20")  # 44000 / 20 = 2200
    card3 = salon.card(tier="silver")
    sale = salon.bought(card3, "facial_10", quantity=3)  # 285000 over 3 packages
    assert [p["paid_fen"] for p in sale["packages"]] == [95000, 95000, 95000]
    used = [salon.use(card3, sessions=7).json["revenue_fen"] for _ in range(4)]
    used.append(salon.use(card3, sessions=2).json["revenue_fen"])
    assert sum(used) == 285000
    salon.verify()


def test_several_services_ask_which_and_a_bad_choice_changes_nothing(salon, clock):
    card = salon.card()
    salon.bought(card, "facial_10")
    salon.bought(card, "wash_20")
    which = salon.use(card)
    assert which.status_code == 409 and which.json["error"]["code"] == "choose_package"
    assert salon.use(card, service="热石").status_code == 409
    assert salon.use(card, package_id=999999).status_code == 422
    assert salon.use(card, sessions=0).status_code == 422
    assert salon.use(card, service="洗车", sessions=21).json["error"]["code"] == "not_enough_sessions"
    assert salon.balances(card)["service_sessions"] == 30
    washed = salon.use(card, service="洗车", sessions=2)
    assert washed.status_code == 201 and washed.json["sessions_left"] == 18
    salon.verify()


def test_renewal_adds_sessions_and_moves_the_last_day(salon, clock):
    card = salon.card()
    salon.bought(card, "facial_10")
    salon.use(card, sessions=8)
    clock.at("2026-09-01 10:00")
    salon.bought(card, "facial_10")
    packages = salon.packages(card)
    assert [(p["sessions_left"], p["valid_to"]) for p in packages] == [(2, "2027-08-31"), (10, "2027-08-31")]
    assert salon.balances(card)["service_sessions"] == 12
    used = salon.use(card, sessions=3)  # the older package first, then the renewal
    assert used.json["sessions_left"] == 9
    assert [p["sessions_left"] for p in salon.packages(card)] == [0, 9]
    salon.verify()


def test_expiry_lapses_sessions_and_books_breakage_exactly(salon, clock):
    card = salon.card(tier="gold")
    salon.bought(card, "facial_10")  # 88000
    salon.use(card, sessions=3)  # 26400 recognised
    clock.at("2027-03-02 00:30")
    summary = salon.expire(clock.now)
    assert summary["sessions"] == 7 and summary["breakage_fen"] == 61600
    assert salon.account("package_income") == -26400 and salon.account("package_breakage") == -61600
    assert salon.account("package_deferred") == 0 and salon.balances(card)["service_sessions"] == 0
    assert salon.packages(card)[0]["status"] == "expired"
    assert salon.expire(clock.now)["packages"] == 0  # once
    assert salon.use(card).json["error"]["code"] == "package_expired"
    salon.verify()


def test_an_unused_package_is_returned_with_its_money_a_used_one_is_not(salon, clock):
    card = salon.card()
    sale = salon.bought(card, "facial_10", method="external",
                        payment={"method": "external", "channel": "wechat"})
    back = salon.post(f"/checkouts/{sale['checkout_id']}/returns", {"lines": [{"line_no": 1, "quantity": 1}]},
                      role="manager")
    assert back.status_code in (200, 201), back.json
    assert salon.balances(card)["service_sessions"] == 0 and salon.account("package_deferred") == 0
    assert salon.packages(card)[0]["status"] == "returned"
    sale = salon.bought(card, "facial_10")
    salon.use(card)
    refused = salon.post(f"/checkouts/{sale['checkout_id']}/returns", {"lines": [{"line_no": 1, "quantity": 1}]},
                         role="manager")
    assert refused.status_code == 409 and refused.json["error"]["code"] == "package_used"
    assert salon.balances(card)["service_sessions"] == 9
    salon.verify()


def test_bad_sales_are_refused_and_charge_nothing(salon, clock):
    card = salon.card()
    assert salon.sell(card, "no_such_plan").status_code == 422
    assert salon.sell(card, "facial_10", starts_on="2026-04-01").status_code == 422
    walk_in = salon.post("/checkout", {"lines": [{"sku": "service_package.facial_10", "name": "x", "quantity": 1,
                                                  "unit_price_fen": 100000}],
                                       "payments": [{"method": "cash", "amount_fen": 100000}]})
    assert walk_in.status_code == 422, walk_in.json
    cheap = salon.post("/checkout", {"card_number": card, "lines": [{"sku": "service_package.facial_10", "name": "x",
                                                                     "quantity": 1, "unit_price_fen": 100}],
                                     "payments": [{"method": "cash", "amount_fen": 95}]})
    assert cheap.status_code == 422, cheap.json
    assert salon.balances(card).get("service_sessions", 0) == 0 and salon.account("package_deferred") == 0
    salon.verify()


def test_the_plain_checkout_sells_a_package_with_stored_value(salon, clock):
    card = salon.card(tier="silver", pin="204816")
    charged = salon.post(f"/cards/{card}/recharge", {"amount_fen": 200000, "payment": {"method": "cash"}})
    assert charged.status_code == 201, charged.json
    sold = salon.post("/checkout", {"card_number": card,
                                    "lines": [{"sku": "service_package.wash_20", "name": "20次洗车",
                                               "quantity": 1, "unit_price_fen": 50000}],
                                    "payments": [{"method": "stored_value", "amount_fen": 47500, "pin": "204816"}]})
    assert sold.status_code == 201, sold.json
    assert salon.balances(card)["service_sessions"] == 20 and salon.account("package_deferred") == -47500
    salon.verify()


def test_hostile_bodies_get_a_clear_error_and_change_nothing(salon, clock):
    card = salon.card()
    salon.bought(card, "facial_10")
    for body in ({"plan": "quarter", "starts_on": "2026-13-45", "payment": {"method": "cash"}},
                 {"plan": "quarter", "starts_on": "abc", "payment": {"method": "cash"}},
                 {"plan": "quarter", "starts_on": "9999-12-31", "payment": {"method": "cash"}},
                 {"plan": "quarter", "starts_on": "2026-03-01", "payment": {"method": "cash"}},
                 {"plan": "quarter", "quantity": 10**20, "payment": {"method": "cash"}},
                 {"plan": "x" * 10000, "payment": {"method": "cash"}},
                 {"plan": "quarter", "payment": {"method": "cash"}, "payments": []},
                 {"plan": "quarter"}, [], "text", {"plan": None}):
        response = salon.client.post(f"/api/v1/cards/{card}/service-packages", json=body,
                                     headers=salon.headers("cashier", idempotent=True))
        assert 400 <= response.status_code < 500, (body, response.status_code)
        assert response.json["error"]["message"]
    for body in ({"package_id": 10**30}, {"sessions": 10**20}, {"sessions": -1}, {"service": 5},
                 {"pin": "12"}, {"note": "x" * 1000}, {"extra": 1}, [], {"service": "\u0000"}):
        response = salon.client.post(f"/api/v1/cards/{card}/service-package-uses", json=body,
                                     headers=salon.headers("cashier", idempotent=True))
        assert 400 <= response.status_code < 500, (body, response.status_code)
    assert salon.post("/cards/nosuchcard/service-package-uses", {}).status_code == 404
    assert salon.client.get("/api/v1/cards/nosuchcard/service-packages", headers=salon.headers()).status_code == 404
    assert salon.balances(card)["service_sessions"] == 10 and len(salon.packages(card)) == 1
    salon.verify()


def test_a_manager_cancels_a_mistaken_use_and_sessions_and_income_go_back_exactly(salon, clock):
    card = salon.card(tier="gold")  # 88000 for 10
    salon.bought(card, "facial_10")
    clock.at("2026-09-01 10:00")
    salon.bought(card, "facial_10")  # renewal: both run to 2027-08-31
    first = salon.use(card, sessions=3).json
    spanning = salon.use(card, sessions=9).json  # 7 off the first package, 2 off the second
    assert spanning["sessions_left"] == 8
    income = salon.account("package_income")
    assert salon.post(f"/service-package-uses/{spanning['use_id']}/cancel", {"reason": "刷错了"}).status_code == 403
    undone = salon.post(f"/service-package-uses/{spanning['use_id']}/cancel", {"reason": "刷错了会员"}, role="manager")
    assert undone.status_code == 200, undone.json
    assert (undone.json["status"], undone.json["sessions_left"]) == ("cancelled", 17)
    assert [p["sessions_left"] for p in salon.packages(card)] == [7, 10]
    assert salon.account("package_income") - income == spanning["revenue_fen"]  # given back exactly
    assert -salon.account("package_income") == first["revenue_fen"] == 26400
    again = salon.post(f"/service-package-uses/{spanning['use_id']}/cancel", {"reason": "x"}, role="manager")
    assert again.status_code == 409 and again.json["error"]["code"] == "use_cancelled"
    assert salon.post("/service-package-uses/999999/cancel", {"reason": "x"}, role="manager").status_code == 404
    assert salon.post(f"/service-package-uses/{first['use_id']}/cancel", {"reason": " "},
                      role="manager").status_code == 422
    rows = salon.report("package_uses", "from=2026-03-01&to=2026-09-30")["rows"]
    assert [r["sessions"] for r in rows] == [3]
    for _ in range(17):
        assert salon.use(card).status_code == 201
    assert salon.account("package_deferred") == 0 and salon.account("package_income") == -176000
    salon.verify()


def test_a_cancelled_use_of_an_expired_package_is_refused(salon, clock):
    card = salon.card()
    salon.bought(card, "facial_10")
    used = salon.use(card).json
    clock.at("2027-03-02 00:30")
    salon.expire(clock.now)
    refused = salon.post(f"/service-package-uses/{used['use_id']}/cancel", {"reason": "补录"}, role="manager")
    assert refused.status_code == 409 and refused.json["error"]["code"] == "package_not_active"
    assert salon.account("package_deferred") == 0
    salon.verify()
