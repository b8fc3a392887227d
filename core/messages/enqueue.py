"""``enqueue``: the outbox rows for one message to one member, in the caller's transaction.

The row exists exactly when the happening that caused it committed (same transaction as the
event); ``dispatch`` sends it later, outside any transaction. With an ``occasion`` a repeated
call adds nothing: the unique key (merchant, member, kind, occasion, channel) holds even
between two transactions racing (the losing insert is rolled back to a savepoint).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..clock import now_utc
from ..errors import Invalid, NotFound, problem
from ..models import Member, Merchant, MessageChannel, OutboxMessage
from .policy import TRANSACTIONAL_KINDS, due_time, opted_out_channels, policy_for
from .templates import CHANNELS, find_template, render, template_values


def member_address(member: Member, channel: str) -> str | None:
    """Where a channel reaches the member: the phone (sms, console), ``extra.email``,
    ``extra.wechat_openid`` (a custom field or a plugin fills these)."""
    extra = member.extra or {}
    if channel in ("sms", "console"):
        return member.phone or None
    if channel == "email":
        value = extra.get("email")
    elif channel == "wechat":
        value = extra.get("wechat_openid")
    else:
        value = None
    return value.strip()[:100] if isinstance(value, str) and value.strip() else None


def enabled_channels(session: Session, merchant_id: int) -> list[str]:
    """The channels the merchant set up and switched on, in a stable order."""
    names = set(session.scalars(select(MessageChannel.channel).where(
        MessageChannel.merchant_id == merchant_id, MessageChannel.enabled.is_(True))))
    return [name for name in CHANNELS if name in names]


def enqueue(session: Session, merchant_id: int, *, member_id: int, kind: str, variables: dict,
            channel: str | None = None, occasion: str | None = None,
            campaign_id: int | None = None, now: datetime | None = None) -> list[int]:
    """Queue ``kind``'s message for the member; returns the ids of the rows written.

    ``channel`` None: every channel the merchant enabled that reaches the member (none set up:
    nothing is written). A named channel is written even without an address or a gateway, so
    the log shows why it was not sent. A channel the member opted out of gets a
    ``suppressed`` row. ``variables`` are facts (``balance_fen`` → ``{balance}`` = ¥12.50).
    Rows already queued for the same occasion are not written again (their ids are not
    returned).
    """
    now = now or now_utc()
    if not isinstance(kind, str) or not kind or len(kind) > 40:
        raise Invalid("kind is a short name such as birthday", details=[problem("/kind", "name")])
    if channel is not None and channel not in CHANNELS:
        raise Invalid("channel must be one of: " + ", ".join(CHANNELS),
                      details=[problem("/channel", ", ".join(CHANNELS))])
    if occasion is not None and (not isinstance(occasion, str) or not occasion or len(occasion) > 120):
        raise Invalid("occasion is 1 to 120 characters", details=[problem("/occasion", "text")])
    member = session.get(Member, member_id)
    if member is None or member.merchant_id != merchant_id:
        raise NotFound("no such member")
    policy = policy_for(session, merchant_id)
    channels = [channel] if channel else enabled_channels(session, merchant_id)
    values = template_values(variables)
    values.setdefault("name", member.name)
    values.setdefault("merchant", session.scalar(select(Merchant.name).where(Merchant.id == merchant_id)) or "")
    opted_out = set() if kind in TRANSACTIONAL_KINDS else opted_out_channels(session, merchant_id, member_id)
    due = due_time(policy, now, kind)
    written: list[int] = []
    for name in channels:
        address = member_address(member, name)
        if address is None and channel is None:
            continue
        if occasion is not None and session.scalar(select(OutboxMessage.id).where(
                OutboxMessage.merchant_id == merchant_id, OutboxMessage.member_id == member_id,
                OutboxMessage.kind == kind, OutboxMessage.occasion == occasion,
                OutboxMessage.channel == name)) is not None:
            continue
        template = find_template(session, merchant_id, kind, name, policy.language)
        row = OutboxMessage(
            merchant_id=merchant_id, member_id=member_id, kind=kind, occasion=occasion,
            campaign_id=campaign_id, channel=name, recipient=address or "",
            template=template.key, subject=render(template.subject, values)[:200],
            body=render(template.body, values), variables=values, status="queued",
            attempts=0, created_at=now, next_attempt_at=due)
        if name in opted_out:
            row.status, row.last_error, row.next_attempt_at = "suppressed", "opted out", None
        elif address is None:
            row.status, row.last_error, row.next_attempt_at = "suppressed", "no address", None
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:  # the same occasion, queued by a concurrent transaction
            continue
        written.append(row.id)
    return written
