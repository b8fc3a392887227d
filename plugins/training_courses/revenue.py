"""Revenue recognition (T3): money moves from deferred to income exactly, in integer fen.

A package's income after ``k`` of its ``n`` units are used is ``floor(paid x k / n)``
(core.pricing.proportional_share), so each use recognises the difference and the last unit
takes the remainder: the sum over a package is exactly what was paid. A period pass uses the
same rule over its days of use (frozen days do not count). Every recognition is one ledger
transaction (cny ``course_deferred`` -> ``course_income`` or ``course_breakage``) and one
``Recognition`` row, which the reports read.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from core import ledger
from core.ledger import Posting
from core.pricing import proportional_share

from .common import BREAKAGE, CNY, DEFERRED, INCOME, merchant
from .models import Package, Recognition

TRANSACTION_TYPE = "course_revenue"


def post_recognition(session: Session, merchant_id: int, *, course_id: int, amount: int, kind: str,
                     teacher: str, today: date, now: datetime, package: Package | None = None,
                     visit_id: int | None = None, source: str = DEFERRED,
                     target: str = INCOME) -> Recognition | None:
    """Move ``amount`` fen from the merchant's ``source`` account to ``target`` and record it.

    A negative ``amount`` moves it back (a return). Nothing is posted for 0.
    """
    if amount == 0:
        return None
    transaction = ledger.post(
        session, merchant_id, TRANSACTION_TYPE,
        [Posting(merchant(session, merchant_id, source, CNY), amount),
         Posting(merchant(session, merchant_id, target, CNY), -amount)],
        memo={"kind": kind, "package_id": package.id if package else None}, now=now)
    row = Recognition(merchant_id=merchant_id, course_id=course_id,
                      package_id=package.id if package else None, visit_id=visit_id,
                      teacher=teacher, kind=kind, amount_fen=amount, recognised_on=today,
                      transaction_id=transaction.id)
    session.add(row)
    if package is not None:
        package.recognised_fen += amount
    session.flush()
    return row


def share_for_units(package: Package, used_after: int) -> int:
    """Income owed by a count/metered package once ``used_after`` of its units are used."""
    return proportional_share(package.paid_fen, used_after, package.units_total)


def days_of_use_elapsed(package: Package, today: date) -> int:
    """Days of a period pass used up before ``today`` (frozen days excluded), 0..period_days."""
    frozen = package.frozen_days
    if package.frozen_on is not None:
        frozen += max(0, (today - package.frozen_on).days)
    elapsed = (min(today, package.valid_to + timedelta(days=1)) - package.valid_from).days - frozen
    return max(0, min(package.period_days, elapsed))


def recognise_period(session: Session, merchant_id: int, package: Package, teacher: str,
                     today: date, now: datetime) -> int:
    """Bring a pass's income up to the days used before ``today``; returns the fen moved."""
    owed = proportional_share(package.paid_fen, days_of_use_elapsed(package, today), package.period_days)
    amount = owed - package.recognised_fen
    if amount > 0:
        post_recognition(session, merchant_id, course_id=package.course_id, amount=amount,
                         kind="period", teacher=teacher, today=today, now=now, package=package)
    return max(amount, 0)


def recognise_breakage(session: Session, merchant_id: int, package: Package, teacher: str,
                       today: date, now: datetime) -> int:
    """An expired package's money not yet recognised is breakage (reported apart from income)."""
    amount = package.paid_fen - package.recognised_fen
    if amount > 0:
        post_recognition(session, merchant_id, course_id=package.course_id, amount=amount,
                         kind="breakage", teacher=teacher, today=today, now=now, package=package,
                         target=BREAKAGE)
    return amount
