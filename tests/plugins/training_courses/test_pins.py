"""C6 on the school's PIN routes: selling a package and checking out metered time paid from
stored value answer an unknown card exactly like a wrong PIN, and count the wrong PIN."""
from __future__ import annotations

from sqlalchemy import select

from core.models import Card

from .conftest import make_school

PIN, WRONG_PIN = "582039", "582093"
NOT_ACCEPTED = {"error": {"code": "pin_not_accepted", "message": "card or PIN not accepted",
                          "details": None}}


def test_c6_course_routes_answer_an_unknown_card_like_a_wrong_pin(client, hk, clock):
    school = make_school(client, hk, metered_unit_price_fen=1000)
    course = school.course(key="studio", name="琴房")
    plan = school.plan(course["id"], sessions=10, price_fen=1000)
    card = school.card(pin=PIN)
    assert school.post(f"/cards/{card}/recharge",
                       {"amount_fen": 100000, "payment": {"method": "cash"}}).status_code == 201
    sale = {"plan_id": plan["id"], "payment": {"method": "stored_value", "pin": WRONG_PIN}}
    answers = [school.post(f"/cards/{number}/course-packages", sale) for number in (card, "NOSUCHCARD")]
    assert [(a.status_code, a.json) for a in answers] == [(403, NOT_ACCEPTED)] * 2

    assert school.post(f"/cards/{card}/course-check-in", {"course_key": "studio"}).status_code == 201
    clock.at("2026-03-02 11:00")
    pay = {"payment": {"method": "stored_value", "pin": WRONG_PIN}}
    answers = [school.post(f"/cards/{number}/course-check-out", pay) for number in (card, "NOSUCHCARD")]
    assert [(a.status_code, a.json) for a in answers] == [(403, NOT_ACCEPTED)] * 2
    with hk.db.read() as session:
        assert session.scalar(select(Card.pin_failures_total).where(Card.number == card)) == 2
    paid = school.post(f"/cards/{card}/course-check-out", {"payment": {"method": "stored_value", "pin": PIN}})
    assert paid.status_code == 200, paid.json
    assert school.packages(card) == []
    school.verify()
