"""Reading and working the inbox's tasks: list, done, snooze, note.

Who sees what: owners (and a manager of no store) every task; a store's staff the tasks of
their store plus those of members who registered at no store (nobody else's). A task of
another merchant or store is "not found", as if it did not exist.

The list of a day ``on`` holds the tasks to work then: open or snoozed ones whose ``due_on``
is ``on`` or up to ``CARRY_DAYS - 1`` days before (a call not made yesterday is still to make,
a birthday of last month is not). Snoozing moves ``due_on`` to the chosen day.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from .. import clock
from ..errors import Conflict, Forbidden, Invalid, NotFound, problem
from ..models import Card, CareTask, Member, Staff, Store
from ..text import INT64_MAX, text_problem

ACTIONS = ("done", "snooze", "note")
STATUS_FILTERS = ("open", "done", "snoozed", "all")
CARRY_DAYS = 7
MAX_SNOOZE_DAYS = 90
MAX_NOTE = 500
MAX_LIMIT = 500


@dataclass(frozen=True)
class Viewer:
    staff_id: int
    merchant_id: int
    role: str
    store_id: int | None

    @property
    def own_store_id(self) -> int | None:
        return self.store_id if self.role != "owner" else None


def _visible(viewer: Viewer) -> list:
    conditions = [CareTask.merchant_id == viewer.merchant_id]
    if viewer.own_store_id is not None:
        conditions.append(or_(CareTask.store_id == viewer.own_store_id, CareTask.store_id.is_(None)))
    return conditions


def _status_condition(status: str, on: date):
    window = and_(CareTask.due_on <= on, CareTask.due_on > on - timedelta(days=CARRY_DAYS))
    to_work = and_(CareTask.status.in_(("open", "snoozed")), window)
    start, end = clock.local_day_bounds(on)
    done = and_(CareTask.status == "done", CareTask.handled_at >= start, CareTask.handled_at < end)
    later = and_(CareTask.status == "snoozed", CareTask.due_on > on)
    return {"open": to_work, "done": done, "snoozed": later, "all": or_(to_work, done, later)}[status]


def list_tasks(session: Session, viewer: Viewer, on: date, *, status: str = "open",
               store_id: int | None = None, limit: int = 200, offset: int = 0) -> tuple[list[dict], int]:
    """The day's tasks the viewer may see (``store_id``: one store), oldest due first."""
    if status not in STATUS_FILTERS:
        raise Invalid("status must be one of " + ", ".join(STATUS_FILTERS),
                      details=[problem("/status", " | ".join(STATUS_FILTERS))])
    conditions = [*_visible(viewer), _status_condition(status, on)]
    names = _names(session, viewer.merchant_id)
    if store_id is not None:
        if store_id not in names["stores"]:
            raise Invalid("no such store", details=[problem("/store", "one of the merchant's stores")])
        if viewer.own_store_id is not None and store_id != viewer.own_store_id:
            raise Forbidden("you may see only your own store's inbox")
        conditions.append(CareTask.store_id == store_id)
    total = session.scalar(select(func.count(CareTask.id)).where(*conditions))
    rows = session.execute(
        select(CareTask, Member.name, Member.phone, Card.number)
        .join(Member, Member.id == CareTask.member_id)
        .outerjoin(Card, Card.id == CareTask.card_id)
        .where(*conditions)
        .order_by(CareTask.due_on, CareTask.kind, CareTask.id).limit(limit).offset(offset)).all()
    return [task_json(task, name, phone, number, names) for task, name, phone, number in rows], total


def get_task(session: Session, viewer: Viewer, task_id: int) -> CareTask:
    if not 0 < task_id <= INT64_MAX:  # a number past the id column is no task, not a 500
        raise NotFound("no such task in your inbox", code="not_found")
    task = session.scalar(select(CareTask).where(CareTask.id == task_id, *_visible(viewer)))
    if task is None:
        raise NotFound("no such task in your inbox", code="not_found")
    return task


