"""Count and period cards (次卡、期限卡) sold through the checkout, returned, moved to a new card.

A checkout line with sku ``service_package.<plan key>`` at the plan's price becomes one package
per unit of quantity (``after_checkout``), whether it came from ``POST
/cards/{n}/service-packages`` or the plain ``/checkout`` API, so every payment method the
checkout knows (cash, stored value with its PIN, WeChat Pay …) pays for it. Each package gets
its share of the line's paid fen (cumulative floor shares, as the core's returns use). The sale
posts, in one ledger transaction, the sessions onto the card (counterpart: merchant
``package_sold``) and the paid money from ``sales`` to ``package_deferred``.

Renewal (续卡) is buying the plan again: the sessions add up on the card and, with
``renewal_extends_validity``, the card's running count packages of the same service move their
last day to the new package's.
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
from core.models import Card, CheckoutReturn
from core.pins import pin_in
from core.prepaid import payments_from_body, unit_share

from .common import (DEFERRED, RETURNED, SALES, SESSIONS, SKU_PREFIX, SOLD, card_sessions, find_plan,
                     merchant, plan_by_key, settings_of)
from .models import ServicePackage, ServiceUse
from .revenue import days_elapsed

SALE_TRANSACTION = "service_package_sale"
RETURN_TRANSACTION = "service_package_return"


def usable(package: ServicePackage, today: date) -> bool:
    return (package.status == "active" and package.valid_from <= today <= package.valid_to
            and (package.kind == "period" or package.sessions_left > 0))


def package_json(package: ServicePackage, today: date) -> dict:
    return {"id": package.id, "plan_key": package.plan_key, "name": package.name,
            "service": package.service, "kind": package.kind,
            "sessions_total": package.sessions_total, "sessions_left": package.sessions_left,
            "max_per_day": package.max_per_day, "paid_fen": package.paid_fen,
            "recognised_fen": package.recognised_fen,
            "deferred_fen": package.paid_fen - package.recognised_fen if package.status == "active" else 0,
            "valid_from": package.valid_from.isoformat(), "valid_to": package.valid_to.isoformat(),
            "status": "expired" if package.status == "active" and package.valid_to < today else package.status,
            "usable_today": usable(package, today), "checkout_id": package.checkout_id}


def summary_line(package: ServicePackage) -> str:
    """What the till's member strip shows for one package, in the cashier's (Chinese) words."""
    left = f"剩 {package.sessions_left} 次" if package.kind == "count" else "期限卡"
    return f"{package.name} · {left} · 至 {package.valid_to.isoformat()}"


def plan_json(plan: dict) -> dict:
    return {"key": plan["key"], "name": plan["name"], "service": plan["service"], "kind": plan["kind"],
            "sessions": plan["sessions"], "validity_days": plan["validity_days"],
            "price_fen": plan["price_fen"], "max_per_day": plan["max_per_day"], "active": plan["active"],
            "sku": f"{SKU_PREFIX}{plan['key']}"}


# -- selling (after_checkout) ------------------------------------------------------------------

def packages_from_checkout(session: Session, checkout, record, config) -> list[ServicePackage]:
    """Turn every ``service_package.<key>`` line of a stored checkout into packages on its card."""
    created = []
    for index, line in enumerate(checkout.lines):
        if not line.sku.startswith(SKU_PREFIX):
            continue
        at = f"/lines/{index}"
        if checkout.walk_in:
            raise Invalid("a count or period card goes on the member's card: give the card number",
                          details=[problem("/card_number", "the member's card")])
        plan = plan_by_key(config, line.sku[len(SKU_PREFIX):])
        if plan is None or not plan["active"]:
            raise Invalid(f"{line.sku} is not a package plan on offer",
                          details=[problem(f"{at}/sku", "service_package.<key of an active plan>")])
        if line.unit_price_fen != plan["price_fen"]:
            raise Invalid(f"{plan['name']} costs {plan['price_fen']} fen, not {line.unit_price_fen}",
                          details=[problem(f"{at}/unit_price_fen", f"the plan's price, {plan['price_fen']}")])
        created += _open_packages(session, checkout, record, line, plan, config)
    if created:
        _post_sale(session, checkout, record, created)
    return created


def _open_packages(session, checkout, record, line, plan: dict, config) -> list[ServicePackage]:
    today = checkout.today
    sessions = plan["sessions"] if plan["kind"] == "count" else 0
    packages = []
    for unit_no in range(1, line.quantity + 1):
        paid = unit_share(line.paid_fen, unit_no, line.quantity)
        package = ServicePackage(
            merchant_id=checkout.merchant_id, card_id=checkout.card.id, plan_key=plan["key"],
            name=plan["name"][:60], service=plan["service"][:60], kind=plan["kind"],
            checkout_id=record.id, line_no=line.line_no, unit_no=unit_no, sessions_total=sessions,
            sessions_left=sessions, period_days=plan["validity_days"],
            max_per_day=plan["max_per_day"] if plan["kind"] == "period" else 0, paid_fen=paid,
            recognised_fen=0, valid_from=today, valid_to=today + timedelta(days=plan["validity_days"] - 1),
            status="active", created_at=checkout.now)
        session.add(package)
        packages.append(package)
    session.flush()
    if plan["kind"] == "count" and settings_of(config)["renewal_extends_validity"]:
        _extend_running(session, packages[-1])
    return packages


def _extend_running(session: Session, renewal: ServicePackage) -> None:
    """续卡: sessions still left for this service share the new package's last day. Sessions
    already past their last day stay expired, even before the nightly job lapses them."""
    session.execute(update(ServicePackage).where(
        ServicePackage.card_id == renewal.card_id, ServicePackage.service == renewal.service,
        ServicePackage.kind == "count", ServicePackage.status == "active",
        ServicePackage.sessions_left > 0, ServicePackage.id != renewal.id,
        ServicePackage.valid_to >= renewal.valid_from, ServicePackage.valid_to < renewal.valid_to)
        .values(valid_to=renewal.valid_to).execution_options(synchronize_session="fetch"))


def _post_sale(session, checkout, record, packages: list[ServicePackage]) -> None:
    merchant_id, card = checkout.merchant_id, checkout.card
    postings = [Posting(card_sessions(session, merchant_id, card.id), p.sessions_total)
                for p in packages if p.sessions_total]
    sessions = sum(p.sessions_total for p in packages)
    if sessions:
        postings.append(Posting(merchant(session, merchant_id, SOLD, SESSIONS), -sessions))
    paid = sum(p.paid_fen for p in packages)
    postings += [Posting(merchant(session, merchant_id, SALES), paid),
                 Posting(merchant(session, merchant_id, DEFERRED), -paid)]
    ledger.post(session, merchant_id, SALE_TRANSACTION, postings, store_id=checkout.store_id,
                staff_id=checkout.staff_id,
                memo={"checkout_id": record.id, "packages": [p.id for p in packages]}, now=checkout.now)


def sell(session: Session, config, merchant_id: int, number: str, body: dict, *, now: datetime,
         store_id: int | None, staff_id: int | None) -> dict:
    """POST /cards/{card_number}/service-packages: one checkout line for the plan, paid as sent."""
    checkout_pipeline.usable_card(session, merchant_id, number, now, pin=pin_in(body))
    plan = find_plan(config, body["plan"], "/plan")
    starts_on = body.get("starts_on")
    if starts_on is not None:
        starts_on = date.fromisoformat(starts_on)
        if plan["kind"] != "period":
            raise Invalid("only a period card has a start date",
                          details=[problem("/starts_on", "leave out for a count card")])
        if starts_on < local_date(now):
            raise Invalid("a period card cannot start in the past",
                          details=[problem("/starts_on", "today or later")])
        if starts_on > date.max - timedelta(days=plan["validity_days"]):
            raise Invalid("the period card would end beyond the calendar",
                          details=[problem("/starts_on", "a start date whose card ends by 9999-12-31")])
    state = checkout_pipeline.build(session, config, merchant_id, {
        "card_number": number,
        "lines": [{"sku": f"{SKU_PREFIX}{plan['key']}", "name": plan["name"][:120],
                   "category": "service_package", "quantity": body.get("quantity", 1),
                   "unit_price_fen": plan["price_fen"]}]}, store_id=store_id, staff_id=staff_id, now=now)
    record = checkout_pipeline.commit(state, payments_from_body(body, state.due_fen))
    packages = session.scalars(select(ServicePackage).where(ServicePackage.checkout_id == record.id)
                               .order_by(ServicePackage.id)).all()
    if starts_on is not None:
        for package in packages:
            package.valid_from = starts_on
            package.valid_to = starts_on + timedelta(days=package.period_days - 1)
        session.flush()
    today = local_date(now)
    return {"checkout_id": record.id, "card_number": state.card.number, "due_fen": state.due_fen,
            "list_fen": state.list_total_fen, "payments": record.receipt["payments"],
            "packages": [package_json(p, today) for p in packages]}


# -- reading ------------------------------------------------------------------------------------

def card_packages(session: Session, card_id: int) -> list[ServicePackage]:
    return session.scalars(select(ServicePackage).where(ServicePackage.card_id == card_id)
                           .order_by(ServicePackage.valid_to, ServicePackage.id)).all()


def list_for_card(session: Session, merchant_id: int, number: str, now: datetime) -> dict:
    card = get_card(session, merchant_id, number)  # another merchant's card: 404
    today = local_date(now)
    return {"card_number": card.number, "as_of": today.isoformat(),
            "packages": [package_json(p, today) for p in card_packages(session, card.id)]}


def member_packages(session: Session, member, today: date) -> list[dict]:
    """The member's packages still in use (valid today or later), for member_summary."""
    rows = session.execute(
        select(ServicePackage, Card.number).join(Card, Card.id == ServicePackage.card_id)
        .where(Card.member_id == member.id, ServicePackage.status == "active",
               ServicePackage.valid_to >= today)
        .order_by(ServicePackage.valid_to, ServicePackage.id)).all()
    return [{"package_id": p.id, "card_number": number, "name": p.name, "service": p.service,
             "kind": p.kind, "sessions_left": p.sessions_left if p.kind == "count" else None,
             "valid_to": p.valid_to.isoformat(), "usable_today": usable(p, today),
             "text": summary_line(p)} for p, number in rows
            if p.kind == "period" or p.sessions_left > 0]


