"""Expiry (P7) and the expiry notice (R2): plain functions of ``now``, so a job or a test runs
them on any clock.

Dates are the merchant's local dates (core.clock, Asia/Shanghai), never the server's UTC date
(odoo#222428): a lot with ``expires_on`` 2027-12-31 can be spent until 23:59:59 Beijing time
that day and is expired from 00:00 on 1 January, which is 16:00 UTC on 31 December.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import ledger
from core.clock import local_date
from core.errors import Conflict
from core.ledger import Posting
from core.merchant_config import MerchantConfig
from core.models import Account, AccountOwner, Card, Lot

from .common import ASSET, EXPIRED, PLUGIN_ID, merchant_points

TRANSACTION_TYPE = "points_expiry"


def expire_points(session: Session, merchant_id: int, now: datetime) -> dict:
    """Take every lot past its date off its card: one ledger transaction per card (P7).

    Each transaction debits the card's ``points`` account by the expired lots' remaining
    points and credits the merchant's ("expired", "points") account. Running it again, or
    concurrently, expires nothing more: the lots are then empty (the card's account row is
    locked before its lots are read).
    """
    today = local_date(now)
    candidates = session.execute(
        select(Account.id).join(Lot, Lot.account_id == Account.id)
        .where(Account.merchant_id == merchant_id, Account.owner == AccountOwner.CARD.value,
               Account.asset == ASSET, Lot.remaining > 0, Lot.expires_on < today)
        .group_by(Account.id).order_by(Account.id)).scalars().all()
    items = []
    for account_id in candidates:
        account = session.scalar(select(Account).where(Account.id == account_id).with_for_update())
        lots = _expired_lots(session, account_id, today)
        total = sum(lot.remaining for lot in lots)
        if total == 0:  # a concurrent run got there first
            continue
        card = session.get(Card, account.card_id)
        memo = {"card_number": card.number, "as_of": today.isoformat(),
                "lots": [{"lot_id": lot.id, "expires_on": lot.expires_on.isoformat(),
                          "points": lot.remaining} for lot in lots]}
        # The ledger consumes lots that are unexpired as of the date it is given, soonest
        # expiry first. As of the earliest expired lot's date, the expired lots are exactly
        # the first ones in that order, and ``total`` is what they hold: so this debit takes
        # precisely them (checked below) and never touches a lot still valid today.
        # The transaction itself is dated when the job runs, so reports see it in this period.
        transaction = ledger.post(
            session, merchant_id, TRANSACTION_TYPE,
            [Posting(account, -total), Posting(merchant_points(session, merchant_id, EXPIRED), total)],
            memo=memo, now=now, lots_as_of=min(lot.expires_on for lot in lots))
        session.flush()
        if _expired_lots(session, account_id, today):
            raise Conflict("expiring points would have touched unexpired lots; nothing was changed",
                           code="expiry_mismatch")
        items.append({"card_number": card.number, "points": total,
                      "transaction_id": transaction.id})
    return {"as_of": today.isoformat(), "cards": len(items),
            "points": sum(item["points"] for item in items), "items": items}


def _expired_lots(session: Session, account_id: int, today) -> list[Lot]:
    return session.scalars(select(Lot).where(
        Lot.account_id == account_id, Lot.remaining > 0, Lot.expires_on < today)
        .order_by(Lot.expires_on, Lot.id).execution_options(populate_existing=True)).all()


def expiring_soon(session: Session, merchant_id: int, now: datetime, days: int) -> list[dict]:
    """Cards holding points that expire within ``days`` days of the local date of ``now`` (R2).

    One entry per card, soonest first: its member, the points expiring in the window, the
    first date and the per-date breakdown. ``days`` 0 means "today only".
    """
    today = local_date(now)
    until = today + timedelta(days=days)
    rows = session.execute(
        select(Card.number, Card.member_id, Lot.expires_on, func.sum(Lot.remaining))
        .join(Account, Account.card_id == Card.id).join(Lot, Lot.account_id == Account.id)
        .where(Account.merchant_id == merchant_id, Account.owner == AccountOwner.CARD.value,
               Account.asset == ASSET, Lot.remaining > 0,
               Lot.expires_on >= today, Lot.expires_on <= until)
        .group_by(Card.number, Card.member_id, Lot.expires_on)
        .order_by(Card.number, Lot.expires_on)).all()
    cards: dict[str, dict] = {}
    for number, member_id, expires_on, points in rows:
        entry = cards.setdefault(number, {"card_number": number, "member_id": member_id,
                                          "points": 0, "first_expires_on": expires_on.isoformat(),
                                          "lots": []})
        entry["points"] += int(points)
        entry["lots"].append({"expires_on": expires_on.isoformat(), "points": int(points)})
    return sorted(cards.values(), key=lambda entry: (entry["first_expires_on"], entry["card_number"]))


# -- scheduled jobs (core.jobs: run once per merchant and local day) ----------------------------

def expire_points_job(session: Session, config: MerchantConfig, merchant_id: int, now: datetime) -> dict:
    """Job ``points.expire_points``: :func:`expire_points`, summarised for the job log."""
    summary = expire_points(session, merchant_id, now)
    return {key: summary[key] for key in ("as_of", "cards", "points")}
