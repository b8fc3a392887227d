"""Edges found in review: a started billing unit counts to the second (T2), a pass whose days
have run is used and cannot be returned (G3, T2), a pass start beyond the calendar is a 422
(T2). Each refusal changes nothing."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, text

from core.models import Card
from plugins.training_courses.models import Package

from .conftest import beijing, make_school


def test_t2_a_unit_started_by_seconds_counts_when_rounding_up(school, clock):
    course = school.course(key="studio", name="琴房")
    card = school.card()
    school.bought(card, school.plan(course["id"], kind="metered", minutes=120, price_fen=12000)["id"])
    clock.at("2026-03-02 10:00:00")
    assert school.post(f"/cards/{card}/course-check-in", {"course_key": "studio"}).status_code == 201
    clock.at("2026-03-02 10:30:30")  # the second 30-minute unit started 30 seconds ago
    out = school.post(f"/cards/{card}/course-check-out", {})
    assert out.status_code == 200, out.json
    assert (out.json["billed_units"], out.json["units"], out.json["minutes_left"]) == (2, 60, 60)
    school.verify()


def test_t2_rounding_down_still_ignores_a_part_unit(client, hk, clock):
    school = make_school(client, hk, metered_rounding="down")
    course = school.course(key="studio", name="琴房")
    card = school.card()
    school.bought(card, school.plan(course["id"], kind="metered", minutes=120, price_fen=12000)["id"])
    school.post(f"/cards/{card}/course-check-in", {"course_key": "studio"})
    clock.at("2026-03-02 10:59:59")
    out = school.post(f"/cards/{card}/course-check-out", {})
    assert (out.json["billed_units"], out.json["minutes_left"]) == (1, 90)


def test_g3_t2_a_pass_whose_days_have_run_cannot_be_returned(school, clock):
    """No sign-in and no job run yet: the ten days the pass was valid were still used."""
    course = school.course(key="art", name="美术")
    card = school.card()
    sale = school.bought(card, school.plan(course["id"], kind="period", price_fen=30000,
                                           validity_days=30)["id"])
    clock.at("2026-03-12 10:00")
    refused = school.post(f"/checkouts/{sale['checkout_id']}/returns", {"lines": [{"line_no": 1, "quantity": 1}]})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "package_used"
    assert [p["status"] for p in school.packages(card)] == ["active"]
    assert school.account("course_deferred") == -28500
    school.verify()


def test_g3_t2_with_deferred_revenue_off_a_run_pass_cannot_be_returned_either(client, hk, clock):
    school = make_school(client, hk, deferred_revenue=False)
    course = school.course(key="art", name="美术")
    card = school.card()
    sale = school.bought(card, school.plan(course["id"], kind="period", price_fen=30000,
                                           validity_days=30)["id"])
    school.run("expire_packages", clock.at("2026-03-20 00:20"))
    refused = school.post(f"/checkouts/{sale['checkout_id']}/returns", {"lines": [{"line_no": 1, "quantity": 1}]})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "package_used"
    assert school.account("course_income") == -28500
    school.verify()


def test_g3_t2_a_pass_returned_on_its_first_day_goes_back_whole(school, clock):
    course = school.course(key="art", name="美术")
    card = school.card()
    sale = school.bought(card, school.plan(course["id"], kind="period", price_fen=30000,
                                           validity_days=30)["id"])
    clock.at("2026-03-02 18:00")
    back = school.post(f"/checkouts/{sale['checkout_id']}/returns", {"lines": [{"line_no": 1, "quantity": 1}]})
    assert back.status_code == 201 and back.json["refund_fen"] == 28500
    school.verify()


def test_t2_a_pass_start_beyond_the_calendar_is_refused_and_charges_nothing(school, clock):
    course = school.course(key="art", name="美术")
    plan = school.plan(course["id"], kind="period", price_fen=30000, validity_days=30)
    card = school.card()
    refused = school.sell(card, plan["id"], starts_on="9999-12-20")
    assert refused.status_code == 422, refused.json
    assert refused.json["error"]["details"][0]["pointer"] == "/starts_on"
    assert school.packages(card) == [] and school.account("sales") == 0
    assert school.count_rows(Package) == 0
    school.verify()


def test_t1_t3_a_package_frozen_past_the_longest_extension_lapses_with_its_breakage(school, clock):
    """max_freeze_days (90) is all unfreezing could add: once that too has run out, the job
    lapses the frozen package instead of keeping its sessions and deferred money for ever."""
    course = school.course()
    card = school.card(tier="gold")
    package = school.bought(card, school.plan(course["id"], sessions=3, price_fen=30000,
                                              validity_days=30)["id"])["packages"][0]  # to 03-31
    school.sign_in(card)
    clock.at("2026-03-05 10:00")
    school.post(f"/course-packages/{package['id']}/freeze", role="manager", idempotent=False)
    kept = school.run("expire_packages", beijing("2026-06-29 00:20"))  # 03-31 + 90: last day
    assert kept["packages"] == 0 and school.balances(card)["course_sessions"] == 2
    lapsed = school.run("expire_packages", beijing("2026-06-30 00:20"))
    assert (lapsed["packages"], lapsed["sessions"], lapsed["breakage_fen"]) == (1, 2, 26400 - 8800)
    assert school.balances(card)["course_sessions"] == 0 and school.account("course_deferred") == 0
    [after] = school.packages(card)
    assert (after["status"], after["valid_to"]) == ("expired", "2026-06-29")
    clock.at("2026-06-30 10:00")
    late = school.post(f"/course-packages/{package['id']}/unfreeze", role="manager", idempotent=False)
    assert late.status_code == 409 and late.json["error"]["code"] == "package_not_frozen"
    assert school.run("expire_packages", beijing("2026-07-01 00:20"))["packages"] == 0
    school.verify()


def test_t1_a_renewal_does_not_revive_sessions_that_expired_before_the_nightly_job(school, clock):
    """renewal_extends_validity moves on the sessions still valid, not those already past
    their last day that the job has not lapsed yet (it runs at 00:20, or failed last night)."""
    course = school.course()
    plan = school.plan(course["id"], sessions=2, price_fen=20000, validity_days=10)
    card = school.card()
    old = school.bought(card, plan["id"])["packages"][0]  # valid 03-02 .. 03-11
    clock.at("2026-03-12 00:05")
    school.bought(card, plan["id"])
    packages = {p["id"]: p for p in school.packages(card)}
    assert packages[old["id"]]["valid_to"] == "2026-03-11" and not packages[old["id"]]["usable_today"]
    too_many = school.sign_in(card, sessions=3)
    assert too_many.status_code == 409 and too_many.json["error"]["code"] == "not_enough_sessions"
    lapsed = school.run("expire_packages", beijing("2026-03-12 00:20"))
    assert (lapsed["packages"], lapsed["sessions"]) == (1, 2)
    school.verify()


def test_t1_t3_the_nightly_expiry_and_a_till_on_another_card_do_not_deadlock(school, clock):
    """PostgreSQL READ COMMITTED: a till holds its card and then posts to the merchant's
    accounts; the job must not hold those accounts while it waits for that card."""
    engine = school.hk.db.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks and deadlock detection: PostgreSQL")
    course = school.course()
    plan = school.plan(course["id"], sessions=2, price_fen=20000, validity_days=1)
    first, second = school.card(), school.card()
    school.bought(first, plan["id"])
    school.bought(second, plan["id"])
    with school.hk.db.read() as session:
        second_id = session.scalar(select(Card.id).where(Card.number == second))
    outcome = {}

    def nightly():
        try:
            outcome["summary"] = school.run("expire_packages", beijing("2026-03-04 00:20"))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            outcome["error"] = error

    with engine.connect() as till, engine.connect() as watcher:
        till.begin()
        till.execute(text("SELECT id FROM cards WHERE id = :id FOR UPDATE"), {"id": second_id})
        job = threading.Thread(target=nightly)
        job.start()
        for _ in range(1200):  # until the job waits for the till's card (no timing asserted)
            waiting = watcher.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'")).scalar()
            watcher.rollback()
            if waiting or not job.is_alive():
                break
            time.sleep(0.05)
        # The till now posts, as a sign-in does after locking its card.
        till.execute(text("UPDATE accounts SET balance = balance WHERE merchant_id = :m "
                          "AND owner = 'merchant' AND purpose = 'course_deferred'"), {"m": school.id})
        till.commit()
        job.join(timeout=60)
    assert "error" not in outcome, outcome
    assert outcome["summary"]["packages"] == 2 and school.account("course_deferred") == 0
    school.verify()


def test_g3_a_package_return_and_a_payment_on_the_same_card_do_not_deadlock(school, clock):
    """PostgreSQL: a checkout holds its card, then posts to the till and sales; a return has
    posted its refund there before the plugin's hook runs, so the hook must not wait for the card."""
    engine = school.hk.db.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks and deadlock detection: PostgreSQL")
    course = school.course()
    card = school.card()
    sale = school.bought(card, school.plan(course["id"], sessions=2, price_fen=20000)["id"])
    with school.hk.db.read() as session:
        card_id = session.scalar(select(Card.id).where(Card.number == card))
    outcome = {}

    def give_back():
        outcome["response"] = school.post(f"/checkouts/{sale['checkout_id']}/returns",
                                          {"lines": [{"line_no": 1, "quantity": 1}]})

    with engine.connect() as till, engine.connect() as watcher:
        till.begin()
        till.execute(text("SELECT id FROM cards WHERE id = :id FOR UPDATE"), {"id": card_id})
        returning = threading.Thread(target=give_back)
        returning.start()
        for _ in range(1200):  # until the return waits for a lock or is done (no timing asserted)
            waiting = watcher.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'")).scalar()
            watcher.rollback()
            if waiting or not returning.is_alive():
                break
            time.sleep(0.05)
        # The checkout on this card now takes the payment, as core.checkout.commit does.
        till.execute(text("UPDATE accounts SET balance = balance WHERE merchant_id = :m "
                          "AND owner = 'merchant' AND purpose = 'sales'"), {"m": school.id})
        till.commit()
        returning.join(timeout=60)
    response = outcome["response"]
    assert response.status_code == 201, response.json
    assert school.balances(card)["course_sessions"] == 0 and school.account("course_deferred") == 0
    school.verify()


