"""T1 count packages and T3 deferred revenue: sale, sign-ins, exact recognition, renewal."""
from __future__ import annotations

from plugins.training_courses.models import Recognition, Visit


def test_t1_t3_sale_puts_sessions_on_the_card_and_defers_the_money(school, clock):
    course = school.course()
    plan = school.plan(course["id"], sessions=3, price_fen=100000)
    card = school.card(tier="silver")  # 9.5折 applies to packages by default (C2)
    sale = school.bought(card, plan["id"])
    assert sale["due_fen"] == 95000
    [package] = sale["packages"]
    assert (package["units_left"], package["paid_fen"], package["deferred_fen"]) == (3, 95000, 95000)
    assert (package["valid_from"], package["valid_to"]) == ("2026-03-02", "2027-03-01")  # 365 days
    assert school.balances(card)["course_sessions"] == 3
    assert school.account("course_deferred") == -95000
    assert school.account("sales") == 0  # moved on to deferred
    school.verify()


def test_t3_three_sessions_recognise_exactly_what_was_paid_last_takes_the_remainder(school, clock, hk):
    course = school.course()
    plan = school.plan(course["id"], sessions=3, price_fen=100000)
    card = school.card(tier="gold")  # 8.8折: 88000 fen for 3 sessions
    school.bought(card, plan["id"])
    amounts = []
    for _ in range(3):
        response = school.sign_in(card)
        assert response.status_code == 201, response.json
        amounts.append(response.json["revenue_fen"])
    assert amounts == [29333, 29333, 29334] and sum(amounts) == 88000
    assert school.account("course_deferred") == 0 and school.account("course_income") == -88000
    refused = school.sign_in(card)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "package_used_up"
    with hk.db.read() as session:
        assert sum(r.amount_fen for r in session.query(Recognition).all()) == 88000
    school.verify()


def test_t1_several_sessions_per_visit_span_packages_oldest_expiry_first(school, clock):
    course = school.course()
    plan = school.plan(course["id"], sessions=2, price_fen=20000)
    card = school.card(tier="gold")
    school.bought(card, plan["id"])
    clock.at("2026-03-05 10:00")
    school.bought(card, plan["id"])
    used = school.sign_in(card, sessions=3, teacher="li")
    assert used.status_code == 201, used.json
    assert used.json["units"] == 3 and used.json["teacher"] == "li" and used.json["sessions_left"] == 1
    assert used.json["revenue_fen"] == 17600 + 8800
    assert school.balances(card)["course_sessions"] == 1
    too_many = school.sign_in(card, sessions=2)
    assert too_many.status_code == 409 and too_many.json["error"]["code"] == "not_enough_sessions"
    assert school.balances(card)["course_sessions"] == 1
    school.verify()


def test_t1_refusals_are_clear_and_change_nothing(school, clock):
    piano = school.course()
    school.course(key="violin", name="小提琴", teacher="li")
    card = school.card()
    assert school.sign_in(card).json["error"]["code"] == "no_package_for_course"
    school.bought(card, school.plan(piano["id"], sessions=2, price_fen=20000, validity_days=10)["id"])
    before = (school.count_rows(Visit), school.count_rows(Recognition), school.balances(card))
    wrong_course = school.sign_in(card, course_key="violin")
    assert wrong_course.status_code == 409 and wrong_course.json["error"]["code"] == "no_package_for_course"
    unknown = school.sign_in(card, course_key="drums")
    assert unknown.status_code == 422 and unknown.json["error"]["details"][0]["pointer"] == "/course_key"
    bad_teacher = school.sign_in(card, teacher="zhao")
    assert bad_teacher.status_code == 422 and bad_teacher.json["error"]["details"][0]["pointer"] == "/teacher"
    bad_sessions = school.sign_in(card, sessions=0)
    assert bad_sessions.status_code == 422
    clock.at("2026-03-12 10:00")  # valid 2026-03-02 .. 03-11
    expired = school.sign_in(card)
    assert expired.status_code == 409 and expired.json["error"]["code"] == "package_expired"
    assert (school.count_rows(Visit), school.count_rows(Recognition), school.balances(card)) == before
    school.verify()


def test_t1_renewal_extends_the_running_package_when_the_setting_says_so(school, clock):
    course = school.course()
    short = school.plan(course["id"], sessions=5, price_fen=50000, validity_days=30)
    card = school.card()
    first = school.bought(card, short["id"])["packages"][0]
    clock.at("2026-03-20 10:00")
    school.bought(card, short["id"])
    packages = {p["id"]: p for p in school.packages(card)}
    assert packages[first["id"]]["valid_to"] == "2026-04-18"  # the renewal's expiry, not 03-31
    assert sum(p["units_left"] for p in packages.values()) == 10
    sales = school.get("/training/reports/package-sales?from=2026-03-01&to=2026-03-31")
    assert [i["renewal"] for i in sales["items"]] == [False, True] and sales["renewals"] == 1
    assert sales["paid_fen"] == 2 * 47500
    assert school.get("/training/reports/package-sales?from=2026-03-21&to=2026-03-31")["items"] == []


