"""End to end on SQLite and PostgreSQL: a school from the training_school template (L2) sells
packages paid by cash and stored value, signs students in, returns (G3), replaces a card (C5),
expires a package, and reports income by course, teacher and month (T3, X1). Bad inputs get a
clear error and change nothing; the ledger verifies after every step."""
from __future__ import annotations

from core.config_versions import published_config
from core.starters import load_starters
from plugins.training_courses.models import Package, Recognition, Visit
from tests.support.factories import make_merchant

from .conftest import School, beijing

PIN = "246810"


def template_school(client, hk) -> School:
    starter = {s.id: s for s in load_starters(hk.plugins)}["training_school"]
    school = School(client, hk, make_merchant(hk, "星星艺术培训", starter.new_document()))
    with hk.db.read() as session:
        config = published_config(session, school.id, hk.plugins)
        assert config.is_enabled("training_courses") and config.is_enabled("stored_value")
    return school


def test_l2_t1_t2_t3_g3_c5_a_school_from_the_template_runs_the_whole_scenario(client, hk, clock):
    school = template_school(client, hk)
    settings_teachers = {"zhang", "chen"}
    piano = school.course(key="piano", name="钢琴", teacher="zhang")
    art = school.course(key="art", name="美术", teacher="chen")
    piano10 = school.plan(piano["id"], sessions=10, price_fen=150000)
    art_pass = school.plan(art["id"], kind="period", price_fen=60000, validity_days=30)
    card = school.card(tier="student", pin=PIN)
    # Recharge 3000 yuan (S3 caps a new card at 60 % of it today) and pay the piano package
    # from stored value with the PIN (S2, through the checkout).
    recharge = school.post(f"/cards/{card}/recharge", {"amount_fen": 300000, "payment": {"method": "cash"}})
    assert recharge.status_code == 201, recharge.json
    wrong_pin = school.post(f"/cards/{card}/course-packages",
                            {"plan_id": piano10["id"], "payment": {"method": "stored_value", "pin": "000000"}})
    assert wrong_pin.status_code in (403, 409, 422) and school.packages(card) == []
    sale = school.post(f"/cards/{card}/course-packages",
                       {"plan_id": piano10["id"], "payment": {"method": "stored_value", "pin": PIN}})
    assert sale.status_code == 201, sale.json
    assert school.balances(card)["course_sessions"] == 10
    school.bought(card, art_pass["id"])  # cash
    assert school.get("/training/reports/deferred")["deferred_fen"] == 150000 + 60000
    # Sign-ins: piano by zhang (default) and one by chen; art with the pass.
    assert school.sign_in(card, course_key="piano").json["teacher"] == "zhang"
    assert school.sign_in(card, course_key="piano", teacher="chen").json["revenue_fen"] == 15000
    assert school.sign_in(card, course_key="art").json["kind"] == "period"
    # Bad inputs change nothing.
    before = (school.balances(card), school.count_rows(Visit), school.count_rows(Recognition),
              school.account("course_deferred"))
    for body, status in (({"course_key": "piano", "sessions": 9}, 409),
                         ({"course_key": "piano", "teacher": "nobody"}, 422),
                         ({"course_key": "Piano"}, 422), ({"course_key": "piano", "extra": 1}, 422)):
        response = school.post(f"/cards/{card}/course-sign-ins", body)
        assert response.status_code == status, (body, response.json)
        assert response.json["error"]["message"]
    assert (school.balances(card), school.count_rows(Visit), school.count_rows(Recognition),
            school.account("course_deferred")) == before
    # G3: the piano package is used, so its return is refused; a pass not started yet goes back.
    refused = school.post(f"/checkouts/{sale.json['checkout_id']}/returns", {"lines": [{"line_no": 1, "quantity": 1}]})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "package_used"
    assert school.balances(card)["course_sessions"] == 8
    second_pass = school.bought(card, art_pass["id"], starts_on="2026-06-01")
    returned = school.post(f"/checkouts/{second_pass['checkout_id']}/returns",
                           {"lines": [{"line_no": 1, "quantity": 1}]})
    assert returned.status_code == 201, returned.json
    assert returned.json["refund_fen"] == 60000
    returned_packages = [p for p in school.packages(card) if p["checkout_id"] == second_pass["checkout_id"]]
    assert [p["status"] for p in returned_packages] == ["returned"]
    # C5: a replacement card carries the packages.
    replaced = school.post(f"/cards/{card}/replace", {}, role="manager")
    assert replaced.status_code in (200, 201), replaced.json
    new_card = replaced.json["new_card"]["number"]
    assert school.balances(new_card)["course_sessions"] == 8
    assert len(school.packages(new_card)) == 3 and school.packages(card) == []
    assert school.sign_in(new_card, course_key="piano").status_code == 201
    # Expiry of the art pass at the end of its 30 days recognises it all.
    school.run("expire_packages", beijing("2026-04-01 00:20"))
    income = school.get("/training/reports/income?from=2026-03-01&to=2026-04-30")
    by_teacher: dict[tuple, int] = {}
    for row in income["items"]:
        group = (row["course_key"], row["teacher"])
        by_teacher[group] = by_teacher.get(group, 0) + row["income_fen"]
    assert by_teacher == {("piano", "zhang"): 30000, ("piano", "chen"): 15000, ("art", "chen"): 60000}
    assert {t for _c, t in by_teacher} == settings_teachers
    deferred = school.get("/training/reports/deferred")
    assert deferred["deferred_fen"] == deferred["ledger_deferred_fen"] == 150000 - 45000
    consumption = school.get("/training/reports/consumption?from=2026-03-01&to=2026-03-31")
    assert consumption["sessions"] == 3 and consumption["revenue_fen"] == 45000
    school.verify()


