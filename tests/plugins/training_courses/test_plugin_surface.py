"""The plugin's surface: settings checks at publish, member summary, OpenAPI, routes off when the
plugin is not enabled, roles on the catalogue and reports, plan validation (T1-T3)."""
from __future__ import annotations

import re

from core.merchant_config import validate_config
from core.plugins import build_registry
from tests.support.factories import basic_document, make_merchant

from .conftest import TEACHERS


def test_t3_publishing_refuses_a_teacher_listed_twice():
    document = basic_document(plugins=[{"id": "training_courses", "settings": {
        "teachers": [*TEACHERS, {"key": "wang", "name": "另一位王老师"}]}}])
    problems = validate_config(document, build_registry())
    assert [p["pointer"] for p in problems] == ["/plugins/0/settings/teachers/2/key"]


def test_t1_the_member_summary_shows_sessions_and_minutes(school, clock):
    course = school.course()
    card = school.card()
    school.bought(card, school.plan(course["id"], sessions=4, price_fen=40000)["id"])
    school.bought(card, school.plan(course["id"], kind="metered", minutes=90, price_fen=9000)["id"])
    number = school.get(f"/cards/{card}")
    member = school.get(f"/members/{number['member_id']}")
    assert member["summary"]["course_sessions"] == 4 and member["summary"]["course_minutes"] == 90


def test_operations_are_documented_under_training_and_off_where_not_enabled(client, hk):
    document = client.get("/api/v1/openapi.json").json
    found = {(method, path) for path, item in document["paths"].items()
             for method, op in item.items() if op.get("x-huika-plugin") == "training_courses"}
    assert ("post", "/api/v1/cards/{card_number}/course-packages") in found and len(found) == 20
    plain = make_merchant(hk, "没开培训", basic_document())
    for method, path in sorted(found):
        url = re.sub(r"\{\w+\}", "1", path)
        response = client.open(url, method=method.upper(), json={} if method != "get" else None,
                               headers={**plain.headers(), "Idempotency-Key": f"off-{method}-{path}"})
        assert response.status_code == 404 and response.json["error"]["code"] == "plugin_not_enabled"


def test_t1_courses_plans_and_reports_are_for_owners_and_managers(school):
    refused = school.post("/training/courses", {"key": "piano", "name": "钢琴"}, role="cashier", idempotent=False)
    assert refused.status_code == 403
    assert school.client.get("/api/v1/training/reports/income", headers=school.headers("cashier")).status_code == 403
    course = school.course()
    again = school.post("/training/courses", {"key": "piano", "name": "钢琴二"}, role="manager", idempotent=False)
    assert again.status_code == 409 and again.json["error"]["code"] == "course_key_taken"
    bad_teacher = school.post("/training/courses", {"key": "violin", "name": "小提琴", "default_teacher": "zhao"},
                              role="manager", idempotent=False)
    assert bad_teacher.status_code == 422 and bad_teacher.json["error"]["details"][0]["pointer"] == "/default_teacher"
    for body, pointer in (({"kind": "count"}, "/sessions"), ({"kind": "metered"}, "/minutes"),
                          ({"kind": "period", "sessions": 3}, "/sessions"),
                          ({"kind": "count", "sessions": 3, "price_fen": 1.5}, "/price_fen")):
        response = school.post("/training/plans", {"course_id": course["id"], "name": "方案", "price_fen": 100,
                                                   **body}, role="manager", idempotent=False)
        assert response.status_code == 422 and response.json["error"]["details"][0]["pointer"] == pointer, body
    assert school.get("/training/plans")["items"] == []
    bad_period = school.client.get("/api/v1/training/reports/income?from=2026-13-01", headers=school.headers())
    assert bad_period.status_code == 422 and bad_period.json["error"]["details"][0]["pointer"] == "/from"
    backwards = school.client.get("/api/v1/training/reports/income?from=2026-03-02&to=2026-03-01",
                                  headers=school.headers())
    assert backwards.status_code == 422
