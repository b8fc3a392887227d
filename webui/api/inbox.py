"""The staff inbox (issue 14 item 2): the day's member-care call list, and working a task.

``GET /inbox`` lists the tasks of a merchant-local day (today unless ``on``); opening today's
list fills it from the reminders if the daily job has not yet (core.inbox.ensure_filled).
Owners see every store's tasks, other staff their own store's (and those of members who
registered at no store). ``POST /inbox/<id>`` marks a task done, snoozes it to a later day or
notes it; each change is audited (``inbox.done``, ``inbox.snooze``, ``inbox.note``).
"""
from __future__ import annotations

from flask import request

from core import inbox
from core import clock
from core.clock import local_date, parse_date
from core.config_versions import published_config
from core.errors import Invalid, problem

from . import schemas
from ..audit import record_here
from ..extension import huika
from .operations import caller, int_query, json_body, operation

TASK = {
    "type": "object",
    "required": ["id", "member_id", "member_name", "phone", "card_number", "store_id", "kind", "kind_title",
                 "occasion", "facts", "status", "due_on", "snoozed_until", "note", "handled_by", "handled_at"],
    "properties": {
        "id": {"type": "integer"}, "member_id": {"type": "integer"}, "member_name": {"type": "string"},
        "phone": {"type": "string", "description": "the number to call"},
        "card_id": schemas.NULLABLE_INT, "card_number": schemas.NULLABLE_STRING,
        "store_id": {**schemas.NULLABLE_INT, "description": "the member's store; null: registered at no store"},
        "store": {"type": "string"},
        "kind": {"type": "string", "description": "the reminder kind: birthday, low_balance, points_expiry …"},
        "kind_title": {"type": "object", "description": '{"zh-CN", "en"}'},
        "occasion": {"type": "string", "description": "the happening, e.g. birthday:2026-12-06"},
        "facts": {"type": "object", "description": "the reminder's facts (balance_fen, expires_on, days_left …)"},
        "status": {"enum": ["open", "done", "snoozed"]},
        "due_on": {"type": "string", "format": "date", "description": "the local day it is to be worked"},
        "snoozed_until": {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]},
        "note": {"type": "string"}, "handled_by": schemas.NULLABLE_INT, "handled_by_name": {"type": "string"},
        "handled_at": {"anyOf": [schemas.DATE_TIME, {"type": "null"}]}, "created_at": schemas.DATE_TIME,
    },
}
TASK_LIST = {"type": "object", "required": ["on", "tasks", "total", "limit", "offset"],
             "properties": {"on": {"type": "string", "format": "date"}, "tasks": {"type": "array", "items": TASK},
                            "total": {"type": "integer"}, "limit": {"type": "integer"},
                            "offset": {"type": "integer"}}}
ACTION_INPUT = {
    "type": "object", "additionalProperties": False, "required": ["action"],
    "properties": {
        "action": {"enum": list(inbox.ACTIONS),
                   "description": "done: called/handled; snooze: call again on `until`; note: keep a remark"},
        "until": {"type": "string", "format": "date", "description": "snooze: the local day to call again"},
        "note": {"type": "string", "maxLength": inbox.MAX_NOTE, "description": "a remark (any action)"},
    },
}
NOT_FOUND = ("No such task (or not one the caller may see)", schemas.ERROR)


def viewer() -> inbox.Viewer:
    who = caller()
    return inbox.Viewer(who.staff_id, who.merchant_id, who.role, who.store_id)


def parse_list_query(args, today) -> dict:
    """The list's query from text, or Invalid naming each bad parameter (shared with the pages)."""
    problems, found = [], {"on": today}
    raw = (args.get("on") or "").strip()
    if raw:
        try:
            found["on"] = parse_date(raw)
        except ValueError:
            problems.append(problem("/on", "a date as YYYY-MM-DD (the merchant's local day)"))
    status = args.get("status") or "open"
    if status not in inbox.STATUS_FILTERS:
        problems.append(problem("/status", " | ".join(inbox.STATUS_FILTERS)))
    found["status"] = status
    for name, key, default, low, high in (("store", "store_id", None, 1, 2 ** 63 - 1),
                                           ("limit", "limit", 200, 1, inbox.MAX_LIMIT),
                                           ("offset", "offset", 0, 0, 100_000)):
        try:
            found[key] = int_query(args, name, default, minimum=low, maximum=high)
        except Invalid as error:
            problems += error.details
    if problems:
        raise Invalid("the inbox filters are not valid", details=problems)
    return found


