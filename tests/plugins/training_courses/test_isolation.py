"""Every training route is scoped to the caller's merchant (the tests/api/test_tenant_isolation.py
rule for this plugin's routes): another merchant's card, course, plan or package answers 404
and nothing of it changes; lists and reports show only the caller's rows."""
from __future__ import annotations

import re

from .conftest import make_school

BODIES = {
    "updateCourse": {"name": "改名"},
    "updateCoursePlan": {"price_fen": 1},
    "sellCoursePackage": None,  # filled below with A's plan
    "signInStudent": {"course_key": "piano"},
    "checkInStudent": {"course_key": "piano"},
    "checkOutStudent": {},
    "cancelCheckIn": {"reason": "x"},
}


def test_another_merchants_objects_answer_404_and_reports_stay_apart(app, client, hk, clock):
    a, b = make_school(client, hk), make_school(client, hk)
    course = a.course()
    plan = a.plan(course["id"], sessions=3, price_fen=30000)
    card = a.card()
    package = a.bought(card, plan["id"])["packages"][0]
    a.sign_in(card)
    ids = {"card_number": card, "course_id": course["id"], "plan_id": plan["id"],
           "package_id": package["id"]}
    BODIES["sellCoursePackage"] = {"plan_id": plan["id"], "payment": {"method": "cash"}}
    checked = []
    for rule in app.url_map.iter_rules():
        endpoint = rule.endpoint.removeprefix("api.")
        if not rule.arguments or not (endpoint in BODIES or "course" in rule.rule or "training" in rule.rule):
            continue
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, json=BODIES.get(endpoint),
                                   headers=b.headers("owner", idempotent=True))
            assert response.status_code == 404, (method, url, response.json)
            assert response.json["error"]["code"] == "not_found"
            checked.append(endpoint)
    assert {"updateCourse", "updateCoursePlan", "listCoursePackages", "sellCoursePackage",
            "freezeCoursePackage", "unfreezeCoursePackage", "signInStudent", "checkInStudent",
            "checkOutStudent", "cancelCheckIn"} <= set(checked), checked
    for path in ("/training/courses", "/training/plans", "/training/reports/consumption",
                 "/training/reports/deferred", "/training/reports/income", "/training/reports/package-sales"):
        assert b.get(path)["items"] == [], path
    reminders = b.get("/training/reminders")
    assert reminders["expiring"] == reminders["running_low"] == []
    # Nothing of A's changed.
    [after] = a.packages(card)
    assert (after["units_left"], after["status"]) == (2, "active")
    assert a.get("/training/courses")["items"][0]["name"] == "钢琴"
    assert a.get("/training/plans")["items"][0]["price_fen"] == 30000
    a.verify()
    b.verify()
