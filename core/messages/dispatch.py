"""Sending due outbox rows: each row reaches its gateway at most once per try, and a row
is never sent twice unless its gateway drops duplicates.

One pass (``dispatch_due``), per due row:

1. **claim** (a short write transaction): re-check opt-out, quiet hours and the daily cap
   (the row may be suppressed, postponed or ``capped`` instead), then a guarded UPDATE
   ``queued|capped -> sending`` that also adds one to ``attempts`` and sets a lease. The
   guard is the status and attempt count read before: of two dispatchers only one changes
   the row, the other sees 0 rows changed and moves on.
2. **send** outside any transaction, through the channel's sender.
3. **record** (another short transaction): a ``message_attempts`` row, and the outcome:
   ``sent``; ``queued`` again after an exponential backoff; ``dead`` after the merchant's
   ``max_attempts``; ``failed`` when refused for good or when the outcome is unknown and
   the sender is not idempotent.

A crash between the gateway accepting a message and step 3 leaves the row ``sending``.
When its lease has run out, ``recover_stale`` decides (the rule, docs/messages.md):
with an idempotent sender (the gateway drops a repeat of the same outbox id) the row is
queued again and resent under the same key; with any other sender it becomes ``failed``
("outcome unknown: not resent") and is never sent again by the dispatcher. A missed
message is better than a doubled one; staff see it in the message log.
"""
from __future__ import annotations

import logging
import time
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ..clock import now_utc
from ..config_versions import published_config
from ..models import MessageAttempt, OutboxMessage
from .channels import channel_row, resolve_secrets
from .policy import (TRANSACTIONAL_KINDS, next_day_start, opted_out_channels, policy_for,
                     quiet_until, sent_today)
