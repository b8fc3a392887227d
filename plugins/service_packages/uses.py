"""Using a package at the till (核销): sessions off a count card, a visit on a period card.

The card row is locked first, then its packages are read, so two tills cannot both spend the
last session; the API operation is idempotent, so a double tap (the same key) is one use.
Which package: ``package_id`` if given, else the card's usable packages of ``service`` (the
service's name, or a plan's key or name), else all its usable packages — which must then be
of one service. A valid period card of the service is shown before count sessions are spent.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core import ledger
from core.checkout import usable_card
from core.clock import local_date
from core.errors import Conflict, Invalid, NotFound, problem
from core.ledger import Posting
from core.models import Card
from core.pins import verify_pin

from core.prepaid import lock_card

from .common import PIN_LOCK_MINUTES, PIN_MAX_ATTEMPTS, SESSIONS, USED, card_sessions, merchant, settings_of
from .models import ServicePackage, ServiceUse
from .packages import card_packages, package_json, usable
from .revenue import owed_for_sessions, post_recognition

USE_TRANSACTION = "service_package_use"
CANCEL_TRANSACTION = "service_package_use_cancel"


def use_json(use: ServiceUse, packages: list[ServicePackage], card_number: str, today: date) -> dict:
    same = [p for p in packages if p.service == use.service]
    return {"use_id": use.id, "status": use.status, "card_number": card_number, "package_id": use.package_id,
            "service": use.service, "kind": use.kind, "sessions": use.sessions,
            "revenue_fen": use.revenue_fen, "used_on": use.used_on.isoformat(), "note": use.note,
            "sessions_left": sum(p.sessions_left for p in same if p.kind == "count" and usable(p, today)),
            "packages": [package_json(p, today) for p in same if p.status == "active"]}


def _matches(package: ServicePackage, wanted: str) -> bool:
    folded = wanted.strip().casefold()
    return folded in (package.service.casefold(), package.plan_key.casefold(), package.name.casefold())


def _why_not(packages: list[ServicePackage], today: date, what: str) -> Conflict:
    """The clearest reason none of these packages can be used today."""
    if not packages:
        return Conflict(f"the card has no package for {what}", code="no_package")
    if any(p.status == "active" and p.valid_from > today for p in packages):
        start = min(p.valid_from for p in packages if p.valid_from > today)
        return Conflict(f"the package starts on {start}", code="package_not_started")
    latest = max(packages, key=lambda p: (p.valid_to, p.id))
    if latest.status == "returned":
        return Conflict("the package was returned", code="package_returned")
    if latest.status == "expired" or latest.valid_to < today:
        return Conflict(f"the package expired on {latest.valid_to}", code="package_expired")
    return Conflict(f"no sessions left for {what}", code="package_used_up")


def use(session: Session, config, merchant_id: int, number: str, body: dict, *, now: datetime,
        store_id: int | None, staff_id: int | None) -> dict:
    settings = settings_of(config)
    pin = body.get("pin")
    if settings["pin_required_for_use"] and not pin:
        raise Invalid("this shop asks for the card's PIN to use a package",
                      details=[problem("/pin", "the card's 6-digit PIN")])
    card = usable_card(session, merchant_id, number, now, pin=pin)
    if pin:
        verify_pin(session, card, pin, max_attempts=PIN_MAX_ATTEMPTS, lock_minutes=PIN_LOCK_MINUTES, now=now)
    lock_card(session, card)
    today = local_date(now)
    every = card_packages(session, card.id)
    for package in every:
        session.refresh(package)  # re-read under the card's lock
    chosen, what = _choose(every, body, today)
    wanted = body.get("sessions", 1)
    periods = [p for p in chosen if p.kind == "period" and usable(p, today)]
    counts = [p for p in chosen if p.kind == "count" and usable(p, today)]
    use_row = ServiceUse(merchant_id=merchant_id, card_id=card.id, sessions=wanted, revenue_fen=0, parts=[],
                         used_on=today, used_at=now, store_id=store_id, staff_id=staff_id,
                         note=body.get("note", "").strip())
    if periods:
        shown = periods[0]
        if shown.max_per_day:
            done = session.scalar(select(func.coalesce(func.sum(ServiceUse.sessions), 0)).where(
                ServiceUse.package_id == shown.id, ServiceUse.used_on == today, ServiceUse.status == "done"))
            if done + wanted > shown.max_per_day:
                raise Conflict(f"{shown.name} allows {shown.max_per_day} a day; {done} used today",
                               code="daily_limit_reached",
                               details=[problem("/sessions", f"at most {max(0, shown.max_per_day - done)} today")])
        use_row.package_id, use_row.service, use_row.kind = shown.id, shown.service, "period"
        use_row.parts = [[shown.id, 0]]
        session.add(use_row)
        session.flush()
        return use_json(use_row, every, card.number, today)
    if not counts:
        raise _why_not(chosen, today, what)
    available = sum(p.sessions_left for p in counts)
    if available < wanted:
        raise Conflict(f"{available} sessions left for {what}, {wanted} asked", code="not_enough_sessions",
                       details=[problem("/sessions", f"at most {available}")])
    use_row.package_id, use_row.service, use_row.kind = counts[0].id, counts[0].service, "count"
    session.add(use_row)
    session.flush()
    _take_sessions(session, merchant_id, card.id, counts, wanted, use_row, today, now, store_id, staff_id)
    return use_json(use_row, every, card.number, today)


def _choose(packages: list[ServicePackage], body: dict, today: date) -> tuple[list[ServicePackage], str]:
    """The packages this use may draw on, and how to name them in a refusal."""
    live = [p for p in packages if p.status != "returned"]
    if "package_id" in body:
        found = [p for p in packages if p.id == body["package_id"]]
        if not found:
            raise Invalid("the card has no such package",
                          details=[problem("/package_id", "one of the card's packages")])
        if found[0].kind == "count" and usable(found[0], today):
            # The chosen one first; then the service's others (a big use may span two).
            others = [p for p in live if p.service == found[0].service and p.id != found[0].id]
            return found + others, found[0].name
        return found, found[0].name
    service = (body.get("service") or "").strip()
    if service:
        found = [p for p in live if _matches(p, service)]
        return found, service
    services = {p.service for p in live if usable(p, today)}
    if len(services) > 1:
        raise Conflict("the card has packages for several services: say which",
                       code="choose_package",
                       details=[problem("/service", "one of: " + "、".join(sorted(services)))])
    return live, next(iter(services), "this card")


def _take_sessions(session, merchant_id, card_id, packages, wanted, use_row, today, now, store_id,
                   staff_id) -> None:
    """Take ``wanted`` sessions, soonest expiry first: guarded per package, then the ledger
    (whose guard is the card balance), then one recognition per package touched."""
    left = wanted
    touched = []
    for package in packages:
        if left == 0:
            break
        take = min(package.sessions_left, left)
        if take == 0:
            continue
        taken = session.execute(update(ServicePackage).where(ServicePackage.id == package.id,
                                                             ServicePackage.sessions_left >= take)
                                .values(sessions_left=ServicePackage.sessions_left - take)
                                .execution_options(synchronize_session=False))
        if taken.rowcount != 1:
            raise Conflict("the package changed meanwhile; nothing was used", code="conflict")
        session.refresh(package)
        touched.append(package)
        use_row.parts = [*use_row.parts, [package.id, take]]
        left -= take
    ledger.post(session, merchant_id, USE_TRANSACTION,
                [Posting(card_sessions(session, merchant_id, card_id), -wanted),
                 Posting(merchant(session, merchant_id, USED, SESSIONS), wanted)],
                store_id=store_id, staff_id=staff_id,
                memo={"use_id": use_row.id, "packages": [p.id for p in touched]}, now=now)
    for package in touched:
        use_row.revenue_fen += post_recognition(
            session, package, owed_for_sessions(package) - package.recognised_fen, "use",
            today=today, now=now, use_id=use_row.id)
    session.flush()


# -- cancelling a mistaken use (撤销核销) --------------------------------------------------------

def cancel(session: Session, config, merchant_id: int, use_id: int, body: dict, *, now: datetime) -> dict:
    """A manager undoes a use made by mistake: the sessions go back to the packages they came
    from and the income they recognised goes back to deferred (exactly: the package's income
    is brought back to its share for the sessions still used). A period-card visit is only
    marked. A package that has expired or been returned since cannot take sessions back."""
    use_row = session.scalar(select(ServiceUse).where(ServiceUse.merchant_id == merchant_id,
                                                      ServiceUse.id == use_id))
    if use_row is None:
        raise NotFound(f"use {use_id} does not exist")
    card = session.get(Card, use_row.card_id)
    lock_card(session, card)
    session.refresh(use_row)
    if use_row.status != "done":
        raise Conflict("the use is already cancelled", code="use_cancelled")
    reason = body["reason"].strip()
    if not reason:
        raise Invalid("say why the use is cancelled", details=[problem("/reason", "a reason")])
    today = local_date(now)
    parts = [(session.get(ServicePackage, package_id), sessions) for package_id, sessions in use_row.parts]
    for package, _sessions in parts:
        session.refresh(package)
        if use_row.kind == "count" and (package.status != "active" or package.valid_to < today):
            raise Conflict(f"package {package.id} has {'expired' if package.status != 'returned' else 'been returned'}"
                           "; its sessions cannot come back", code="package_not_active")
    if use_row.kind == "count":
        given_back = 0
        for package, sessions in parts:
            session.execute(update(ServicePackage).where(ServicePackage.id == package.id)
                            .values(sessions_left=ServicePackage.sessions_left + sessions)
                            .execution_options(synchronize_session=False))
            session.refresh(package)
            given_back += sessions
        ledger.post(session, merchant_id, CANCEL_TRANSACTION,
                    [Posting(card_sessions(session, merchant_id, card.id), given_back),
                     Posting(merchant(session, merchant_id, USED, SESSIONS), -given_back)],
                    memo={"use_id": use_row.id, "reason": reason}, now=now)
        for package, _sessions in parts:
            post_recognition(session, package, owed_for_sessions(package) - package.recognised_fen, "use",
                             today=today, now=now, use_id=use_row.id)
    use_row.status, use_row.cancelled_at = "cancelled", now
    use_row.note = f"{use_row.note} / {reason}"[-200:] if use_row.note else reason[:200]
    session.flush()
    return use_json(use_row, card_packages(session, card.id), card.number, today)