def test_t1_a_course_no_longer_taught_is_not_sold_but_its_paid_sessions_can_still_be_used(school, clock):
    """Deactivating a course stops new sales of its plans; students keep attending what they
    paid for (else their money would end up as breakage)."""
    course = school.course()
    plan = school.plan(course["id"], sessions=2, price_fen=20000)
    metered = school.plan(course["id"], kind="metered", minutes=60, price_fen=6000)
    card = school.card()
    school.bought(card, plan["id"])
    school.bought(card, metered["id"])
    walk_up = school.card()
    off = school.client.patch(f"/api/v1/training/courses/{course['id']}", json={"active": False},
                              headers=school.headers("manager"))
    assert off.status_code == 200 and off.json["active"] is False
    refused = school.sell(card, plan["id"])
    assert refused.status_code == 409 and refused.json["error"]["code"] == "plan_not_offered"
    line = {"sku": f"course_plan.{plan['id']}", "unit_price_fen": 20000}
    plain = school.post("/checkout", {"card_number": card, "lines": [line],
                                      "payments": [{"method": "cash", "amount_fen": 19000}]})
    assert plain.status_code == 422 and plain.json["error"]["details"][0]["pointer"] == "/lines/0/sku"
    assert school.sign_in(card).status_code == 201
    assert school.post(f"/cards/{card}/course-check-in", {"course_key": "piano"}).status_code == 201
    # Time paid at the till is a sale too: not for a course that is no longer taught.
    no_time = school.post(f"/cards/{walk_up}/course-check-in", {"course_key": "piano"})
    assert no_time.status_code == 422 and no_time.json["error"]["details"][0]["pointer"] == "/course_key"
    assert len(school.packages(card)) == 2 and school.balances(card)["course_sessions"] == 1
    school.verify()