# -- returns and replacement ------------------------------------------------------------------

def take_back(session: Session, record, returned, config) -> None:
    """``after_checkout_return``: an unused package goes back whole (sessions and money); a
    package already used, run or expired refuses the whole return (409)."""
    entry = session.scalar(select(CheckoutReturn).where(CheckoutReturn.checkout_id == record.id)
                           .order_by(CheckoutReturn.id.desc()).limit(1))
    now = entry.created_at
    today = local_date(now)
    for line, quantity in returned:
        if not line.sku.startswith(SKU_PREFIX):
            continue
        packages = session.scalars(select(ServicePackage).where(
            ServicePackage.checkout_id == record.id, ServicePackage.line_no == line.line_no,
            ServicePackage.unit_no > line.returned_quantity - quantity,
            ServicePackage.unit_no <= line.returned_quantity).order_by(ServicePackage.unit_no)).all()
        for package in packages:
            _return_package(session, record, package, today, now)


def _return_package(session: Session, record, package: ServicePackage, today: date, now: datetime) -> None:
    # The package row, not the card: the core has already posted the refund when this hook
    # runs (see training_courses for the deadlock this avoids); a use updates the row too.
    session.execute(select(ServicePackage.id).where(ServicePackage.id == package.id).with_for_update())
    session.refresh(package)
    used = (package.sessions_left < package.sessions_total or package.recognised_fen > 0
            or (package.kind == "period" and days_elapsed(package, today) > 0)
            or session.scalar(select(exists().where(ServiceUse.package_id == package.id,
                                                     ServiceUse.status == "done"))))
    if used:
        raise Conflict(f"package {package.id} ({package.name}) has been used and cannot be returned",
                       code="package_used")
    if package.status != "active":
        raise Conflict(f"package {package.id} is {package.status} and cannot be returned",
                       code="package_not_active")
    postings = [Posting(merchant(session, record.merchant_id, DEFERRED), package.paid_fen),
                Posting(merchant(session, record.merchant_id, SALES), -package.paid_fen)]
    if package.sessions_left:
        postings += [Posting(card_sessions(session, record.merchant_id, package.card_id), -package.sessions_left),
                     Posting(merchant(session, record.merchant_id, RETURNED, SESSIONS), package.sessions_left)]
    ledger.post(session, record.merchant_id, RETURN_TRANSACTION, postings,
                memo={"checkout_id": record.id, "package_id": package.id}, now=now)
    package.sessions_left, package.status = 0, "returned"
    session.flush()


def move_to_new_card(session: Session, old_card: Card, new_card: Card) -> None:
    """``after_card_replaced`` (C5): the core moved the balances; the packages follow them
    (past uses stay with the card they happened on)."""
    session.execute(update(ServicePackage).where(ServicePackage.card_id == old_card.id)
                    .values(card_id=new_card.id).execution_options(synchronize_session="fetch"))


def get_package(session: Session, merchant_id: int, package_id: int) -> ServicePackage:
    package = session.scalar(select(ServicePackage).where(ServicePackage.merchant_id == merchant_id,
                                                          ServicePackage.id == package_id))
    if package is None:
        raise NotFound(f"package {package_id} does not exist")
    return package
