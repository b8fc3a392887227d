"""Visits (签到): using sessions (T1), showing a period pass (T2), metered time (T2).

Every visit locks the card row first, then reads the card's packages for the course, so two
tills cannot both spend the last session. A refusal (409/422) happens before anything is
written, and the request's one transaction is rolled back anyway.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import checkout as checkout_pipeline
from core import ledger
from core.cards import get_card
from core.checkout import usable_card
from core.pins import pin_in
from core.clock import local_date
from core.errors import Conflict, Invalid, problem
from core.ledger import Posting
from core.prepaid import lock_card, payments_from_body
from core.pricing import round_half_up_div

from .catalogue import course_by_key
from .common import (ATTENDED, INCOME, MINUTES, SALES, SESSIONS, TIME_SKU_PREFIX, card_units,
                     merchant, settings_of, teachers)
from .models import Course, Package, Visit
from .packages import usable
from .revenue import post_recognition, share_for_units

USE_TRANSACTION = "course_attendance"


def visit_json(visit: Visit, course: Course, card_number: str) -> dict:
    return {"visit_id": visit.id, "card_number": card_number, "course_key": course.key,
            "kind": visit.kind, "status": visit.status, "teacher": visit.teacher,
            "units": visit.units, "minutes": visit.minutes, "revenue_fen": visit.revenue_fen,
            "attended_on": visit.attended_on.isoformat(),
            "checked_in_at": visit.checked_in_at.isoformat(),
            "checked_out_at": visit.checked_out_at.isoformat() if visit.checked_out_at else None,
            "checkout_id": visit.checkout_id, "package_id": visit.package_id, "note": visit.note}


def _teacher(config, course: Course, body: dict) -> str:
    teacher = body.get("teacher") or course.default_teacher
    if body.get("teacher") and teacher not in teachers(config):
        raise Invalid(f"{teacher!r} is not one of the school's teachers",
                      details=[problem("/teacher", "a teacher key from the settings")])
    return teacher


def _course_packages(session: Session, card_id: int, course_id: int, kinds: tuple) -> list[Package]:
    return session.scalars(select(Package).where(
        Package.card_id == card_id, Package.course_id == course_id, Package.kind.in_(kinds),
        Package.status != "returned").order_by(Package.valid_to, Package.id)
        .execution_options(populate_existing=True)).all()


def _why_not(packages: list[Package], course: Course, today: date, unit: str) -> Conflict:
    """The clearest reason none of the course's packages can be used today."""
    if not packages:
        return Conflict(f"the student has no package for {course.name}", code="no_package_for_course")
    if any(p.status == "frozen" for p in packages):
        return Conflict(f"the {course.name} package is frozen; unfreeze it first", code="package_frozen")
    if any(p.status == "active" and p.valid_from > today for p in packages):
        start = min(p.valid_from for p in packages if p.valid_from > today)
        return Conflict(f"the {course.name} pass starts on {start}", code="package_not_started")
    latest = max(packages, key=lambda p: (p.valid_to, p.id))
    if latest.status == "expired" or latest.valid_to < today:
        return Conflict(f"the {course.name} package expired", code="package_expired")
    return Conflict(f"no {unit} left for {course.name}", code="package_used_up")


def sign_in(session: Session, config, merchant_id: int, number: str, body: dict, *, now: datetime,
            store_id: int | None, staff_id: int | None) -> dict:
    """A pass valid today is shown (no units); otherwise ``sessions`` (default
    ``sessions_per_visit``) come off the soonest-expiring count packages of the course."""
    card = usable_card(session, merchant_id, number, now)
    lock_card(session, card)
    # A course no longer taught still serves the packages sold before (T1).
    course = course_by_key(session, merchant_id, body["course_key"], "/course_key", inactive=True)
    teacher = _teacher(config, course, body)
    today = local_date(now)
    packages = _course_packages(session, card.id, course.id, ("count", "period"))
    passes = [p for p in packages if p.kind == "period" and usable(p, today)]
    visit = Visit(merchant_id=merchant_id, card_id=card.id, course_id=course.id, status="done",
                  teacher=teacher, attended_on=today, checked_in_at=now, checked_out_at=now,
                  note=body.get("note", "").strip(), units=0, minutes=0, revenue_fen=0)
    if passes and "sessions" not in body:
        shown = passes[0]
        # A return takes the package row (not the card): wait for it, then look again.
        session.execute(select(Package.id).where(Package.id == shown.id).with_for_update())
        session.refresh(shown)
        if not usable(shown, today):
            raise Conflict(f"the {course.name} pass changed meanwhile; nothing was recorded", code="conflict")
        visit.kind, visit.package_id = "period", shown.id
        session.add(visit)
        session.flush()
        return {**visit_json(visit, course, card.number), "sessions_left": _left(packages, today)}
    wanted = body.get("sessions", settings_of(config)["sessions_per_visit"])
    counts = [p for p in packages if p.kind == "count" and usable(p, today)]
    available = sum(p.units_left for p in counts)
    if not counts:
        raise _why_not(packages, course, today, "sessions")
    if available < wanted:
        raise Conflict(f"{available} sessions left for {course.name}, {wanted} asked",
                       code="not_enough_sessions",
                       details=[problem("/sessions", f"at most {available}")])
    visit.kind, visit.package_id, visit.units = "session", counts[0].id, wanted
    session.add(visit)
    session.flush()
    _use_units(session, merchant_id, card.id, counts, wanted, SESSIONS, visit, course, teacher, today, now,
               store_id, staff_id)
    return {**visit_json(visit, course, card.number), "sessions_left": _left(packages, today)}