def act(session: Session, viewer: Viewer, task: CareTask, action: str, *, today: date,
        until: date | None = None, note: str | None = None, now: datetime | None = None) -> dict:
    """Do ``action`` on ``task``; returns the audit's before/after. Invalid, or Conflict when
    the task is done already (done and snooze) so a second click changes nothing."""
    now = now or clock.now_utc()
    problems = []
    if action not in ACTIONS:
        problems.append(problem("/action", " | ".join(ACTIONS)))
    if note is not None:
        why = text_problem(note) if isinstance(note, str) else "text"
        if why or len(note.strip()) > MAX_NOTE:
            problems.append(problem("/note", why or f"at most {MAX_NOTE} characters"))
    if action == "note" and not (note or "").strip():
        problems.append(problem("/note", "the note's text"))
    if action == "snooze":
        if until is None:
            problems.append(problem("/until", "the day to call again, YYYY-MM-DD"))
        elif not today < until <= today + timedelta(days=MAX_SNOOZE_DAYS):
            problems.append(problem("/until", f"a day after today and at most {MAX_SNOOZE_DAYS} days ahead"))
    if problems:
        raise Invalid("the task was not changed: " + "; ".join(p["message"] for p in problems), details=problems)
    before = {"status": task.status, "due_on": task.due_on.isoformat(), "note": task.note}
    values: dict = {}
    if note is not None and note.strip():
        values["note"] = note.strip()
    guarded = [CareTask.id == task.id]
    if action == "done":
        values |= {"status": "done", "handled_by": viewer.staff_id, "handled_at": now}
        guarded.append(CareTask.status != "done")
    elif action == "snooze":
        values |= {"status": "snoozed", "snoozed_until": until, "due_on": until,
                   "handled_by": viewer.staff_id, "handled_at": now}
        guarded.append(CareTask.status != "done")
    changed = session.execute(update(CareTask).where(*guarded).values(**values)
                              .execution_options(synchronize_session=False)).rowcount
    if not changed:
        raise Conflict("this task is done already; nothing was changed", code="task_done")
    session.refresh(task)
    after = {"status": task.status, "due_on": task.due_on.isoformat(), "note": task.note}
    return {"before": before, "after": after}


def kind_titles(config) -> dict[str, dict]:
    """kind id -> its {"zh-CN", "en"} title, for every kind the merchant has."""
    from ..reminders import available_kinds

    return {kind_id: kind.title for kind_id, kind in available_kinds(config).items()}


def task_json(task: CareTask, name: str, phone: str, card_number: str | None, names: dict) -> dict:
    return {"id": task.id, "member_id": task.member_id, "member_name": name, "phone": phone,
            "card_id": task.card_id, "card_number": card_number, "store_id": task.store_id,
            "store": names["stores"].get(task.store_id, ""), "kind": task.kind,
            "occasion": task.occasion, "facts": task.facts or {}, "status": task.status,
            "due_on": task.due_on.isoformat(),
            "snoozed_until": task.snoozed_until.isoformat() if task.snoozed_until else None,
            "note": task.note, "handled_by": task.handled_by,
            "handled_by_name": names["staff"].get(task.handled_by, ""),
            "handled_at": task.handled_at.isoformat() if task.handled_at else None,
            "created_at": task.created_at.isoformat()}


def _names(session: Session, merchant_id: int) -> dict:
    return {"stores": dict(session.execute(select(Store.id, Store.name).where(Store.merchant_id == merchant_id)).all()),
            "staff": dict(session.execute(select(Staff.id, Staff.display_name).where(Staff.merchant_id == merchant_id)).all())}


def one_task_json(session: Session, task: CareTask) -> dict:
    name, phone = session.execute(select(Member.name, Member.phone).where(Member.id == task.member_id)).one()
    number = session.scalar(select(Card.number).where(Card.id == task.card_id)) if task.card_id else None
    return task_json(task, name, phone, number, _names(session, task.merchant_id))