def test_g3_returning_an_unused_package_gives_back_sessions_and_money_exactly(school, clock, hk):
    course = school.course()
    plan = school.plan(course["id"], sessions=3, price_fen=33333)
    card = school.card(tier="gold")
    sale = school.bought(card, plan["id"], quantity=3)
    assert sum(p["paid_fen"] for p in sale["packages"]) == sale["due_fen"]
    first = school.post(f"/checkouts/{sale['checkout_id']}/returns", {"lines": [{"line_no": 1, "quantity": 1}]})
    assert first.status_code == 201, first.json
    assert first.json["refund_fen"] == sale["packages"][0]["paid_fen"]
    assert school.balances(card)["course_sessions"] == 6
    school.sign_in(card)  # uses the second package (same expiry, lower id)
    refused = school.post(f"/checkouts/{sale['checkout_id']}/returns", {"lines": [{"line_no": 1, "quantity": 2}]})
    assert refused.status_code == 409 and school.balances(card)["course_sessions"] == 5
    with hk.db.read() as session:
        assert session.query(Package).filter_by(status="returned").count() == 1
    assert school.account("sales") == 0
    assert school.get("/training/reports/deferred")["deferred_fen"] == -school.account("course_deferred")
    school.verify()


def test_t3_with_deferred_revenue_off_the_sale_is_income_at_once_and_returns_take_it_back(client, hk, clock):
    from .conftest import make_school

    school = make_school(client, hk, deferred_revenue=False)
    course = school.course()
    card = school.card(tier="gold")
    sale = school.bought(card, school.plan(course["id"], sessions=2, price_fen=10000)["id"])
    assert school.account("course_income") == -8800 and school.account("course_deferred") == 0
    back = school.post(f"/checkouts/{sale['checkout_id']}/returns", {"lines": [{"line_no": 1, "quantity": 1}]})
    assert back.status_code == 201, back.json
    assert school.account("course_income") == 0 and school.account("sales") == 0
    school.verify()


def test_t1_another_merchants_package_and_plan_are_not_found(client, hk, school, clock):
    from .conftest import make_school

    other = make_school(client, hk)
    course = school.course()
    plan = school.plan(course["id"])
    card = school.card()
    package = school.bought(card, plan["id"])["packages"][0]
    assert other.post(f"/course-packages/{package['id']}/freeze", role="manager", idempotent=False).status_code == 404
    other_card = other.card()
    assert other.sell(other_card, plan["id"]).status_code == 422
    assert other.client.get(f"/api/v1/cards/{card}/course-packages", headers=other.headers()).status_code == 404


def test_c5_g3_after_a_replacement_the_open_visit_follows_and_a_return_takes_from_the_new_card(school, clock):
    course = school.course(key="studio", name="琴房")
    card = school.card()
    sale = school.bought(card, school.plan(course["id"], kind="metered", minutes=60, price_fen=6000)["id"])
    unused = school.bought(card, school.plan(course["id"], sessions=2, price_fen=2000)["id"])
    assert school.post(f"/cards/{card}/course-check-in", {"course_key": "studio"}).status_code == 201
    new_card = school.post(f"/cards/{card}/replace", {}, role="manager").json["new_card"]["number"]
    clock.at("2026-03-02 10:25")
    out = school.post(f"/cards/{new_card}/course-check-out", {})
    assert out.status_code == 200 and out.json["units"] == 30 and out.json["card_number"] == new_card
    back = school.post(f"/checkouts/{unused['checkout_id']}/returns", {"lines": [{"line_no": 1, "quantity": 1}]})
    assert back.status_code == 201, back.json
    assert school.balances(new_card)["course_sessions"] == 0 and school.balances(new_card)["course_minutes"] == 30
    used = school.post(f"/checkouts/{sale['checkout_id']}/returns", {"lines": [{"line_no": 1, "quantity": 1}]})
    assert used.status_code == 409 and used.json["error"]["code"] == "package_used"
    school.verify()
