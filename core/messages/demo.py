"""The demo's messages (issue 14, item 4): a console "SMS" gateway, a template of the
merchant's own, and a few birthday and balance messages already sent, so the editor's
message pages show something on the first run. Sent through the real enqueue and dispatch
would need a second transaction; the demo's are marked sent in the creating one instead."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Member, MessageAttempt, MessageChannel, OutboxMessage
from .enqueue import enqueue
from .templates import save_template

SAMPLE = 4


def demo_messages(session: Session, merchant_id: int, now: datetime) -> int:
    """Set up the console gateway and a template, queue and mark sent a few messages."""
    session.add(MessageChannel(merchant_id=merchant_id, channel="sms", sender="console",
                               enabled=True, settings={}, secrets={}))
    session.flush()
    save_template(session, merchant_id, kind="low_balance", channel="sms", language="zh",
                  body="{name}您好，您在{merchant}的储值余额为{balance}，充值满500元送50元。")
    members = session.scalars(select(Member).where(Member.merchant_id == merchant_id)
                              .order_by(Member.id).limit(SAMPLE)).all()
    sent_at = now - timedelta(days=1)
    written = 0
    for index, member in enumerate(members):
        kind = "birthday" if index % 2 == 0 else "low_balance"
        ids = enqueue(session, merchant_id, member_id=member.id, kind=kind, channel="sms",
                      variables={"balance_fen": 3250 + 1000 * index},
                      occasion=f"demo:{kind}:{sent_at.date().isoformat()}", now=sent_at)
        for row in session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))):
            row.status, row.attempts, row.sent_at = "sent", 1, sent_at
            row.next_attempt_at, row.provider_message_id = None, f"huika-outbox-{row.id}"
            session.add(MessageAttempt(outbox_id=row.id, merchant_id=merchant_id, attempted_at=sent_at,
                                       sender="console", outcome="sent", latency_ms=1,
                                       provider_message_id=row.provider_message_id))
            written += 1
    session.flush()
    return written
