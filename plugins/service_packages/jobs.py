"""The nightly job ``expire_packages``, a plain function of ``now`` on the merchant's local date.

A period card earns straight-line by day: each run brings its income up to the days run before
today (a missed night is caught up by the next). A package whose last day is before today
lapses: the sessions left leave the card (merchant ``package_lapsed``) and the money not yet
recognised becomes breakage.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import ledger
from core.clock import local_date
from core.ledger import Posting
from core.prepaid import lock_cards_in_order

from .common import LAPSED, SESSIONS, card_sessions, merchant
from .models import ServicePackage
from .revenue import recognise_breakage, recognise_period

LAPSE_TRANSACTION = "service_package_expiry"


def expire_packages(session: Session, config, merchant_id: int, now: datetime) -> dict:
    today = local_date(now)
    due = session.execute(select(ServicePackage.id, ServicePackage.card_id).where(
        ServicePackage.merchant_id == merchant_id, ServicePackage.status == "active",
        (ServicePackage.valid_to < today) | (ServicePackage.kind == "period"))
        .order_by(ServicePackage.card_id, ServicePackage.id)).all()
    summary = {"as_of": today.isoformat(), "packages": 0, "sessions": 0, "breakage_fen": 0,
               "period_income_fen": 0}
    lock_cards_in_order(session, [card_id for _id, card_id in due])
    for package_id, _card_id in due:
        package = session.get(ServicePackage, package_id)
        session.refresh(package)  # re-read under the card's lock
        if package.status != "active":
            continue
        if package.kind == "period":
            summary["period_income_fen"] += recognise_period(session, package, today, now)
        if package.valid_to >= today:
            continue
        if package.sessions_left:
            ledger.post(session, merchant_id, LAPSE_TRANSACTION,
                        [Posting(card_sessions(session, merchant_id, package.card_id), -package.sessions_left),
                         Posting(merchant(session, merchant_id, LAPSED, SESSIONS), package.sessions_left)],
                        memo={"package_id": package.id, "valid_to": package.valid_to.isoformat()}, now=now)
            summary["sessions"] += package.sessions_left
            package.sessions_left = 0
        summary["breakage_fen"] += recognise_breakage(session, package, today, now)
        package.status = "expired"
        summary["packages"] += 1
        session.flush()
    return summary