def test_t1_t2_a_pass_not_started_yet_cannot_be_frozen(school, clock):
    """Freezing before the first day would add the days until the start to the pass when it
    is unfrozen: days of use the student never paid for."""
    course = school.course(key="art", name="美术")
    card = school.card()
    sale = school.bought(card, school.plan(course["id"], kind="period", price_fen=30000, validity_days=30)["id"],
                         starts_on="2026-03-10")
    package = sale["packages"][0]
    early = school.post(f"/course-packages/{package['id']}/freeze", role="manager", idempotent=False)
    assert early.status_code == 409 and early.json["error"]["code"] == "package_not_started"
    [after] = school.packages(card)
    assert (after["status"], after["valid_to"]) == ("active", "2026-04-08")
    clock.at("2026-03-10 10:00")
    assert school.post(f"/course-packages/{package['id']}/freeze", role="manager",
                       idempotent=False).status_code == 200


def test_g3_t2_a_pass_shown_while_it_is_being_returned_is_refused(school, clock):
    """PostgreSQL: the return holds the pass's row (it no longer takes the card); a sign-in
    showing that pass waits for it and then sees it returned."""
    engine = school.hk.db.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    course = school.course(key="art", name="美术")
    card = school.card()
    package = school.bought(card, school.plan(course["id"], kind="period", price_fen=30000,
                                              validity_days=30)["id"])["packages"][0]
    outcome = {}

    def show_pass():
        outcome["response"] = school.sign_in(card, course_key="art")

    with engine.connect() as returning, engine.connect() as watcher:
        returning.begin()
        returning.execute(text("SELECT id FROM training_packages WHERE id = :id FOR UPDATE"),
                          {"id": package["id"]})
        signing_in = threading.Thread(target=show_pass)
        signing_in.start()
        for _ in range(1200):  # until the sign-in waits for a lock or is done (no timing asserted)
            waiting = watcher.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'")).scalar()
            watcher.rollback()
            if waiting or not signing_in.is_alive():
                break
            time.sleep(0.05)
        returning.execute(text("UPDATE training_packages SET status = 'returned' WHERE id = :id"),
                          {"id": package["id"]})
        returning.commit()
        signing_in.join(timeout=60)
    response = outcome["response"]
    assert response.status_code == 409, response.json
