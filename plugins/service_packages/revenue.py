"""Revenue recognition: money moves from deferred to income exactly, in integer fen.

A count card's income once ``k`` of its ``n`` sessions are used is ``floor(paid x k / n)``
(core.pricing.proportional_share): each use recognises the difference and the last session
takes the remainder, so the sum over a package is exactly what was paid. A period card earns
straight-line by day: after ``d`` of its ``D`` days, ``floor(paid x d / D)``; the last day
takes the remainder. Money left when a package expires is breakage. Every recognition is one
ledger transaction (cny ``package_deferred`` -> ``package_income`` or ``package_breakage``)
and one ``ServiceRecognition`` row, which the reports read.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from core import ledger
from core.ledger import Posting
from core.pricing import proportional_share

from .common import BREAKAGE, DEFERRED, INCOME, merchant
from .models import ServicePackage, ServiceRecognition

TRANSACTION_TYPE = "service_package_revenue"


def post_recognition(session: Session, package: ServicePackage, amount: int, kind: str, *,
                     today: date, now: datetime, use_id: int | None = None,
                     target: str = INCOME) -> int:
    """Move ``amount`` fen of ``package`` from deferred to ``target`` (back, when negative: a
    cancelled use); nothing for 0."""
    if amount == 0:
        return 0
    merchant_id = package.merchant_id
    transaction = ledger.post(
        session, merchant_id, TRANSACTION_TYPE,
        [Posting(merchant(session, merchant_id, DEFERRED), amount),
         Posting(merchant(session, merchant_id, target), -amount)],
        memo={"kind": kind, "package_id": package.id}, now=now)
    session.add(ServiceRecognition(merchant_id=merchant_id, package_id=package.id, use_id=use_id,
                                   service=package.service, kind=kind, amount_fen=amount,
                                   recognised_on=today, transaction_id=transaction.id))
    package.recognised_fen += amount
    session.flush()
    return amount


def owed_for_sessions(package: ServicePackage) -> int:
    """Income a count card owes once its used sessions are counted."""
    used = package.sessions_total - package.sessions_left
    return proportional_share(package.paid_fen, used, package.sessions_total)


def days_elapsed(package: ServicePackage, today: date) -> int:
    """Days of a period card run before ``today``, 0..period_days."""
    elapsed = (min(today, package.valid_to + timedelta(days=1)) - package.valid_from).days
    return max(0, min(package.period_days, elapsed))


def recognise_period(session: Session, package: ServicePackage, today: date, now: datetime) -> int:
    """Bring a period card's income up to the days run before ``today``; returns the fen moved."""
    owed = proportional_share(package.paid_fen, days_elapsed(package, today), package.period_days)
    return post_recognition(session, package, max(0, owed - package.recognised_fen), "period",
                            today=today, now=now)


def recognise_breakage(session: Session, package: ServicePackage, today: date, now: datetime) -> int:
    """An expired package's money not yet recognised is breakage (reported apart from income)."""
    return post_recognition(session, package, max(0, package.paid_fen - package.recognised_fen),
                            "breakage", today=today, now=now, target=BREAKAGE)