from .senders import Message, MessageSender, SendResult, message_senders

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # longer than any sender's timeout
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_LONGEST = timedelta(hours=2)
LOGIN_CODE_LIFETIME = timedelta(minutes=10)  # core.messaging.CODE_TTL: later, a code is useless
DUE = ("queued", "capped")
BATCH = 200


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min … after the 1st, 2nd, 3rd … failed try; at most 2 hours."""
    return min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_LONGEST)


def dispatch_due(db, registry, now: datetime | None = None, *, limit: int = BATCH) -> dict:
    """Send up to ``limit`` due rows; returns counts by what happened to them."""
    now = now or now_utc()
    summary: Counter = Counter()
    recover_stale(db, registry, now, summary)
    with db.read() as session:
        due = session.execute(
            select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.attempts)
            .where(OutboxMessage.status.in_(DUE),
                   or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)).all()
    senders = message_senders(registry)  # once a pass: each lookup builds hook callers
    for row_id, status, attempts in due:
        claimed = _claim(db, registry, senders, row_id, status, attempts, now, summary)
        if claimed is None:
            continue
        message, sender, settings, max_attempts = claimed
        started = time.monotonic()
        try:
            result = sender.send(message, settings)
        except Exception as error:  # noqa: BLE001 - a sender bug: it may have sent
            log.exception("sender %s raised for outbox row %s", sender.id, row_id)
            result = SendResult("unknown", error=f"sender raised {error!r}"[:300])
        latency_ms = int((time.monotonic() - started) * 1000)
        _record(db, row_id, attempts + 1, sender, result, latency_ms, now, max_attempts, summary)
    return dict(summary)


def _guarded(session: Session, row_id: int, seen_status: str, seen_attempts: int, **values) -> bool:
    """Change the row only if it is still as read: True if this caller changed it."""
    changed = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.status == seen_status,
               OutboxMessage.attempts == seen_attempts)
        .values(**values).execution_options(synchronize_session=False))
    return changed.rowcount == 1


def _attempt(session: Session, row: OutboxMessage, now: datetime, outcome: str, error: str | None,
             sender: str = "", latency_ms: int | None = None, provider_id: str | None = None) -> None:
    session.add(MessageAttempt(outbox_id=row.id, merchant_id=row.merchant_id, attempted_at=now,
                               sender=sender, outcome=outcome, error=error, latency_ms=latency_ms,
                               provider_message_id=provider_id))


def _claim(db, registry, senders: dict, row_id: int, status: str, attempts: int, now: datetime,
           summary: Counter):
    """Apply the policy to one due row, then take it (queued|capped -> sending) or not."""
    with db.write() as session:
        row = session.get(OutboxMessage, row_id)
        if row is None or row.status != status or row.attempts != attempts:
            return None
        policy = policy_for(session, row.merchant_id)
        if row.kind in TRANSACTIONAL_KINDS:
            if row.kind == "member_login" and now - row.created_at > LOGIN_CODE_LIFETIME:
                if _guarded(session, row_id, status, attempts, status="failed",
                            last_error="the code expired before it could be sent"):
                    summary["failed"] += 1
                return None
        else:
            if row.member_id is not None and row.channel in opted_out_channels(
                    session, row.merchant_id, row.member_id):
                if _guarded(session, row_id, status, attempts, status="suppressed",
                            last_error="opted out", next_attempt_at=None):
                    summary["suppressed"] += 1
                return None
            quiet_end = quiet_until(policy, now)
            if quiet_end is not None:
                if _guarded(session, row_id, status, attempts, next_attempt_at=quiet_end):
                    summary["postponed"] += 1
                return None
            if policy.daily_cap and sent_today(session, row.merchant_id, now) >= policy.daily_cap:
                if _guarded(session, row_id, status, attempts, status="capped",
                            next_attempt_at=next_day_start(policy, now),
                            last_error=f"daily cap of {policy.daily_cap} reached"):
                    summary["capped"] += 1
                return None
        channel = channel_row(session, row.merchant_id, row.channel)
        sender = None
        if channel is not None and channel.enabled:
            sender = senders.get(channel.sender)
            if sender is not None and sender.plugin != "core" and not published_config(
                    session, row.merchant_id, registry).is_enabled(sender.plugin):
                sender = None  # a plugin's gateway only while the merchant enables the plugin
        secrets, secret_problem = resolve_secrets(channel.secrets) if sender is not None else ({}, None)
        if sender is None or secret_problem:
            reason = secret_problem or (
                f"no gateway set up for {row.channel}" if channel is None or not channel.enabled
                else f"sender {channel.sender!r} is not installed or its plugin is off")
            if _guarded(session, row_id, status, attempts, status="failed", last_error=reason,
                        next_attempt_at=None):
                _attempt(session, row, now, "failed", reason)
                summary["failed"] += 1
            return None
        if not _guarded(session, row_id, status, attempts, status="sending",
                        attempts=attempts + 1, lease_until=now + LEASE):
            return None  # another dispatcher took it
        message = Message(id=row.id, merchant_id=row.merchant_id, channel=row.channel,
                          recipient=row.recipient, subject=row.subject or "", body=row.body,
                          kind=row.kind, template=row.template, variables=dict(row.variables or {}))
        settings = {**(channel.settings or {}), **secrets}
        return message, sender, settings, policy.max_attempts


def _record(db, row_id: int, attempts: int, sender: MessageSender, result: SendResult,
            latency_ms: int, now: datetime, max_attempts: int, summary: Counter) -> None:
    """Store what one try came to; only the dispatcher that claimed the try changes the row."""
    outcome = result.outcome
    if outcome == "sent":
        values = dict(status="sent", sent_at=now, provider_message_id=result.provider_message_id,
                      last_error=None, lease_until=None, next_attempt_at=None)
    elif outcome == "retry" or (outcome == "unknown" and sender.idempotent):
        if attempts >= max_attempts:
            values = dict(status="dead", last_error=result.error, lease_until=None, next_attempt_at=None)
        else:
            values = dict(status="queued", last_error=result.error, lease_until=None,
                          next_attempt_at=now + backoff(attempts))
    elif outcome == "unknown":
        values = dict(status="failed", lease_until=None, next_attempt_at=None,
                      last_error=f"outcome unknown, not resent: {result.error}"[:1000])
    else:
        values = dict(status="failed", last_error=result.error, lease_until=None, next_attempt_at=None)
    with db.write() as session:
        row = session.get(OutboxMessage, row_id)
        _attempt(session, row, now, outcome, result.error, sender.id, latency_ms,
                 result.provider_message_id)
        # "failed" too: recover_stale may have given the row up while this send was slow.
        for status in ("sending", "failed"):
            if _guarded(session, row_id, status, attempts, **values):
                summary[values["status"]] += 1
                return
        log.warning("outbox row %s changed while it was being sent; outcome %s kept as an attempt",
                    row_id, outcome)


def recover_stale(db, registry, now: datetime, summary: Counter | None = None) -> int:
    """Rows left ``sending`` past their lease (a dispatcher died mid-send): resend only
    where the gateway drops duplicates; otherwise ``failed``, never sent again."""
    summary = summary if summary is not None else Counter()
    recovered = 0
    with db.write() as session:
        stale = session.scalars(select(OutboxMessage).where(
            OutboxMessage.status == "sending", OutboxMessage.lease_until < now)).all()
        for row in stale:
            channel = channel_row(session, row.merchant_id, row.channel)
            sender = message_senders(registry).get(channel.sender) if channel is not None else None
            policy = policy_for(session, row.merchant_id)
            error = "the dispatcher stopped while sending"
            if sender is not None and sender.idempotent and row.attempts < policy.max_attempts:
                values = dict(status="queued", next_attempt_at=now, lease_until=None,
                              last_error=error + "; resent under the same idempotency key")
            else:
                values = dict(status="failed", next_attempt_at=None, lease_until=None,
                              last_error="outcome unknown, not resent: " + error)
            if _guarded(session, row.id, "sending", row.attempts, **values):
                _attempt(session, row, now, "unknown", error, sender.id if sender else "")
                summary["recovered"] += 1
                recovered += 1
    return recovered
