"""K3 follow-ups: log one that happened, plan one, close a planned one (done with its outcome,
or cancelled), and today's list (due today or overdue), key members first (K2).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import local_date, local_day_bounds
from core.errors import Conflict, Invalid, NotFound, problem
from core.merchant_config import MerchantConfig
from core.models import Member, Staff
from core.schemas import check_body

from .common import CLASS_ORDER, PLUGIN_ID
from .models import CHANNELS, FollowUp, MemberClass

_CHANNEL = {"enum": list(CHANNELS), "description": "in_store, phone, sms, mail, online or event"}
FOLLOW_UP_INPUT = {
    "type": "object", "additionalProperties": False, "required": ["mode", "channel"],
    "properties": {
        "mode": {"enum": ["log", "plan"],
                 "description": "log: it happened now (note required); plan: due_on and reason"},
        "channel": _CHANNEL,
        "note": {"type": "string", "maxLength": 500},
        "due_on": {"type": "string", "format": "date", "description": "plan: the local date it is due"},
        "reason": {"type": "string", "maxLength": 200},
    },
}
COMPLETE_INPUT = {
    "type": "object", "additionalProperties": False, "required": ["outcome"],
    "properties": {"outcome": {"type": "string", "minLength": 1, "maxLength": 500},
                   "channel": {**_CHANNEL, "description": "how it was done (default: as planned)"},
                   "note": {"type": "string", "maxLength": 500}},
}
CANCEL_INPUT = {
    "type": "object", "additionalProperties": False,
    "properties": {"reason": {"type": "string", "maxLength": 500}},
}


def record(session: Session, config: MerchantConfig, merchant_id: int, member: Member, body: dict,
           *, staff_id: int | None, now: datetime) -> FollowUp:
    """Log a follow-up that happened now, or plan one (K3)."""
    check_body(body, FOLLOW_UP_INPUT, "the follow-up is not valid; nothing was saved")
    problems = _channel_problems(config, body["channel"], "/channel")
    note, reason = (body.get("note") or "").strip(), (body.get("reason") or "").strip()
    due_on = None
    if body["mode"] == "log":
        if not note:
            problems.append(problem("/note", "say what was said or done"))
        if body.get("due_on"):
            problems.append(problem("/due_on", "only for a planned follow-up"))
    else:
        due_on = _date(body.get("due_on"))
        if due_on is None:
            problems.append(problem("/due_on", "the date it is due, YYYY-MM-DD"))
        elif due_on < local_date(now):
            problems.append(problem("/due_on", f"today ({local_date(now).isoformat()}) or later"))
        if not reason:
            problems.append(problem("/reason", "why the member is to be contacted"))
    if problems:
        raise Invalid("the follow-up is not valid; nothing was saved", details=problems)
    done = body["mode"] == "log"
    row = FollowUp(merchant_id=merchant_id, member_id=member.id, kind="manual",
                   status="done" if done else "planned", channel=body["channel"], note=note,
                   reason=reason, due_on=due_on, planned_by_staff_id=None if done else staff_id,
                   staff_id=staff_id if done else None, created_at=now,
                   closed_at=now if done else None)
    session.add(row)
    session.flush()
    return row


def complete(session: Session, config: MerchantConfig, merchant_id: int, follow_up_id: int,
             body: dict, *, staff_id: int | None, now: datetime) -> FollowUp:
    """A planned follow-up is done: its outcome is logged (K3)."""
    check_body(body, COMPLETE_INPUT, "the outcome is not valid; nothing was saved")
    row = _planned(session, merchant_id, follow_up_id)
    channel = body.get("channel", row.channel)
    problems = _channel_problems(config, channel, "/channel") if "channel" in body else []
    if not body["outcome"].strip():
        problems.append(problem("/outcome", "say how it went"))
    if problems:
        raise Invalid("the outcome is not valid; nothing was saved", details=problems)
    row.status, row.channel, row.outcome = "done", channel, body["outcome"].strip()
    row.note = (body.get("note") or row.note).strip()
    row.staff_id, row.closed_at = staff_id, now
    session.flush()
    return row


def cancel(session: Session, merchant_id: int, follow_up_id: int, body: dict, *,
           staff_id: int | None, now: datetime) -> FollowUp:
    check_body(body, CANCEL_INPUT, "the cancellation is not valid; nothing was changed")
    row = _planned(session, merchant_id, follow_up_id)
    row.status, row.outcome = "cancelled", (body.get("reason") or "").strip()
    row.staff_id, row.closed_at = staff_id, now
    session.flush()
    return row


def _planned(session: Session, merchant_id: int, follow_up_id: int) -> FollowUp:
    row = session.scalar(select(FollowUp).where(FollowUp.merchant_id == merchant_id,
                                                FollowUp.id == follow_up_id).with_for_update())
    if row is None:
        raise NotFound(f"follow-up {follow_up_id} does not exist")
    if row.status != "planned":
        raise Conflict(f"follow-up {follow_up_id} is already {row.status}", code="follow_up_closed")
    return row


def _channel_problems(config: MerchantConfig, channel: str, pointer: str) -> list[dict]:
    offered = config.settings_for(PLUGIN_ID)["follow_up_channels"]
    return [] if channel in offered else [problem(pointer, f"one of the shop's channels: {', '.join(offered)}")]


def _date(raw) -> date | None:
    try:
        return date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def follow_up_json(row: FollowUp) -> dict:
    return {"id": row.id, "member_id": row.member_id, "status": row.status, "kind": row.kind,
            "channel": row.channel, "reason": row.reason, "note": row.note, "outcome": row.outcome,
            "due_on": row.due_on.isoformat() if row.due_on else None,
            "product_group": row.product_group, "source_checkout_id": row.source_checkout_id,
            "planned_by_staff_id": row.planned_by_staff_id, "staff_id": row.staff_id,
            "created_at": row.created_at.isoformat(),
            "closed_at": row.closed_at.isoformat() if row.closed_at else None}


def member_follow_ups(session: Session, merchant_id: int, member_id: int) -> list[dict]:
    rows = session.scalars(select(FollowUp).where(FollowUp.merchant_id == merchant_id,
                                                  FollowUp.member_id == member_id)
                           .order_by(FollowUp.created_at.desc(), FollowUp.id.desc()))
    return [follow_up_json(row) for row in rows]


def due_list(session: Session, merchant_id: int, now: datetime, *, member_class: str | None = None,
             channel: str | None = None) -> dict:
    """Planned follow-ups due today or overdue (local date of ``now``): A before B before C
    (unclassified last), then the longest overdue first (K2, K3)."""
    today = local_date(now)
    query = (select(FollowUp, Member, MemberClass.member_class)
             .join(Member, Member.id == FollowUp.member_id)
             .outerjoin(MemberClass, (MemberClass.member_id == FollowUp.member_id)
                        & (MemberClass.merchant_id == merchant_id))
             .where(FollowUp.merchant_id == merchant_id, FollowUp.status == "planned",
                    FollowUp.due_on <= today))
    if member_class:
        query = query.where(MemberClass.member_class == member_class)
    if channel:
        query = query.where(FollowUp.channel == channel)
    rows = session.execute(query).all()
    rows.sort(key=lambda r: (CLASS_ORDER.get(r[2], len(CLASS_ORDER)), r[0].due_on, r[0].id))
    return {"as_of": today.isoformat(), "items": [due_json(row, member, cls, today)
                                                  for row, member, cls in rows]}


def due_json(row: FollowUp, member: Member, member_class: str | None, today: date) -> dict:
    """One line of today's list, the columns a cashier reads first coming first."""
    return {"member_class": member_class, "member_name": member.name, "phone": member.phone,
            "due_on": row.due_on.isoformat(), "overdue_days": (today - row.due_on).days,
            "channel": row.channel, "reason": row.reason, "kind": row.kind, "id": row.id,
            "member_id": row.member_id}


def follow_up_log(session: Session, merchant_id: int, start: date, end: date) -> list[dict]:
    """Report ``follow_up_log`` (K3): follow-ups done or cancelled on local dates start..end."""
    since, _ = local_day_bounds(start)
    _, until = local_day_bounds(end)
    rows = session.execute(
        select(FollowUp, Member.name, Staff.display_name)
        .join(Member, Member.id == FollowUp.member_id)
        .outerjoin(Staff, Staff.id == FollowUp.staff_id)
        .where(FollowUp.merchant_id == merchant_id, FollowUp.status != "planned",
               FollowUp.closed_at >= since, FollowUp.closed_at < until)
        .order_by(FollowUp.closed_at, FollowUp.id)).all()
    return [{**follow_up_json(row), "member_name": name, "staff_name": staff or ""}
            for row, name, staff in rows]
