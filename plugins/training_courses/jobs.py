"""The daily jobs: plain functions of ``now`` (core.jobs), on the merchant's local date.

``expire_packages`` (T1, T3): a package whose ``valid_to`` is before today lapses: the
sessions or minutes left leave the card (merchant ``course_lapsed``) and the money not yet
recognised becomes breakage. Period passes are recognised day by day in the same run.
A frozen package does not lapse (its ``valid_to`` moves when it is unfrozen) until even
the longest extension, ``max_freeze_days``, has run out: then it is unfrozen as such and lapses.

``reminders`` (R2): packages expiring soon or running low, for GET /training/reminders.
Telling members is the ``package_expiry`` reminder kind, sent by the daily member care.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import ledger
from core.clock import local_date
from core.ledger import Posting
from core.prepaid import lock_cards_in_order
from core.models import Card

from .common import LAPSED, UNIT_ASSET, card_units, merchant, settings_of
from .models import Course, Package
from .revenue import recognise_breakage, recognise_period

LAPSE_TRANSACTION = "course_package_expiry"


def expire_packages(session: Session, config, merchant_id: int, now: datetime) -> dict:
    today = local_date(now)
    teacher_of = {c.id: c.default_teacher for c in session.scalars(
        select(Course).where(Course.merchant_id == merchant_id))}
    max_freeze = timedelta(days=settings_of(config)["max_freeze_days"])
    due = session.execute(select(Package.id, Package.card_id).where(
        Package.merchant_id == merchant_id,
        ((Package.status == "active") & ((Package.valid_to < today) | (Package.kind == "period")))
        | ((Package.status == "frozen") & (Package.valid_to < today - max_freeze)))
        .order_by(Package.card_id, Package.id)).all()
    ids = [package_id for package_id, _card_id in due]
    summary = {"as_of": today.isoformat(), "packages": 0, "sessions": 0, "minutes": 0,
               "breakage_fen": 0, "period_income_fen": 0}
    lock_cards_in_order(session, [card_id for _package_id, card_id in due])
    for package_id in ids:
        package = session.get(Package, package_id)
        session.refresh(package)  # re-read under the card's lock
        if package.status == "frozen" and package.valid_to + max_freeze < today:
            thaw_past_limit(package, max_freeze)
        if package.status != "active":  # a concurrent run or a freeze got there first
            continue
        teacher = teacher_of.get(package.course_id, "")
        if package.kind == "period":
            summary["period_income_fen"] += recognise_period(session, merchant_id, package, teacher,
                                                             today, now)
        if package.valid_to >= today:
            continue
        asset = UNIT_ASSET.get(package.kind)
        if asset and package.units_left:
            ledger.post(session, merchant_id, LAPSE_TRANSACTION,
                        [Posting(card_units(session, merchant_id, package.card_id, asset), -package.units_left),
                         Posting(merchant(session, merchant_id, LAPSED, asset), package.units_left)],
                        memo={"package_id": package.id, "valid_to": package.valid_to.isoformat()}, now=now)
            summary["sessions" if package.kind == "count" else "minutes"] += package.units_left
            package.units_left = 0
        summary["breakage_fen"] += recognise_breakage(session, merchant_id, package, teacher, today, now)
        package.status = "expired"
        summary["packages"] += 1
        session.flush()
    return summary


def thaw_past_limit(package: Package, max_freeze: timedelta) -> None:
    """A package frozen so long that even unfreezing it now (validity moved on by at most
    ``max_freeze_days``) leaves it past its last day is unfrozen as that, so it lapses like
    any other instead of holding its sessions and deferred money for ever (T1, T3)."""
    package.frozen_days += max_freeze.days
    package.valid_to += max_freeze
    package.status, package.frozen_on = "active", None


def reminders(session: Session, config, merchant_id: int, now: datetime) -> dict:
    """Packages expiring within the notice window, and count packages running low (R2)."""
    settings = settings_of(config)
    today = local_date(now)
    days, low = settings["expiry_notice_days"], settings["low_sessions_reminder"]
    rows = session.execute(
        select(Package, Card.number, Card.member_id, Course.key)
        .join(Card, Card.id == Package.card_id).join(Course, Course.id == Package.course_id)
        .where(Package.merchant_id == merchant_id, Package.status == "active",
               Package.valid_to >= today).order_by(Package.valid_to, Package.id)).all()
    expiring, running_low = [], []
    for package, number, member_id, course_key in rows:
        entry = {"package_id": package.id, "card_number": number, "member_id": member_id,
                 "course_key": course_key, "kind": package.kind, "units_left": package.units_left,
                 "valid_to": package.valid_to.isoformat()}
        has_units = package.kind == "period" or package.units_left > 0
        if days and has_units and package.valid_to <= today + timedelta(days=days):
            expiring.append(entry)
        if low and package.kind == "count" and 0 < package.units_left <= low:
            running_low.append(entry)
    return {"as_of": today.isoformat(), "notice_days": days, "low_sessions": low,
            "expiring": expiring, "running_low": running_low}
