"""Retries and races (odoo#40567, medusa#16347): a retried sign-in uses sessions once, and two
tills cannot both spend the last session or both check a student in; T2 pass income is exact
across a freeze."""
from __future__ import annotations

from datetime import date

from plugins.training_courses.models import Package, Visit
from plugins.training_courses.revenue import days_of_use_elapsed
from tests.support.concurrency import concurrently

from .conftest import beijing, key


def test_t1_a_retried_sign_in_with_the_same_key_uses_sessions_once(school, clock):
    course = school.course()
    card = school.card()
    school.bought(card, school.plan(course["id"], sessions=3, price_fen=30000)["id"])
    headers = {**school.merchant.headers("cashier"), **key()}
    first = school.client.post(f"/api/v1/cards/{card}/course-sign-ins", json={"course_key": "piano"}, headers=headers)
    again = school.client.post(f"/api/v1/cards/{card}/course-sign-ins", json={"course_key": "piano"}, headers=headers)
    assert first.status_code == 201 and again.status_code == 201 and again.json == first.json
    other = school.client.post(f"/api/v1/cards/{card}/course-sign-ins",
                               json={"course_key": "piano", "sessions": 2}, headers=headers)
    assert other.status_code == 409 and other.json["error"]["code"] == "idempotency_key_reused"
    assert school.balances(card)["course_sessions"] == 2
    missing = school.post(f"/cards/{card}/course-sign-ins", {"course_key": "piano"}, idempotent=False)
    assert missing.status_code == 428 and school.balances(card)["course_sessions"] == 2


def test_t1_two_tills_cannot_both_use_the_last_session(app, school, clock):
    course = school.course()
    card = school.card()
    school.bought(card, school.plan(course["id"], sessions=1, price_fen=10000)["id"])
    responses = concurrently(app, [("POST", f"/api/v1/cards/{card}/course-sign-ins", {"course_key": "piano"},
                                    school.headers("cashier", idempotent=True)) for _ in range(3)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1 and all(s in (201, 409, 503) for s in statuses), [r.json for r in responses]
    assert school.balances(card)["course_sessions"] == 0 and school.count_rows(Visit) == 1
    school.verify()


def test_t2_two_tills_cannot_check_one_student_in_twice(app, school, clock):
    school.course(key="studio", name="琴房")
    card = school.card()
    responses = concurrently(app, [("POST", f"/api/v1/cards/{card}/course-check-in", {"course_key": "studio"},
                                    school.headers("cashier", idempotent=True)) for _ in range(2)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1 and statuses[1] in (409, 503), [r.json for r in responses]
    assert school.count_rows(Visit) == 1


def test_t2_pass_days_of_use_skip_frozen_days():
    package = Package(valid_from=date(2026, 3, 1), valid_to=date(2026, 3, 30), period_days=30,
                      frozen_days=0, frozen_on=None)
    assert days_of_use_elapsed(package, date(2026, 3, 1)) == 0
    assert days_of_use_elapsed(package, date(2026, 3, 11)) == 10
    package.frozen_on = date(2026, 3, 11)
    assert days_of_use_elapsed(package, date(2026, 3, 21)) == 10  # frozen since the 11th
    package.frozen_on, package.frozen_days, package.valid_to = None, 10, date(2026, 4, 9)
    assert days_of_use_elapsed(package, date(2026, 4, 10)) == 30
    assert days_of_use_elapsed(package, date(2026, 5, 1)) == 30


def test_t2_t3_a_frozen_pass_is_recognised_exactly_over_its_days_of_use(school, clock):
    course = school.course(key="art", name="美术")
    plan = school.plan(course["id"], kind="period", price_fen=10000, validity_days=7)  # 9500 paid
    card = school.card()
    package = school.bought(card, plan["id"])["packages"][0]
    school.run("expire_packages", beijing("2026-03-05 00:20"))  # 3 days used: 4071
    assert school.account("course_income") == -(9500 * 3 // 7)
    clock.at("2026-03-05 10:00")
    school.post(f"/course-packages/{package['id']}/freeze", role="manager", idempotent=False)
    school.run("expire_packages", beijing("2026-03-08 00:20"))  # frozen: nothing more
    assert school.account("course_income") == -(9500 * 3 // 7)
    clock.at("2026-03-08 10:00")
    thawed = school.post(f"/course-packages/{package['id']}/unfreeze", role="manager", idempotent=False).json
    assert thawed["valid_to"] == "2026-03-11"
    school.run("expire_packages", beijing("2026-03-10 00:20"))  # 5 days used
    assert school.account("course_income") == -(9500 * 5 // 7)
    summary = school.run("expire_packages", beijing("2026-03-12 00:20"))
    assert summary["packages"] == 1 and summary["breakage_fen"] == 0
    assert school.account("course_income") == -9500 and school.account("course_deferred") == 0
    school.verify()