def test_t1_a_plain_checkout_line_for_a_plan_becomes_a_package_at_the_plans_price(school, clock):
    course = school.course()
    plan = school.plan(course["id"], sessions=3, price_fen=30000)
    card = school.card()
    line = {"sku": f"course_plan.{plan['id']}", "unit_price_fen": 30000, "quantity": 2}
    quote = school.post("/checkout/quote", {"card_number": card, "lines": [line]}, idempotent=False).json
    done = school.post("/checkout", {"card_number": card, "lines": [line],
                                     "payments": [{"method": "cash", "amount_fen": quote["due_fen"]}]})
    assert done.status_code == 201, done.json
    packages = school.packages(card)
    assert len(packages) == 2 and sum(p["paid_fen"] for p in packages) == quote["due_fen"]
    before = school.balances(card)
    cheap = school.post("/checkout", {"card_number": card, "lines": [{**line, "unit_price_fen": 100}],
                                      "payments": [{"method": "cash", "amount_fen": 190}]})
    assert cheap.status_code == 422 and cheap.json["error"]["details"][0]["pointer"] == "/lines/0/unit_price_fen"
    walk_in = school.post("/checkout", {"lines": [line], "payments": [{"method": "cash", "amount_fen": 60000}]})
    assert walk_in.status_code == 422 and walk_in.json["error"]["details"][0]["pointer"] == "/card_number"
    assert school.balances(card) == before and len(school.packages(card)) == 2
    school.verify()


def test_t1_sale_refusals_charge_nothing(school, clock):
    course = school.course()
    plan = school.plan(course["id"])
    card = school.card()
    assert school.sell(card, 999999).status_code == 422
    no_payment = school.post(f"/cards/{card}/course-packages", {"plan_id": plan["id"]})
    assert no_payment.status_code == 422
    no_pin = school.sell(card, plan["id"], method="stored_value")
    assert no_pin.status_code == 422 and no_pin.json["error"]["details"][0]["pointer"] == "/payments"
    not_before_today = school.sell(card, plan["id"], starts_on="2026-03-03")
    assert not_before_today.status_code == 422  # a count package has no start date
    off = school.client.patch(f"/api/v1/training/plans/{plan['id']}", json={"active": False},
                              headers=school.headers("manager"))
    assert off.status_code == 200 and off.json["active"] is False
    assert school.sell(card, plan["id"]).json["error"]["code"] == "plan_not_offered"
    assert school.packages(card) == [] and school.account("sales") == 0
    school.verify()


def test_t1_t2_c2_the_settings_change_the_rules(client, hk, clock):
    """sessions_per_visit (T1), renewal_extends_validity off (T1), tier_discount_on_packages off
    (C2), package_validity_days as a plan's default (T1), metered_unit_price_fen 0 (T2)."""
    from .conftest import make_school

    school = make_school(client, hk, sessions_per_visit=2, renewal_extends_validity=False,
                         tier_discount_on_packages=False, metered_unit_price_fen=0,
                         package_validity_days=90, expiry_notice_days=10)
    course = school.course()
    school.course(key="studio", name="琴房")
    plan = school.plan(course["id"], sessions=4, price_fen=40000)
    assert plan["validity_days"] == 90
    card = school.card(tier="gold")
    first = school.bought(card, plan["id"])
    assert first["due_fen"] == 40000  # no 8.8折 on packages
    assert school.sign_in(card).json["units"] == 2
    clock.at("2026-03-20 10:00")
    school.bought(card, plan["id"])
    old = {p["id"]: p for p in school.packages(card)}[first["packages"][0]["id"]]
    assert old["valid_to"] == "2026-05-30"  # kept: renewal does not extend it
    refused = school.post(f"/cards/{card}/course-check-in", {"course_key": "studio"})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "no_package_for_course"


def test_t1_a_plan_names_its_course_by_id_or_by_key_and_never_two_courses(school, clock):
    piano, drums = school.course(key="piano"), school.course(key="drums", name="架子鼓")
    body = {"name": "五次课", "kind": "count", "sessions": 5, "price_fen": 50000}
    by_key = school.post("/training/plans", {**body, "course_key": "drums"}, role="manager", idempotent=False)
    assert by_key.status_code == 201 and by_key.json["course_id"] == drums["id"]
    refusals = [
        ({**body}, "/course_key"),
        ({**body, "course_id": piano["id"], "course_key": "drums"}, "/course_key"),
        ({**body, "course_key": "violin"}, "/course_key"),
    ]
    for wrong, pointer in refusals:
        response = school.post("/training/plans", wrong, role="manager", idempotent=False)
        assert response.status_code == 422 and response.json["error"]["details"][0]["pointer"] == pointer
    assert len(school.get("/training/plans")["items"]) == 1