def _left(packages: list[Package], today: date) -> int:
    return sum(p.units_left for p in packages if p.kind != "period" and usable(p, today))


def _use_units(session, merchant_id, card_id, packages, wanted, asset, visit, course, teacher, today,
               now, store_id, staff_id) -> None:
    """Take ``wanted`` units, soonest expiry first: guarded per package, then the ledger (whose
    guard is the card balance), then one recognition per package touched (T3)."""
    left = wanted
    touched = []
    for package in packages:
        if left == 0:
            break
        take = min(package.units_left, left)
        taken = session.execute(update(Package).where(Package.id == package.id,
                                                      Package.units_left >= take)
                                .values(units_left=Package.units_left - take)
                                .execution_options(synchronize_session=False))
        if taken.rowcount != 1:
            raise Conflict("the package changed meanwhile; nothing was used", code="conflict")
        session.refresh(package)
        touched.append(package)
        left -= take
    ledger.post(session, merchant_id, USE_TRANSACTION,
                [Posting(card_units(session, merchant_id, card_id, asset), -wanted),
                 Posting(merchant(session, merchant_id, ATTENDED, asset), wanted)],
                store_id=store_id, staff_id=staff_id,
                memo={"visit_id": visit.id, "packages": [p.id for p in touched]}, now=now)
    for package in touched:
        owed = share_for_units(package, package.units_total - package.units_left)
        amount = max(0, owed - package.recognised_fen)  # 0 when booked at the sale (T3 off)
        post_recognition(session, merchant_id, course_id=course.id, amount=amount, kind="attendance",
                         teacher=teacher, today=today, now=now, package=package, visit_id=visit.id)
        visit.revenue_fen += amount
    session.flush()


# -- metered time (T2) ---------------------------------------------------------------------------

def _open_visit(session: Session, card_id: int) -> Visit | None:
    return session.scalar(select(Visit).where(Visit.card_id == card_id, Visit.status == "open"))


def check_in(session: Session, config, merchant_id: int, number: str, body: dict, *,
             now: datetime) -> dict:
    card = usable_card(session, merchant_id, number, now)
    lock_card(session, card)
    course = course_by_key(session, merchant_id, body["course_key"], "/course_key", inactive=True)
    teacher = _teacher(config, course, body)
    if _open_visit(session, card.id) is not None:
        raise Conflict("the student is already checked in; check out first", code="already_checked_in")
    today = local_date(now)
    packages = _course_packages(session, card.id, course.id, ("metered",))
    if not course.active and not any(usable(p, today) for p in packages):
        # Time paid at the till would be a new sale of a course no longer taught.
        raise Invalid(f"{course.name} is no longer taught", details=[problem("/course_key", "an active course")])
    if not any(usable(p, today) for p in packages) and settings_of(config)["metered_unit_price_fen"] == 0:
        raise _why_not(packages, course, today, "minutes")
    visit = Visit(merchant_id=merchant_id, card_id=card.id, course_id=course.id, kind="metered",
                  status="open", teacher=teacher, attended_on=today, checked_in_at=now,
                  note=body.get("note", "").strip(), units=0, minutes=0, revenue_fen=0)
    session.add(visit)
    session.flush()
    return visit_json(visit, course, card.number)


def cancel_check_in(session: Session, config, merchant_id: int, number: str, body: dict, *,
                    now: datetime) -> dict:
    """Close an open check-in without charging it (the student left without paying, or it was
    opened by mistake), so the card can check in again; the reason is kept on the visit.
    The card need not be usable: a card reported lost while its holder was in still closes."""
    card = get_card(session, merchant_id, number)
    lock_card(session, card)
    visit = _open_visit(session, card.id)
    if visit is None:
        raise Conflict("the student is not checked in", code="not_checked_in")
    reason = body["reason"].strip()
    if not reason:
        raise Invalid("say why the check-in is cancelled", details=[problem("/reason", "a reason")])
    visit.status, visit.checked_out_at = "cancelled", now
    visit.minutes = max(0, int((now - visit.checked_in_at).total_seconds())) // 60
    visit.note = f"{visit.note} / {reason}"[-200:] if visit.note else reason
    session.flush()
    return visit_json(visit, session.get(Course, visit.course_id), card.number)


