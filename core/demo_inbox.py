"""The demo's inbox (issue 14, item 2): today's calls filled from the demo's reminders, one
already made with a note and one moved to tomorrow, so ``make run`` shows 今日回访 at work."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import clock
from .inbox import Viewer, act, fill_day
from .models import CareTask


def fill_demo_inbox(session: Session, config, merchant_id: int, staff_id: int, now: datetime) -> int:
    """Fill today's inbox; mark the first call made and snooze the second. Returns the tasks."""
    today = clock.local_date(now)
    fill_day(session, config, merchant_id, today, now)
    tasks = session.scalars(select(CareTask).where(CareTask.merchant_id == merchant_id)
                            .order_by(CareTask.id)).all()
    owner = Viewer(staff_id, merchant_id, "owner", None)
    if tasks:
        act(session, owner, tasks[0], "done", today=today, note="已电话联系，周六到店", now=now)
    if len(tasks) > 1:
        act(session, owner, tasks[1], "snooze", today=today, until=today + timedelta(days=1),
            note="没接电话，明天再打", now=now)
    return len(tasks)
