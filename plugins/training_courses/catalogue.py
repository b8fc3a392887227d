"""Courses and their plans (课程与课包方案), managed by the owner or a manager (T1, T2).

A plan is what the till sells: ``count`` (N sessions valid for D days), ``period`` (a pass for
D days of unlimited attendance) or ``metered`` (M minutes valid for D days). Without
``validity_days`` a plan takes the merchant's ``package_validity_days`` setting. Plans are
never deleted (packages point at them): a manager deactivates them.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import Conflict, Invalid, NotFound, problem

from .common import settings_of, teachers
from .models import Course, Plan


def course_json(course: Course) -> dict:
    return {"id": course.id, "key": course.key, "name": course.name,
            "default_teacher": course.default_teacher, "active": course.active}


def plan_json(plan: Plan, course: Course) -> dict:
    return {"id": plan.id, "course_id": plan.course_id, "course_key": course.key,
            "course_name": course.name, "course_active": course.active, "name": plan.name, "kind": plan.kind, "sessions": plan.sessions,
            "minutes": plan.minutes, "validity_days": plan.validity_days,
            "price_fen": plan.price_fen, "active": plan.active}


def list_courses(session: Session, merchant_id: int) -> list[dict]:
    return [course_json(c) for c in session.scalars(
        select(Course).where(Course.merchant_id == merchant_id).order_by(Course.id))]


def get_course(session: Session, merchant_id: int, course_id: int) -> Course:
    course = session.scalar(select(Course).where(Course.merchant_id == merchant_id,
                                                 Course.id == course_id))
    if course is None:
        raise NotFound(f"course {course_id} does not exist")
    return course


def course_by_key(session: Session, merchant_id: int, key: str, pointer: str, *,
                  inactive: bool = False) -> Course:
    """The merchant's active course ``key`` (or, with ``inactive``, one no longer taught, whose
    packages sold before are still used), or a 422 naming the field (the cashier typed it)."""
    course = session.scalar(select(Course).where(Course.merchant_id == merchant_id,
                                                 Course.key == key))
    if course is None or not (course.active or inactive):
        raise Invalid(f"there is no course {key!r}", details=[problem(pointer, "one of the school's courses")])
    return course


def _check_teacher(config, teacher: str, pointer: str) -> None:
    if teacher and teacher not in teachers(config):
        raise Invalid(f"{teacher!r} is not one of the teachers in the settings",
                      details=[problem(pointer, "a teacher key from the settings (T3)")])


def create_course(session: Session, config, merchant_id: int, body: dict) -> Course:
    _check_teacher(config, body.get("default_teacher", ""), "/default_teacher")
    course = Course(merchant_id=merchant_id, key=body["key"], name=body["name"].strip(),
                    default_teacher=body.get("default_teacher", ""), active=body.get("active", True))
    _save(session, course, f"there is already a course with key {body['key']!r}")
    return course


def update_course(session: Session, config, merchant_id: int, course_id: int, body: dict) -> Course:
    course = get_course(session, merchant_id, course_id)
    if "default_teacher" in body:
        _check_teacher(config, body["default_teacher"], "/default_teacher")
    for key in ("name", "default_teacher", "active"):
        if key in body:
            setattr(course, key, body[key].strip() if key == "name" else body[key])
    session.flush()
    return course


def list_plans(session: Session, merchant_id: int, course_id: int | None = None) -> list[dict]:
    query = select(Plan, Course).join(Course, Course.id == Plan.course_id).where(
        Plan.merchant_id == merchant_id)
    if course_id is not None:
        query = query.where(Plan.course_id == course_id)
    return [plan_json(plan, course) for plan, course in session.execute(query.order_by(Plan.id))]


def get_plan(session: Session, merchant_id: int, plan_id: int) -> Plan:
    plan = session.scalar(select(Plan).where(Plan.merchant_id == merchant_id, Plan.id == plan_id))
    if plan is None:
        raise NotFound(f"plan {plan_id} does not exist")
    return plan


def create_plan(session: Session, config, merchant_id: int, body: dict) -> Plan:
    if "course_id" in body:
        course = session.scalar(select(Course).where(Course.merchant_id == merchant_id,
                                                     Course.id == body["course_id"]))
        if course is None:
            raise Invalid("there is no such course", details=[problem("/course_id", "one of the school's courses")])
        if body.get("course_key") not in (None, course.key):
            raise Invalid("course_id and course_key name different courses",
                          details=[problem("/course_key", f"{course.key!r}, or leave it out")])
    elif body.get("course_key"):
        course = course_by_key(session, merchant_id, body["course_key"], "/course_key")
    else:
        raise Invalid("say which course the plan is for",
                      details=[problem("/course_key", "required (or course_id)")])
    kind = body["kind"]
    problems = []
    if kind == "count" and not body.get("sessions"):
        problems.append(problem("/sessions", "a count package needs its number of sessions"))
    if kind == "metered" and not body.get("minutes"):
        problems.append(problem("/minutes", "a metered package needs its minutes"))
    if kind != "count" and body.get("sessions"):
        problems.append(problem("/sessions", "only a count package has sessions"))
    if kind != "metered" and body.get("minutes"):
        problems.append(problem("/minutes", "only a metered package has minutes"))
    if problems:
        raise Invalid("the plan is not valid; nothing was saved", details=problems)
    plan = Plan(merchant_id=merchant_id, course_id=course.id, name=body["name"].strip(), kind=kind,
                sessions=body.get("sessions", 0), minutes=body.get("minutes", 0),
                validity_days=body.get("validity_days", settings_of(config)["package_validity_days"]),
                price_fen=body["price_fen"], active=body.get("active", True))
    session.add(plan)
    session.flush()
    return plan


def update_plan(session: Session, merchant_id: int, plan_id: int, body: dict) -> Plan:
    """Name, price, validity and whether it is offered; packages already sold keep theirs."""
    plan = get_plan(session, merchant_id, plan_id)
    for key in ("name", "price_fen", "validity_days", "active"):
        if key in body:
            setattr(plan, key, body[key].strip() if key == "name" else body[key])
    session.flush()
    return plan


def _save(session: Session, row, message: str) -> None:
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(message, code="course_key_taken") from None
