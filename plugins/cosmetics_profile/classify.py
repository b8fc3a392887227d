"""K2 / M5: A/B/C members by spend and loyalty, recomputed by a job (a plain function of now).

Over the last ``abc_window_days`` days: spend is what the member paid, net of returns, and
visits are the local days with a purchase kept. Class A needs both A thresholds, class B both
B thresholds; everyone else is C. Each member's class is stored with the figures and when it
was computed, so the cashier, the API and the follow-up list read it without recounting.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import local_date
from core.merchant_config import MerchantConfig
from core.models import Member

from .common import PLUGIN_ID
from .models import CLASSES, MemberClass
from .purchases import purchases


def class_for(settings: dict, spend_fen: int, visits: int) -> str:
    if spend_fen >= settings["class_a_min_spend_fen"] and visits >= settings["class_a_min_visits"]:
        return "a"
    if spend_fen >= settings["class_b_min_spend_fen"] and visits >= settings["class_b_min_visits"]:
        return "b"
    return "c"


def classify_members(session: Session, config: MerchantConfig, merchant_id: int,
                     now: datetime) -> dict:
    """Recompute every member's class as of ``now``; returns the count per class."""
    settings = config.settings_for(PLUGIN_ID)
    window = settings["abc_window_days"]
    bought = purchases(session, merchant_id, since=now - timedelta(days=window), until=now)
    existing = {row.member_id: row for row in session.scalars(
        select(MemberClass).where(MemberClass.merchant_id == merchant_id))}
    counts = dict.fromkeys(CLASSES, 0)
    for member_id in session.scalars(select(Member.id).where(Member.merchant_id == merchant_id)
                                     .order_by(Member.id)):
        mine = bought.get(member_id, [])
        spend = sum(purchase.net_fen for purchase in mine)
        visits = len({purchase.day for purchase in mine})
        member_class = class_for(settings, spend, visits)
        row = existing.get(member_id)
        if row is None:
            row = MemberClass(merchant_id=merchant_id, member_id=member_id)
            session.add(row)
        row.member_class, row.spend_fen, row.visits = member_class, spend, visits
        row.window_days, row.computed_at = window, now
        counts[member_class] += 1
    session.flush()
    return {"as_of": local_date(now).isoformat(), "window_days": window, **counts}


def classify_members_job(session: Session, config: MerchantConfig, merchant_id: int,
                         now: datetime) -> dict:
    """Job ``cosmetics_profile.classify_members`` (K2)."""
    return classify_members(session, config, merchant_id, now)


def class_json(row: MemberClass | None) -> dict | None:
    if row is None:
        return None
    return {"member_class": row.member_class, "spend_fen": row.spend_fen, "visits": row.visits,
            "window_days": row.window_days, "computed_at": row.computed_at.isoformat()}


def member_class(session: Session, merchant_id: int, member_id: int) -> MemberClass | None:
    return session.scalar(select(MemberClass).where(MemberClass.merchant_id == merchant_id,
                                                    MemberClass.member_id == member_id))


def distribution(session: Session, merchant_id: int) -> list[dict]:
    """Report ``abc_distribution`` (K2, X3): members and spend per class, A first."""
    found = {row[0]: row for row in session.execute(
        select(MemberClass.member_class, func.count(), func.coalesce(func.sum(MemberClass.spend_fen), 0),
               func.max(MemberClass.computed_at))
        .where(MemberClass.merchant_id == merchant_id).group_by(MemberClass.member_class))}
    rows = []
    for key in CLASSES:
        _class, members, spend, computed = found.get(key, (key, 0, 0, None))
        rows.append({"member_class": key, "members": int(members), "spend_fen": int(spend),
                     "computed_at": computed.isoformat() if computed else None})
    return rows
