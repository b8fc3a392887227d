"""The plugin's cashier screens (L1, T1, T2) through the generic renderer, with the Flask test
client, for a merchant created from the training_school template."""
from __future__ import annotations

import re

from tests.web.test_cashier import sign_in

from .test_scenario import template_school

SCREENS = ("sell_course_package", "sign_in_student", "check_in_student", "check_out_student")


def _key(page: str) -> str:
    return re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', page).group(1)


def test_t1_t2_the_screens_sell_sign_in_and_refuse_bad_input_with_a_message(client, hk, clock):
    school = template_school(client, hk)
    course = school.course(key="piano", name="钢琴", teacher="zhang")
    plan = school.plan(course["id"], sessions=5, price_fen=50000)
    member = client.post("/api/v1/members", json={"name": "周同学", "phone": "13700001234"},
                         headers=school.headers())
    member_id = member.json["id"]
    number = client.post("/api/v1/cards", json={"member_id": member_id}, headers=school.headers()).json["number"]
    csrf = sign_in(client, school.merchant, "cashier")
    page = client.get(f"/cashier/members/{member_id}").get_data(as_text=True)
    for screen_id in SCREENS:
        assert f"screens/{screen_id}?card={number}" in page
        assert client.get(f"/cashier/members/{member_id}/screens/{screen_id}?card={number}").status_code == 200
    sell_url = f"/cashier/members/{member_id}/screens/sell_course_package?card={number}"
    key = _key(client.get(sell_url).get_data(as_text=True))
    sold = client.post(sell_url, data={"csrf_token": csrf, "idempotency_key": key,
                                       "plan_id": str(plan["id"]), "quantity": "1",
                                       "payment.method": "cash"})
    assert sold.status_code == 201, sold.get_data(as_text=True)
    assert school.balances(number)["course_sessions"] == 5
    url = f"/cashier/members/{member_id}/screens/sign_in_student?card={number}"
    key = _key(client.get(url).get_data(as_text=True))
    refused = client.post(url, data={"csrf_token": csrf, "idempotency_key": key, "course_key": "drums"})
    assert refused.status_code == 422 and "there is no course" in refused.get_data(as_text=True)
    done = client.post(url, data={"csrf_token": csrf, "idempotency_key": _key(client.get(url).get_data(as_text=True)),
                                  "course_key": "piano"})
    assert done.status_code == 201, done.get_data(as_text=True)
    assert school.balances(number)["course_sessions"] == 4
    school.verify()


def test_t2_check_in_and_out_screens_use_package_minutes_without_a_payment(client, hk, clock):
    school = template_school(client, hk)
    course = school.course(key="studio", name="琴房", teacher="chen")
    plan = school.plan(course["id"], kind="metered", minutes=120, price_fen=10000)
    member_id = client.post("/api/v1/members", json={"name": "吴同学", "phone": "13700005678"},
                            headers=school.headers()).json["id"]
    number = client.post("/api/v1/cards", json={"member_id": member_id}, headers=school.headers()).json["number"]
    school.bought(number, plan["id"])
    csrf = sign_in(client, school.merchant, "cashier")
    check_in = f"/cashier/members/{member_id}/screens/check_in_student?card={number}"
    started = client.post(check_in, data={"csrf_token": csrf, "course_key": "studio",
                                          "idempotency_key": _key(client.get(check_in).get_data(as_text=True))})
    assert started.status_code == 201, started.get_data(as_text=True)
    again = client.post(check_in, data={"csrf_token": csrf, "course_key": "studio",
                                        "idempotency_key": _key(client.get(check_in).get_data(as_text=True))})
    assert again.status_code == 409 and "already checked in" in again.get_data(as_text=True)
    clock.at("2026-03-02 10:45")
    check_out = f"/cashier/members/{member_id}/screens/check_out_student?card={number}"
    done = client.post(check_out, data={"csrf_token": csrf,
                                        "idempotency_key": _key(client.get(check_out).get_data(as_text=True))})
    assert done.status_code == 201, done.get_data(as_text=True)
    assert school.balances(number)["course_minutes"] == 60
    school.verify()


def test_t1_a_manager_sets_up_courses_and_plans_from_the_navigation(client, hk, clock):
    """The school's catalogue needs no API: a manager adds a course and a plan on screens in
    the cashier's navigation, and every role sees the plans on sale with their numbers."""
    school = template_school(client, hk)
    csrf = sign_in(client, school.merchant, "manager")
    home = client.get("/cashier/").get_data(as_text=True)
    for screen_id in ("add_course", "add_course_plan", "course_catalogue"):
        assert f"/cashier/screens/{screen_id}" in home
    url = "/cashier/screens/add_course"
    bad = client.post(url, data={"csrf_token": csrf, "idempotency_key": _key(client.get(url).get_data(as_text=True)),
                                 "key": "Piano!", "name": "钢琴"})
    assert bad.status_code == 422 and school.get("/training/courses")["items"] == []
    added = client.post(url, data={"csrf_token": csrf, "idempotency_key": _key(client.get(url).get_data(as_text=True)),
                                   "key": "piano", "name": "钢琴"})
    assert added.status_code == 201, added.get_data(as_text=True)
    url = "/cashier/screens/add_course_plan"
    form = client.get(url).get_data(as_text=True)
    assert 'name="sessions"' in form and 'name="price_fen"' in form
    unknown = client.post(url, data={"csrf_token": csrf, "idempotency_key": _key(form), "course_key": "drums",
                                     "name": "十次课", "kind": "count", "sessions": "10", "price_fen": "1200"})
    assert unknown.status_code == 422 and "there is no course" in unknown.get_data(as_text=True)
    plan = client.post(url, data={"csrf_token": csrf, "idempotency_key": _key(client.get(url).get_data(as_text=True)),
                                  "course_key": "piano", "name": "十次课", "kind": "count", "sessions": "10",
                                  "price_fen": "1200.00"})
    assert plan.status_code == 201, plan.get_data(as_text=True)
    [row] = school.get("/training/plans")["items"]
    assert (row["course_key"], row["sessions"], row["price_fen"]) == ("piano", 10, 120000)
    csrf = sign_in(client, school.merchant, "cashier")
    cashier_home = client.get("/cashier/").get_data(as_text=True)
    assert "/cashier/screens/course_catalogue" in cashier_home
    assert "/cashier/screens/add_course" not in cashier_home  # managers and owners only
    url = "/cashier/screens/course_catalogue"
    listed = client.post(url, data={"csrf_token": csrf, "idempotency_key": _key(client.get(url).get_data(as_text=True))})
    assert listed.status_code == 201 and "十次课" in listed.get_data(as_text=True)  # the screen flow answers 201
