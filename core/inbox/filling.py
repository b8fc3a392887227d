"""Filling the inbox: the day's reminders as tasks, once per (member, kind, occasion).

Two callers fill a day: the daily job ``core.member_care`` (which also queues the messages
of the kinds whose settings say to message the member) and the inbox itself when it is
opened on a day the job has not filled yet. Both insert with ON CONFLICT DO NOTHING on the
task's unique key, so any number of fills, in any order, at the same time, write each task
once and never undo what staff did with it.
"""
from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .. import clock
from ..jobs import Job
from ..models import CareDay, CareTask, Member
from ..reminders import enabled_kinds, kind_entry, reminders_for

CHUNK = 500  # rows per INSERT statement and member ids per IN list
_INSERT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def fill_day(session: Session, config, merchant_id: int, on: date, now: datetime | None = None):
    """Write the tasks of ``merchant_id``'s local day ``on``; returns (new tasks, reminders)."""
    now = now or clock.now_utc()
    reminders = reminders_for(session, config, merchant_id, on)
    stores = _registered_stores(session, merchant_id, {r.member_id for r in reminders if r.store_id is None})
    rows = [{"merchant_id": merchant_id, "store_id": r.store_id if r.store_id is not None else stores.get(r.member_id),
             "member_id": r.member_id, "card_id": r.card_id, "kind": r.kind[:40], "occasion": r.occasion[:120],
             "facts": _json_ready(r.facts), "status": "open", "due_on": on, "note": "", "created_at": now}
            for r in reminders]
    insert = _INSERT[session.get_bind().dialect.name]
    created = 0
    for start in range(0, len(rows), CHUNK):
        statement = (insert(CareTask).on_conflict_do_nothing(
            index_elements=["merchant_id", "member_id", "kind", "occasion"]).returning(CareTask.id))
        created += len(session.execute(statement, rows[start:start + CHUNK]).all())
    session.execute(insert(CareDay).on_conflict_do_nothing(index_elements=["merchant_id", "day"]),
                    [{"merchant_id": merchant_id, "day": on, "tasks": len(rows), "filled_at": now}])
    return created, reminders


def ensure_filled(db, registry, merchant_id: int, on: date) -> bool:
    """Fill ``on`` unless the job (or an earlier opening) did; True when this call filled it."""
    from ..config_versions import published_config

    with db.read() as session:
        if session.scalar(select(CareDay.id).where(CareDay.merchant_id == merchant_id, CareDay.day == on)):
            return False
    with db.write() as session:
        fill_day(session, published_config(session, merchant_id, registry), merchant_id, on)
    return True


def member_care_job(session: Session, config, merchant_id: int, now: datetime) -> dict:
    """The daily job: the day's tasks, and a message to each member whose reminder's kind says so."""
    on = clock.local_date(now)
    created, reminders = fill_day(session, config, merchant_id, on, now)
    messaging = {kind.id for kind in enabled_kinds(config) if _wants_message(kind_entry(config, kind))}
    queued = 0
    if messaging:
        from ..messages import enqueue

        for reminder in reminders:
            if reminder.kind in messaging:
                queued += len(enqueue(session, merchant_id, member_id=reminder.member_id, kind=reminder.kind,
                                      variables=_json_ready(reminder.facts), occasion=reminder.occasion,
                                      now=now))
    return {"day": on.isoformat(), "reminders": len(reminders), "tasks_created": created, "messages": queued}


def _wants_message(entry: dict) -> bool:
    """The kind's entry says to message the member (``message``, core.reminders.catalogue)."""
    return entry.get("message") is True


MEMBER_CARE_JOB = Job("core.member_care", member_care_job, hour=8, minute=30,
                      description="the staff inbox's call list of the day, and reminder messages (issue 14)")


def _registered_stores(session: Session, merchant_id: int, member_ids: set[int]) -> dict[int, int | None]:
    """member id -> the store they registered at: a reminder without a store goes to it."""
    found: dict[int, int | None] = {}
    ids = sorted(member_ids)
    for start in range(0, len(ids), CHUNK):
        found.update(session.execute(select(Member.id, Member.registered_store_id).where(
            Member.merchant_id == merchant_id, Member.id.in_(ids[start:start + CHUNK]))).all())
    return found


def _json_ready(facts: dict) -> dict:
    """The facts as JSON (dates become YYYY-MM-DD): what the column and the templates hold."""
    return json.loads(json.dumps(facts or {}, default=str, ensure_ascii=False))
