"""T2 period passes and metered time; T1 freeze/unfreeze; the jobs (T1 expiry, T3 breakage, R2)."""
from __future__ import annotations

from plugins.training_courses.models import Visit
from plugins.training_courses.visits import billed_units

from .conftest import beijing


def test_t2_billing_units_follow_the_rounding_setting():
    assert [billed_units(m, 30, "up") for m in (0, 1, 30, 31, 61)] == [0, 1, 1, 2, 3]
    assert [billed_units(m, 30, "down") for m in (0, 29, 30, 59)] == [0, 0, 1, 1]
    assert [billed_units(m, 30, "nearest") for m in (14, 15, 44, 45)] == [0, 1, 1, 2]


def test_t2_a_period_pass_is_valid_only_between_its_dates_and_recognised_by_day(school, clock):
    course = school.course()
    plan = school.plan(course["id"], kind="period", price_fen=30000, validity_days=30)
    card = school.card(tier="silver")
    sale = school.bought(card, plan["id"], starts_on="2026-03-10")
    assert sale["packages"][0]["valid_from"] == "2026-03-10" and sale["packages"][0]["valid_to"] == "2026-04-08"
    early = school.sign_in(card)
    assert early.status_code == 409 and early.json["error"]["code"] == "package_not_started"
    clock.at("2026-03-10 09:00")
    shown = school.sign_in(card)
    assert shown.status_code == 201 and shown.json["kind"] == "period" and shown.json["revenue_fen"] == 0
    paid = 28500
    assert school.run("expire_packages", beijing("2026-03-20 00:20"))["period_income_fen"] == paid * 10 // 30
    assert school.run("expire_packages", beijing("2026-04-09 00:20"))["packages"] == 1
    assert school.account("course_income") == -paid and school.account("course_breakage") == 0
    clock.at("2026-04-09 10:00")
    assert school.sign_in(card).json["error"]["code"] == "package_expired"
    school.verify()


def test_t2_metered_time_from_a_minutes_package_per_started_unit(school, clock):
    course = school.course(key="studio", name="琴房")
    school.bought(card := school.card(), school.plan(course["id"], kind="metered", minutes=120,
                                                      price_fen=12000)["id"])
    assert school.post(f"/cards/{card}/course-check-out", {}).json["error"]["code"] == "not_checked_in"
    assert school.post(f"/cards/{card}/course-check-in", {"course_key": "studio"}).status_code == 201
    again = school.post(f"/cards/{card}/course-check-in", {"course_key": "studio"})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_checked_in"
    clock.at("2026-03-02 10:31")  # 31 minutes: two started units of 30
    out = school.post(f"/cards/{card}/course-check-out", {})
    assert out.status_code == 200, out.json
    assert (out.json["minutes"], out.json["units"], out.json["minutes_left"]) == (31, 60, 60)
    assert out.json["revenue_fen"] == 11400 * 60 // 120
    school.post(f"/cards/{card}/course-check-in", {"course_key": "studio"})
    clock.at("2026-03-02 12:00")  # 89 minutes: 90 to charge, 60 left
    before = (school.balances(card), school.count_rows(Visit))
    short = school.post(f"/cards/{card}/course-check-out", {})
    assert short.status_code == 409 and short.json["error"]["code"] == "not_enough_minutes"
    assert (school.balances(card), school.count_rows(Visit)) == before
    paid = school.post(f"/cards/{card}/course-check-out", {"payment": {"method": "cash"}})
    assert paid.status_code == 200, paid.json
    assert paid.json["revenue_fen"] == 3 * 2000 * 95 // 100 and paid.json["checkout_id"]
    assert school.balances(card)["course_minutes"] == 60
    school.verify()


def test_t2_without_a_minutes_package_the_time_is_paid_at_the_till(school, clock):
    school.course(key="studio", name="琴房")
    card = school.card()
    school.post(f"/cards/{card}/course-check-in", {"course_key": "studio"})
    clock.at("2026-03-02 10:20")
    unpaid = school.post(f"/cards/{card}/course-check-out", {})
    assert unpaid.status_code == 422 and unpaid.json["error"]["details"][0]["pointer"] == "/payment"
    done = school.post(f"/cards/{card}/course-check-out", {"payment": {"method": "cash"}})
    assert done.status_code == 200 and done.json["revenue_fen"] == 1900
    income = school.get("/training/reports/income")
    assert income["income_fen"] == 1900 and income["items"][0]["teacher_name"] == "王老师"
    school.verify()


