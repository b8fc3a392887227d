"""Student packages (课包): sold through the checkout, frozen, returned, moved to a new card.

A checkout line with sku ``course_plan.<plan id>`` at the plan's price becomes one package per
unit of quantity (``after_checkout``), whether it came from ``POST /cards/{n}/course-packages``
or the plain ``/checkout`` API. Each package gets its share of the line's paid fen
(cumulative floor shares, the same rule the core's returns use, so returning k units gives
back exactly those packages' money). The sale posts, in one ledger transaction: the sessions
or minutes onto the card (counterpart: merchant ``course_sold``) and the paid money from
``sales`` to ``course_deferred`` (T3).

Ledger lots carry no expiry: the package row owns ``valid_to`` because a freeze moves it
(T1); the ``expire_packages`` job lapses what is left.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from core import checkout as checkout_pipeline
from core import ledger
from core.cards import get_card
from core.clock import local_date
from core.errors import Conflict, Invalid, NotFound, problem
from core.ledger import Posting
from core.pins import pin_in
from core.models import Card, CheckoutReturn
from core.prepaid import lock_card, payments_from_body, unit_share
from core.pricing import line_price, proportional_share

from .common import (CNY, DEFERRED, INCOME, PLAN_SKU_PREFIX, RETURNED, SALES, SOLD, TIME_SKU_PREFIX,
                     UNIT_ASSET, card_units, merchant, settings_of)
from .models import Course, Package, Plan, Recognition, Visit
from .revenue import days_of_use_elapsed, post_recognition

SALE_TRANSACTION = "course_package_sale"
RETURN_TRANSACTION = "course_package_return"
IN_USE = ("active", "frozen")


def package_json(package: Package, course: Course, today: date) -> dict:
    return {"id": package.id, "course_id": course.id, "course_key": course.key,
            "course_name": course.name, "plan_id": package.plan_id, "kind": package.kind,
            "units_total": package.units_total, "units_left": package.units_left,
            "paid_fen": package.paid_fen, "recognised_fen": package.recognised_fen,
            "deferred_fen": package.paid_fen - package.recognised_fen if package.status in IN_USE else 0,
            "valid_from": package.valid_from.isoformat(), "valid_to": package.valid_to.isoformat(),
            "status": package.status,
            "frozen_on": package.frozen_on.isoformat() if package.frozen_on else None,
            "usable_today": usable(package, today), "checkout_id": package.checkout_id}


def usable(package: Package, today: date) -> bool:
    return (package.status == "active" and package.valid_from <= today <= package.valid_to
            and (package.kind == "period" or package.units_left > 0))


# -- selling (after_checkout) ------------------------------------------------------------------

def plan_id_of(sku: str) -> int | None:
    rest = sku[len(PLAN_SKU_PREFIX):]
    return int(rest) if sku.startswith(PLAN_SKU_PREFIX) and rest.isdigit() else None


def price_plan_lines(checkout) -> None:
    """C2 for packages: with ``tier_discount_on_packages`` off, a plan line pays list price
    (the promotion still applies), like a special-price line."""
    if settings_of(checkout.config)["tier_discount_on_packages"]:
        return
    for line in checkout.lines:
        if line.sku.startswith(PLAN_SKU_PREFIX):
            line.tier_permille = 1000
            line.paid_fen = line_price(line.list_fen, line.promotion_permille, 1000, line.special_price)


def packages_from_checkout(session: Session, checkout, record, config) -> list[Package]:
    """Turn every ``course_plan.<id>`` line of a stored checkout into packages on its card."""
    created = []
    for index, line in enumerate(checkout.lines):
        if not line.sku.startswith(PLAN_SKU_PREFIX):
            continue
        at = f"/lines/{index}"
        if checkout.walk_in:
            raise Invalid("a course package goes on the student's card: give the card number",
                          details=[problem("/card_number", "the student's card")])
        plan_id = plan_id_of(line.sku)
        plan = session.scalar(select(Plan).where(Plan.merchant_id == checkout.merchant_id,
                                                 Plan.id == plan_id)) if plan_id else None
        if plan is None or not _offered(session, plan):
            raise Invalid(f"{line.sku} is not a course plan on offer",
                          details=[problem(f"{at}/sku", "course_plan.<id of an active plan>")])
        if line.unit_price_fen != plan.price_fen:
            raise Invalid(f"{plan.name} costs {plan.price_fen} fen, not {line.unit_price_fen}",
                          details=[problem(f"{at}/unit_price_fen", f"the plan's price, {plan.price_fen}")])
        created += _open_packages(session, checkout, record, line, plan, config)
    if created:
        _post_sale(session, checkout, record, created, config)
    return created


def _offered(session: Session, plan: Plan) -> bool:
    """On sale: the plan is active and so is its course (a course no longer taught sells nothing)."""
    return plan.active and session.get(Course, plan.course_id).active


def _open_packages(session, checkout, record, line, plan: Plan, config) -> list[Package]:
    today = checkout.today
    units = plan.sessions or plan.minutes
    packages = []
    for unit_no in range(1, line.quantity + 1):
        paid = unit_share(line.paid_fen, unit_no, line.quantity)
        package = Package(merchant_id=checkout.merchant_id, card_id=checkout.card.id,
                          course_id=plan.course_id, plan_id=plan.id, kind=plan.kind,
                          checkout_id=record.id, line_no=line.line_no, unit_no=unit_no,
                          units_total=units, units_left=units, period_days=plan.validity_days,
                          paid_fen=paid, recognised_fen=0, valid_from=today,
                          valid_to=today + timedelta(days=plan.validity_days - 1),
                          status="active", frozen_days=0, created_at=checkout.now)
        session.add(package)
        packages.append(package)
    session.flush()
    if plan.kind != "period" and settings_of(config)["renewal_extends_validity"]:
        _extend_running(session, packages[-1])
    return packages


def _extend_running(session: Session, renewal: Package) -> None:
    """计次续费 (T1): the sessions still left for this course share the new package's expiry.
    Sessions already past their last day stay expired, even before the nightly job lapses them
    (a frozen package has not expired: its last day moves when it is unfrozen)."""
    session.execute(update(Package).where(
        Package.card_id == renewal.card_id, Package.course_id == renewal.course_id,
        Package.kind == renewal.kind, Package.status.in_(IN_USE), Package.units_left > 0,
        Package.id != renewal.id,
        (Package.valid_to >= renewal.valid_from) | (Package.status == "frozen"),
        Package.valid_to < renewal.valid_to)
        .values(valid_to=renewal.valid_to).execution_options(synchronize_session="fetch"))


def _post_sale(session, checkout, record, packages: list[Package], config) -> None:
    merchant_id, card = checkout.merchant_id, checkout.card
    postings = []
    for asset in sorted({UNIT_ASSET[p.kind] for p in packages if p.kind in UNIT_ASSET}):
        for package in packages:
            if UNIT_ASSET.get(package.kind) == asset:
                postings.append(Posting(card_units(session, merchant_id, card.id, asset), package.units_total))
        total = sum(p.units_total for p in packages if UNIT_ASSET.get(p.kind) == asset)
        postings.append(Posting(merchant(session, merchant_id, SOLD, asset), -total))
    paid = sum(p.paid_fen for p in packages)
    postings += [Posting(merchant(session, merchant_id, SALES, CNY), paid),
                 Posting(merchant(session, merchant_id, DEFERRED, CNY), -paid)]
    ledger.post(session, merchant_id, SALE_TRANSACTION, postings, store_id=checkout.store_id,
                staff_id=checkout.staff_id, memo={"checkout_id": record.id,
                                                  "packages": [p.id for p in packages]},
                now=checkout.now)
    if not settings_of(config)["deferred_revenue"]:
        # T3 off: the merchant books package money as income on the day it is paid.
        teacher_of = {c.id: c.default_teacher for c in session.scalars(
            select(Course).where(Course.id.in_({p.course_id for p in packages})))}
        for package in packages:
            post_recognition(session, merchant_id, course_id=package.course_id,
                             amount=package.paid_fen, kind="sale",
                             teacher=teacher_of[package.course_id], today=checkout.today,
                             now=checkout.now, package=package)


def sell(session: Session, config, merchant_id: int, number: str, body: dict, *, now: datetime,
         store_id: int | None, staff_id: int | None) -> dict:
    """POST /cards/{card_number}/course-packages: one checkout line for the plan, paid as sent."""
    # Another merchant's card: 404; with a PIN in the payment, the wrong-PIN answer (C6).
    checkout_pipeline.usable_card(session, merchant_id, number, now, pin=pin_in(body))
    plan = session.scalar(select(Plan).where(Plan.merchant_id == merchant_id, Plan.id == body["plan_id"]))
    if plan is None:
        raise Invalid("there is no such plan", details=[problem("/plan_id", "one of the school's plans")])
    if not _offered(session, plan):
        raise Conflict(f"{plan.name} is no longer offered", code="plan_not_offered")
    starts_on = body.get("starts_on")
    if starts_on is not None:
        starts_on = date.fromisoformat(starts_on)
        if plan.kind != "period":
            raise Invalid("only a period pass has a start date",
                          details=[problem("/starts_on", "leave out for count and metered packages")])
        if starts_on < local_date(now):
            raise Invalid("a pass cannot start in the past", details=[problem("/starts_on", "today or later")])
        if starts_on > date.max - timedelta(days=plan.validity_days):  # its last day must exist
            raise Invalid("the pass would end beyond the calendar",
                          details=[problem("/starts_on", "a start date whose pass ends by 9999-12-31")])
    course = session.get(Course, plan.course_id)
    state = checkout_pipeline.build(session, config, merchant_id, {
        "card_number": number,
        "lines": [{"sku": f"{PLAN_SKU_PREFIX}{plan.id}", "name": f"{course.name} · {plan.name}"[:120],
                   "category": "course", "quantity": body.get("quantity", 1),
                   "unit_price_fen": plan.price_fen}]}, store_id=store_id, staff_id=staff_id, now=now)
    record = checkout_pipeline.commit(state, payments_from_body(body, state.due_fen))
    packages = session.scalars(select(Package).where(Package.checkout_id == record.id)
                               .order_by(Package.id)).all()
    if starts_on is not None:
        for package in packages:
            package.valid_from = starts_on
            package.valid_to = starts_on + timedelta(days=package.period_days - 1)
        session.flush()
    today = local_date(now)
    return {"checkout_id": record.id, "card_number": state.card.number, "due_fen": state.due_fen,
            "list_fen": state.list_total_fen, "payments": record.receipt["payments"],
            "packages": [package_json(p, course, today) for p in packages]}


# -- reading ------------------------------------------------------------------------------------

def list_for_card(session: Session, merchant_id: int, number: str, now: datetime) -> dict:
    card = get_card(session, merchant_id, number)  # another merchant's card: 404
    today = local_date(now)
    rows = session.execute(select(Package, Course).join(Course, Course.id == Package.course_id)
                           .where(Package.card_id == card.id).order_by(Package.valid_to, Package.id))
    return {"card_number": card.number, "as_of": today.isoformat(),
            "packages": [package_json(p, c, today) for p, c in rows]}


def get_package(session: Session, merchant_id: int, package_id: int, *, lock: bool = False) -> Package:
    query = select(Package).where(Package.merchant_id == merchant_id, Package.id == package_id)
    package = session.scalar(query)
    if package is None:
        raise NotFound(f"package {package_id} does not exist")
    if lock:
        lock_card(session, session.get(Card, package.card_id))
        session.refresh(package)
    return package


# -- freezing (T1) --------------------------------------------------------------------------------

def freeze(session: Session, config, merchant_id: int, package_id: int, now: datetime) -> dict:
    """停课: from today the package cannot be used and does not expire."""
    package = get_package(session, merchant_id, package_id, lock=True)
    today = local_date(now)
    if package.status == "frozen":
        raise Conflict("the package is already frozen", code="package_frozen")
    if package.status != "active" or package.valid_to < today:
        raise Conflict(f"the package is {_state(package, today)} and cannot be frozen",
                       code="package_not_active")
    if package.kind != "period" and package.units_left == 0:
        raise Conflict("the package is used up", code="package_used_up")
    if package.valid_from > today:  # unfreezing would add the days before its start
        raise Conflict(f"the package starts on {package.valid_from}; nothing to freeze before",
                       code="package_not_started")
    package.status, package.frozen_on = "frozen", today
    session.flush()
    return package_json(package, session.get(Course, package.course_id), today)


def unfreeze(session: Session, config, merchant_id: int, package_id: int, now: datetime) -> dict:
    """复课: validity moves on by the days it was frozen (at most ``max_freeze_days``)."""
    package = get_package(session, merchant_id, package_id, lock=True)
    today = local_date(now)
    if package.status != "frozen":
        raise Conflict("the package is not frozen", code="package_not_frozen")
    days = min((today - package.frozen_on).days, settings_of(config)["max_freeze_days"])
    package.frozen_days += days
    package.valid_to += timedelta(days=days)
    package.status, package.frozen_on = "active", None
    session.flush()
    return {**package_json(package, session.get(Course, package.course_id), today), "frozen_days_added": days}


def _state(package: Package, today: date) -> str:
    if package.status == "active" and package.valid_to < today:
        return "expired"
    return package.status


# -- returns (G3) and replacement (C5) ------------------------------------------------------------

def take_back(session: Session, record, returned, config) -> None:
    """``after_checkout_return``: an unused package goes back whole (sessions and money);
    a package already used, lapsed or frozen refuses the whole return (409)."""
    entry = session.scalar(select(CheckoutReturn).where(CheckoutReturn.checkout_id == record.id)
                           .order_by(CheckoutReturn.id.desc()).limit(1))
    now = entry.created_at
    today = local_date(now)
    for line, quantity in returned:
        if line.sku.startswith(PLAN_SKU_PREFIX):
            packages = session.scalars(select(Package).where(
                Package.checkout_id == record.id, Package.line_no == line.line_no,
                Package.unit_no > line.returned_quantity - quantity,
                Package.unit_no <= line.returned_quantity).order_by(Package.unit_no)).all()
            for package in packages:
                _return_package(session, record, package, today, now)
        elif line.sku.startswith(TIME_SKU_PREFIX):
            _return_metered_time(session, record, line, quantity, today, now)


def _return_package(session: Session, record, package: Package, today: date, now: datetime) -> None:
    # The package row, not the card: the core has already posted the refund (sales, the till)
    # when this hook runs, so waiting here for a card that a checkout holds while it waits for
    # those same accounts would deadlock on PostgreSQL. A sign-in updates the package row, so
    # the two still queue, and the row is re-read after the lock.
    session.execute(select(Package.id).where(Package.id == package.id).with_for_update())
    session.refresh(package)
    # A pass is used once a day of it has run, shown or not and whatever the job has booked
    # yet (with deferred_revenue off it books nothing): checked on the days, not on the rows.
    used = (package.units_left < package.units_total
            or (package.kind == "period" and days_of_use_elapsed(package, today) > 0)
            or session.scalar(select(exists().where(Visit.package_id == package.id)))
            or session.scalar(select(exists().where(
                Recognition.package_id == package.id, Recognition.kind.in_(("attendance", "period"))))))
    if used:
        raise Conflict(f"package {package.id} has been used; a used package cannot be returned",
                       code="package_used")
    if package.status != "active":
        raise Conflict(f"package {package.id} is {package.status} and cannot be returned",
                       code="package_not_active")
    course = session.get(Course, package.course_id)
    if package.recognised_fen:  # booked as income at the sale (deferred_revenue off)
        post_recognition(session, record.merchant_id, course_id=package.course_id,
                         amount=-package.recognised_fen, kind="returned",
                         teacher=course.default_teacher, today=today, now=now, package=package)
    postings = [Posting(merchant(session, record.merchant_id, DEFERRED, CNY), package.paid_fen),
                Posting(merchant(session, record.merchant_id, SALES, CNY), -package.paid_fen)]
    asset = UNIT_ASSET.get(package.kind)
    if asset and package.units_left:
        postings += [Posting(card_units(session, record.merchant_id, package.card_id, asset), -package.units_left),
                     Posting(merchant(session, record.merchant_id, RETURNED, asset), package.units_left)]
    ledger.post(session, record.merchant_id, RETURN_TRANSACTION, postings,
                memo={"checkout_id": record.id, "package_id": package.id}, now=now)
    package.units_left, package.status = 0, "returned"
    session.flush()


def _return_metered_time(session, record, line, quantity, today, now) -> None:
    """Time paid at the till was booked as income at check-out: a return takes it back."""
    visit = session.scalar(select(Visit).where(Visit.checkout_id == record.id))
    if visit is None:  # a course_time line sold through the plain checkout: ordinary goods
        return
    share = (proportional_share(line.paid_fen, line.returned_quantity, line.quantity)
             - proportional_share(line.paid_fen, line.returned_quantity - quantity, line.quantity))
    post_recognition(session, record.merchant_id, course_id=visit.course_id, amount=-share,
                     kind="returned", teacher=visit.teacher, today=today, now=now, visit_id=visit.id,
                     source=SALES, target=INCOME)


def move_to_new_card(session: Session, old_card: Card, new_card: Card) -> None:
    """``after_card_replaced`` (C5): the core moved the balances; the packages and an open
    metered visit follow them (past visits stay with the card they happened on)."""
    session.execute(update(Package).where(Package.card_id == old_card.id)
                    .values(card_id=new_card.id).execution_options(synchronize_session="fetch"))
    session.execute(update(Visit).where(Visit.card_id == old_card.id, Visit.status == "open")
                    .values(card_id=new_card.id).execution_options(synchronize_session="fetch"))

