"""The message log: a merchant's outbox rows, filtered (``GET /api/v1/messages``, the editor).

Filters arrive as query-string text; ``parse_filters`` turns them into ``search`` arguments
or raises ``Invalid`` naming each bad one. ``from``/``to`` are merchant-local dates on the
row's ``created_at``.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..clock import local_day_bounds, parse_date
from ..errors import Invalid, problem
from ..messaging import mask_phone
from ..models import Member, OutboxMessage
from .templates import CHANNELS

STATUSES = ("queued", "sending", "sent", "failed", "dead", "suppressed", "capped")
MAX_LIMIT = 200
MAX_OFFSET = 1_000_000


@dataclass
class LogPage:
    items: list
    total: int
    limit: int
    offset: int


def parse_filters(args) -> dict:
    problems, found = [], {}
    member = (args.get("member") or "").strip()
    if member:
        if member.isdigit() and len(member) <= 18:
            found["member_id"] = int(member)
        else:
            problems.append(problem("/member", "a member id"))
    campaign = (args.get("campaign") or "").strip()
    if campaign:
        if campaign.isdigit() and len(campaign) <= 18:
            found["campaign_id"] = int(campaign)
        else:
            problems.append(problem("/campaign", "a campaign id"))
    kind = (args.get("kind") or "").strip()
    if kind:
        if len(kind) <= 40 and kind.replace("_", "a").replace(".", "a").isalnum():
            found["kind"] = kind
        else:
            problems.append(problem("/kind", "a kind such as birthday"))
    for name, choices in (("channel", CHANNELS), ("status", STATUSES)):
        value = (args.get(name) or "").strip()
        if value:
            if value in choices:
                found[name] = value
            else:
                problems.append(problem(f"/{name}", "one of " + ", ".join(choices)))
    for name, key in (("from", "start"), ("to", "end")):
        value = (args.get(name) or "").strip()
        if value:
            try:
                found[key] = parse_date(value)
            except ValueError:
                problems.append(problem(f"/{name}", "a date as YYYY-MM-DD (merchant's local date)"))
    for name, default, low, top in (("limit", 50, 1, MAX_LIMIT), ("offset", 0, 0, MAX_OFFSET)):
        value = (args.get(name) or "").strip()
        if not value:
            found[name] = default
        elif value.isdigit() and len(value) <= 8 and low <= int(value) <= top:
            found[name] = int(value)
        else:
            problems.append(problem(f"/{name}", f"a whole number from {low} to {top}"))
    if found.get("start") and found.get("end") and found["start"] > found["end"]:
        problems.append(problem("/from", "on or before to"))
    if problems:
        raise Invalid("the message log filters are not valid", details=problems)
    return found


def search(session: Session, merchant_id: int, *, member_id=None, kind=None, channel=None,
           status=None, start=None, end=None, limit: int = 50, offset: int = 0,
           campaign_id=None) -> LogPage:
    """Newest first."""
    where = [OutboxMessage.merchant_id == merchant_id]
    if member_id is not None:
        where.append(OutboxMessage.member_id == member_id)
    if kind:
        where.append(OutboxMessage.kind == kind)
    if channel:
        where.append(OutboxMessage.channel == channel)
    if status:
        where.append(OutboxMessage.status == status)
    if campaign_id is not None:
        where.append(OutboxMessage.campaign_id == campaign_id)
    if start:
        where.append(OutboxMessage.created_at >= local_day_bounds(start)[0])
    if end:
        where.append(OutboxMessage.created_at < local_day_bounds(end)[1])
    total = session.scalar(select(func.count()).select_from(OutboxMessage).where(*where))
    rows = session.execute(
        select(OutboxMessage, Member.name).outerjoin(Member, Member.id == OutboxMessage.member_id)
        .where(*where).order_by(OutboxMessage.id.desc()).limit(limit).offset(offset)).all()
    return LogPage([(row, name) for row, name in rows], int(total or 0), limit, offset)


def _iso(moment):
    return moment.isoformat() if moment is not None else None


def message_json(row: OutboxMessage, member_name: str | None) -> dict:
    """A log entry. A login code's text is never shown (it is a secret while it lives)."""
    recipient = row.recipient
    if row.channel in ("sms", "console") and recipient.isdigit():
        recipient = mask_phone(recipient)
    body = "（验证码已隐藏）" if row.kind == "member_login" else row.body
    return {
        "id": row.id, "member_id": row.member_id, "member_name": member_name, "kind": row.kind,
        "occasion": row.occasion, "campaign_id": row.campaign_id, "channel": row.channel,
        "recipient": recipient, "template": row.template, "subject": row.subject or "",
        "body": body, "status": row.status, "attempts": row.attempts,
        "next_attempt_at": _iso(row.next_attempt_at), "last_error": row.last_error,
        "provider_message_id": row.provider_message_id, "created_at": _iso(row.created_at),
        "sent_at": _iso(row.sent_at),
    }
