"""When and to whom a merchant's messages may go: quiet hours, the daily cap, opt-outs.

Quiet hours are merchant-local (core.clock): a message due inside them is due at their end.
The daily cap counts the messages a merchant sent on the merchant-local day; a message
beyond it is ``capped`` and waits for the next day. Transactional messages (login codes)
are exempt from all three: a member who asked for a code needs it now.
"""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..clock import MERCHANT_TZ, local_day_bounds, local_date
from ..errors import Invalid, problem
from ..models import Member, MessageOptOut, MessagePolicy, OutboxMessage
from .templates import CHANNELS, LANGUAGES

TRANSACTIONAL_KINDS = frozenset({"member_login"})
MAX_DAILY_CAP = 1_000_000
MAX_ATTEMPTS_LIMIT = 20
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def policy_for(session: Session, merchant_id: int) -> MessagePolicy:
    """The merchant's policy, or the defaults (21:00–09:00 quiet, 1000 a day, 5 tries) unsaved."""
    policy = session.get(MessagePolicy, merchant_id)
    if policy is None:
        policy = MessagePolicy(merchant_id=merchant_id, quiet_start="21:00", quiet_end="09:00",
                               daily_cap=1000, max_attempts=5, language="zh")
    return policy


def save_policy(session: Session, merchant_id: int, values: dict) -> MessagePolicy:
    """Set quiet hours ("HH:MM" both, or both ""), daily cap (0 = none), tries and language."""
    if not isinstance(values, dict):
        raise Invalid("a JSON object is expected")
    unknown = set(values) - {"quiet_start", "quiet_end", "daily_cap", "max_attempts", "language"}
    if unknown:
        raise Invalid("unknown settings: " + ", ".join(sorted(map(str, unknown))),
                      details=[problem(f"/{name}", "unknown") for name in sorted(map(str, unknown))])
    current = policy_for(session, merchant_id)
    start = values.get("quiet_start", current.quiet_start)
    end = values.get("quiet_end", current.quiet_end)
    cap = values.get("daily_cap", current.daily_cap)
    tries = values.get("max_attempts", current.max_attempts)
    language = values.get("language", current.language)
    for name, value in (("quiet_start", start), ("quiet_end", end)):
        if not isinstance(value, str) or (value and not _CLOCK.match(value)):
            raise Invalid(f"{name} is a time of day as HH:MM (e.g. 21:00), or empty for none",
                          details=[problem(f"/{name}", "HH:MM")])
    if bool(start) != bool(end) or (start and start == end):
        raise Invalid("quiet hours need a start and a different end (or neither)",
                      details=[problem("/quiet_end", "HH:MM, not the start")])
    if type(cap) is not int or not 0 <= cap <= MAX_DAILY_CAP:
        raise Invalid(f"daily_cap is a whole number from 0 (no cap) to {MAX_DAILY_CAP}",
                      details=[problem("/daily_cap", "0 or more")])
    if type(tries) is not int or not 1 <= tries <= MAX_ATTEMPTS_LIMIT:
        raise Invalid(f"max_attempts is a whole number from 1 to {MAX_ATTEMPTS_LIMIT}",
                      details=[problem("/max_attempts", f"1 to {MAX_ATTEMPTS_LIMIT}")])
    if language not in LANGUAGES:
        raise Invalid("language is zh or en", details=[problem("/language", "zh or en")])
    policy = session.get(MessagePolicy, merchant_id)
    if policy is None:
        policy = MessagePolicy(merchant_id=merchant_id)
        session.add(policy)
    policy.quiet_start, policy.quiet_end = start, end
    policy.daily_cap, policy.max_attempts, policy.language = cap, tries, language
    session.flush()
    return policy


def _clock(text: str) -> time:
    hour, minute = text.split(":")
    return time(int(hour), int(minute))


def quiet_until(policy: MessagePolicy, moment: datetime) -> datetime | None:
    """The end of the quiet hours ``moment`` falls in (UTC), or None when it is not quiet."""
    if not policy.quiet_start or not policy.quiet_end:
        return None
    start, end = _clock(policy.quiet_start), _clock(policy.quiet_end)
    local = moment.astimezone(MERCHANT_TZ)
    now = local.time()
    if start < end:
        quiet = start <= now < end
        end_day = local.date()
    else:  # across midnight, e.g. 21:00–09:00
        quiet = now >= start or now < end
        end_day = local.date() + timedelta(days=1) if now >= start else local.date()
    if not quiet:
        return None
    return datetime.combine(end_day, end, tzinfo=MERCHANT_TZ).astimezone(moment.tzinfo)


def due_time(policy: MessagePolicy, moment: datetime, kind: str | None) -> datetime:
    """When a message wanted at ``moment`` may go: after the quiet hours."""
    if kind in TRANSACTIONAL_KINDS:
        return moment
    return quiet_until(policy, moment) or moment


def sent_today(session: Session, merchant_id: int, moment: datetime) -> int:
    """Messages of the merchant sent (or being sent) on the merchant-local day of ``moment``."""
    start, end = local_day_bounds(local_date(moment))
    sent = session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.merchant_id == merchant_id, OutboxMessage.status == "sent",
        OutboxMessage.sent_at >= start, OutboxMessage.sent_at < end))
    sending = session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.merchant_id == merchant_id, OutboxMessage.status == "sending"))
    return int(sent or 0) + int(sending or 0)


def next_day_start(policy: MessagePolicy, moment: datetime) -> datetime:
    """The first moment of the next merchant-local day a message may go (after quiet hours)."""
    start = local_day_bounds(local_date(moment) + timedelta(days=1))[0]
    return quiet_until(policy, start) or start


# -- opt-outs ---------------------------------------------------------------------------

def opted_out_channels(session: Session, merchant_id: int, member_id: int) -> set[str]:
    return set(session.scalars(select(MessageOptOut.channel).where(
        MessageOptOut.merchant_id == merchant_id, MessageOptOut.member_id == member_id)))


def set_opt_out(session: Session, merchant_id: int, member_id: int, channel: str, opted_out: bool,
                *, source: str = "staff") -> bool:
    """Record (or lift) a member's opt-out of a channel ("all" = every channel); returns the new state."""
    if channel != "all" and channel not in CHANNELS:
        raise Invalid("channel must be one of: all, " + ", ".join(CHANNELS),
                      details=[problem("/channel", "all, " + ", ".join(CHANNELS))])
    if type(opted_out) is not bool:
        raise Invalid("opted_out is true or false", details=[problem("/opted_out", "boolean")])
    member = session.get(Member, member_id)
    if member is None or member.merchant_id != merchant_id:
        from ..errors import NotFound
        raise NotFound("no such member")
    channels = CHANNELS if channel == "all" else (channel,)
    existing = {row.channel: row for row in session.scalars(select(MessageOptOut).where(
        MessageOptOut.merchant_id == merchant_id, MessageOptOut.member_id == member_id))}
    for name in channels:
        if opted_out and name not in existing:
            session.add(MessageOptOut(merchant_id=merchant_id, member_id=member_id, channel=name,
                                      source=source))
        elif not opted_out and name in existing:
            session.delete(existing[name])
    session.flush()
    return opted_out