def listing(who: inbox.Viewer, args) -> dict:
    """The list as the API answers it; fills today first when the job has not."""
    db, registry = huika().db, huika().plugins
    today = local_date(clock.now_utc())
    query = parse_list_query(args, today)
    if query["on"] == today:
        inbox.ensure_filled(db, registry, who.merchant_id, today)
    with db.read() as session:
        tasks, total = inbox.list_tasks(session, who, query["on"], status=query["status"],
                                        store_id=query["store_id"], limit=query["limit"], offset=query["offset"])
        titles = inbox.kind_titles(published_config(session, who.merchant_id, registry))
    for task in tasks:
        task["kind_title"] = titles.get(task["kind"], {"zh-CN": task["kind"], "en": task["kind"]})
    return {"on": query["on"].isoformat(), "tasks": tasks, "total": total, "limit": query["limit"],
            "offset": query["offset"]}


def work(who: inbox.Viewer, task_id: int, body: dict) -> dict:
    """Do the body's action on the task, audited; returns the task as the API shows it."""
    until = None
    if body.get("until") not in (None, ""):
        try:
            until = parse_date(body["until"])
        except (ValueError, TypeError):
            raise Invalid("until must be a date as YYYY-MM-DD",
                          details=[problem("/until", "a date as YYYY-MM-DD")]) from None
    db, registry = huika().db, huika().plugins
    with db.write() as session:
        task = inbox.get_task(session, who, task_id)
        change = inbox.act(session, who, task, body.get("action"), today=local_date(clock.now_utc()), until=until,
                           note=body.get("note"))
        record_here(session, f"inbox.{body['action']}", f"care_task:{task.id}",
                    before=change["before"], after={**change["after"], "member_id": task.member_id,
                                                    "kind": task.kind, "occasion": task.occasion})
        answer = inbox.one_task_json(session, task)
        titles = inbox.kind_titles(published_config(session, who.merchant_id, registry))
    answer["kind_title"] = titles.get(answer["kind"], {"zh-CN": answer["kind"], "en": answer["kind"]})
    return answer


@operation("/inbox", "GET", operation_id="listInboxTasks", tag="inbox", summary="List the inbox's tasks",
           query=[("on", {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "maxLength": 0}]},
                   "the merchant-local day (empty: today)"),
                  ("status", {"enum": list(inbox.STATUS_FILTERS)},
                   "open (default: open and snoozed tasks due that day or in the 6 days before), "
                   "done (done that day), snoozed (snoozed to a later day), all"),
                  ("store", {"type": "integer", "minimum": 1}, "one store's tasks (staff of a store: theirs)"),
                  ("limit", {"type": "integer", "minimum": 1, "maximum": inbox.MAX_LIMIT}, "page size (200)"),
                  ("offset", {"type": "integer", "minimum": 0, "maximum": 100000}, "rows to skip")],
           responses={200: ("The day's call list, oldest due first", TASK_LIST),
                      403: ("Another store's inbox", schemas.ERROR),
                      422: ("A filter is not valid", schemas.ERROR)})
def list_inbox():
    return listing(viewer(), request.args)


@operation("/inbox/<int:task_id>", "POST", operation_id="workInboxTask", tag="inbox",
           summary="Mark an inbox task done, snooze or note it", request_schema=ACTION_INPUT,
           responses={200: ("The task as it is now", TASK), 404: NOT_FOUND,
                      409: ("The task is done already; nothing was changed", schemas.ERROR),
                      422: ("Invalid action; nothing was changed", schemas.ERROR)})
def work_inbox_task(task_id: int):
    return work(viewer(), task_id, json_body())