def billed_units(elapsed: int, unit: int, rounding: str) -> int:
    """Billing units for ``elapsed`` time on the clock (in the unit's own measure, e.g. seconds):
    a started unit counts (``up``, default), does not (``down``), or counts from its half
    (``nearest``)."""
    if rounding == "up":
        return -(-elapsed // unit)
    if rounding == "down":
        return elapsed // unit
    return round_half_up_div(elapsed, unit)


def check_out(session: Session, config, merchant_id: int, number: str, body: dict, *, now: datetime,
              store_id: int | None, staff_id: int | None) -> dict:
    """Charge the time since check-in: from the course's minutes packages, or, with a
    ``payment`` / ``payments``, as a checkout line at ``metered_unit_price_fen`` per unit."""
    card = usable_card(session, merchant_id, number, now, pin=pin_in(body))  # C6: unknown = wrong PIN
    lock_card(session, card)
    visit = _open_visit(session, card.id)
    if visit is None:
        raise Conflict("the student is not checked in", code="not_checked_in")
    settings = settings_of(config)
    course = session.get(Course, visit.course_id)
    today = local_date(now)
    seconds = max(0, int((now - visit.checked_in_at).total_seconds()))
    minutes = seconds // 60
    # Rounded on the seconds, not on whole minutes: a unit started 30 seconds ago has started.
    units = billed_units(seconds, settings["billing_unit_minutes"] * 60, settings["metered_rounding"])
    charged = units * settings["billing_unit_minutes"]
    paying = "payment" in body or "payments" in body
    visit.minutes, visit.status, visit.checked_out_at = minutes, "done", now
    if charged and paying:
        _charge_at_till(session, config, merchant_id, card, course, visit, units, body, settings,
                        now=now, store_id=store_id, staff_id=staff_id)
    elif charged:
        packages = [p for p in _course_packages(session, card.id, course.id, ("metered",)) if usable(p, today)]
        available = sum(p.units_left for p in packages)
        if not packages:
            if settings["metered_unit_price_fen"]:
                raise Invalid(f"no minutes package for {course.name}: pay for {units} units at the till",
                              details=[problem("/payment", "how the time is paid")])
            raise _why_not(_course_packages(session, card.id, course.id, ("metered",)), course, today, "minutes")
        if available < charged:
            raise Conflict(f"{available} minutes left, {charged} to charge; pay at the till instead",
                           code="not_enough_minutes",
                           details=[problem("/payment", f"{charged} minutes cannot come from {available}")])
        visit.package_id, visit.units = packages[0].id, charged
        _use_units(session, merchant_id, card.id, packages, charged, MINUTES, visit, course, visit.teacher,
                   today, now, store_id, staff_id)
    session.flush()
    left = sum(p.units_left for p in _course_packages(session, card.id, course.id, ("metered",))
               if usable(p, today))
    return {**visit_json(visit, course, card.number), "billed_units": units, "minutes_left": left}


def _charge_at_till(session, config, merchant_id, card, course, visit, units, body, settings, *,
                    now, store_id, staff_id) -> None:
    price = settings["metered_unit_price_fen"]
    if price == 0:
        raise Invalid("metered time is not sold at the till (metered_unit_price_fen is 0)",
                      details=[problem("/payment", "leave out: minutes come from a package")])
    state = checkout_pipeline.build(session, config, merchant_id, {
        "card_number": card.number,
        "lines": [{"sku": f"{TIME_SKU_PREFIX}{course.key}", "name": f"{course.name} 计时"[:120],
                   "category": "course_time", "quantity": units, "unit_price_fen": price}]},
        store_id=store_id, staff_id=staff_id, now=now)
    record = checkout_pipeline.commit(state, payments_from_body(body, state.due_fen))
    visit.checkout_id, visit.units = record.id, units * settings["billing_unit_minutes"]
    session.flush()
    # Income at once: the time is already taught (T3), so it never sits in deferred.
    post_recognition(session, merchant_id, course_id=course.id, amount=state.due_fen,
                     kind="metered_sale", teacher=visit.teacher, today=local_date(now), now=now,
                     visit_id=visit.id, source=SALES, target=INCOME)
    visit.revenue_fen = state.due_fen