def test_t1_a_frozen_package_cannot_be_used_and_unfreezing_extends_it(school, clock):
    course = school.course()
    card = school.card()
    package = school.bought(card, school.plan(course["id"], sessions=4, price_fen=40000,
                                              validity_days=30)["id"])["packages"][0]
    frozen = school.post(f"/course-packages/{package['id']}/freeze", role="manager", idempotent=False)
    assert frozen.status_code == 200 and frozen.json["status"] == "frozen"
    assert school.post(f"/course-packages/{package['id']}/freeze", role="cashier").status_code == 403
    refused = school.sign_in(card)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "package_frozen"
    assert school.run("expire_packages", beijing("2026-04-15 00:20"))["packages"] == 0  # frozen: kept
    clock.at("2026-04-11 10:00")  # frozen 40 days, capped by max_freeze_days (90)
    thawed = school.post(f"/course-packages/{package['id']}/unfreeze", role="manager", idempotent=False)
    assert thawed.json["valid_to"] == "2026-05-10" and thawed.json["frozen_days_added"] == 40
    assert school.sign_in(card).status_code == 201
    again = school.post(f"/course-packages/{package['id']}/unfreeze", role="manager", idempotent=False)
    assert again.status_code == 409 and again.json["error"]["code"] == "package_not_frozen"
    school.verify()


def test_t1_t3_expiry_lapses_sessions_and_books_breakage_once(school, clock):
    course = school.course()
    card = school.card(tier="gold")
    school.bought(card, school.plan(course["id"], sessions=3, price_fen=30000, validity_days=10)["id"])
    school.sign_in(card)
    assert school.run("expire_packages", beijing("2026-03-11 00:20"))["packages"] == 0  # last day
    summary = school.run("expire_packages", beijing("2026-03-12 00:20"))
    assert (summary["packages"], summary["sessions"], summary["breakage_fen"]) == (1, 2, 26400 - 8800)
    assert school.run("expire_packages", beijing("2026-03-13 00:20"))["packages"] == 0
    assert school.balances(card)["course_sessions"] == 0
    assert school.account("course_lapsed", "course_sessions") == 2
    report = school.get("/training/reports/income?from=2026-03-01&to=2026-03-31")
    assert (report["income_fen"], report["breakage_fen"]) == (8800, 17600)
    assert school.get("/training/reports/deferred")["deferred_fen"] == 0
    school.verify()


def test_r2_reminders_list_packages_expiring_soon_or_running_low(school, clock, hk):
    course = school.course()
    card = school.card()
    school.bought(card, school.plan(course["id"], sessions=3, price_fen=30000, validity_days=60)["id"])
    school.sign_in(card)  # 2 left = low_sessions_reminder
    found = school.get("/training/reminders")
    assert [e["card_number"] for e in found["running_low"]] == [card] and found["expiring"] == []
    clock.at("2026-03-31 09:00")  # valid to 2026-04-30: inside the 30-day notice window
    assert [e["card_number"] for e in school.get("/training/reminders")["expiring"]] == [card]
    jobs = {j.id for j in hk.plugins.jobs() if j.plugin == "training_courses"}
    manifest = {f"training_courses.{j['id']}" for j in hk.plugins.plugins["training_courses"].manifest["jobs"]}
    assert jobs == manifest


def test_t2_a_manager_cancels_an_open_check_in_without_charging_it(school, clock):
    """A student who left without paying does not block the card: a manager closes the
    check-in with a reason, nothing is charged, and the next check-in works (T2)."""
    school.course(key="studio", name="琴房")
    card = school.card()
    school.post(f"/cards/{card}/course-check-in", {"course_key": "studio"})
    clock.at("2026-03-02 10:45")
    before = (school.balances(card), school.account("sales"), school.get("/training/reports/income")["income_fen"])
    by_cashier = school.post(f"/cards/{card}/course-check-in/cancel", {"reason": "未付款离开"}, idempotent=False)
    assert by_cashier.status_code == 403  # waiving time is a manager's call
    no_reason = school.post(f"/cards/{card}/course-check-in/cancel", {"reason": ""}, role="manager",
                           idempotent=False)
    assert no_reason.status_code == 422 and no_reason.json["error"]["details"][0]["pointer"] == "/reason"
    blank = school.post(f"/cards/{card}/course-check-in/cancel", {"reason": "  "}, role="manager",
                        idempotent=False)
    assert blank.status_code == 422
    cancelled = school.post(f"/cards/{card}/course-check-in/cancel", {"reason": "未付款离开"}, role="manager",
                            idempotent=False)
    assert cancelled.status_code == 200, cancelled.json
    assert (cancelled.json["status"], cancelled.json["minutes"], cancelled.json["revenue_fen"]) == ("cancelled", 45, 0)
    assert "未付款离开" in cancelled.json["note"]
    assert (school.balances(card), school.account("sales"),
            school.get("/training/reports/income")["income_fen"]) == before
    again = school.post(f"/cards/{card}/course-check-in/cancel", {"reason": "再次"}, role="manager",
                        idempotent=False)
    assert again.status_code == 409 and again.json["error"]["code"] == "not_checked_in"
    assert school.post(f"/cards/{card}/course-check-in", {"course_key": "studio"}).status_code == 201
    school.verify()
