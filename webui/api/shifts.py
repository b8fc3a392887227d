"""Shifts (交班/日结, issue 13 item 5): open, read the current one, close, list, correct.

The figures per payment method are the shift_close report's over the shift's hours
(core.shifts). Owners see every shift; a store's manager those of their store; a cashier
their own. Closing is audited (``shift.close``), notes too (``shift.note``).
"""
from __future__ import annotations

from flask import request

from core import shifts as shift_service
from core.clock import local_day_bounds, parse_date
from core.errors import Invalid, NotFound, problem

from . import schemas
from ..audit import record_here
from ..extension import huika
from .operations import caller, int_query, json_body, operation

FEN = {"type": "integer", "minimum": 0, "maximum": shift_service.MAX_FEN}
LINE = {
    "type": "object",
    "required": ["method", "method_name", "checkouts", "sales_fen", "refunds_fen", "recharges_fen",
                 "other_fen", "expected_fen", "counted_fen", "difference_fen"],
    "properties": {
        "method": {"type": "string", "description": "cash, external_wechat, stored_value …"},
        "method_name": {"type": "string"},
        "checkouts": {"type": "integer"}, "sales_fen": {"type": "integer"},
        "refunds_fen": {"type": "integer"}, "recharges_fen": {"type": "integer"},
        "other_fen": {"type": "integer"},
        "expected_fen": {**schemas.NULLABLE_INT,
                         "description": "what the method should hold (cash: with the float); null "
                                        "for methods that take no money in (stored value, points)"},
        "counted_fen": schemas.NULLABLE_INT,
        "difference_fen": {**schemas.NULLABLE_INT, "description": "counted - expected"},
    },
}
NOTE = {
    "type": "object", "required": ["id", "at", "staff_id", "text", "amount_fen"],
    "properties": {"id": {"type": "integer"}, "at": schemas.DATE_TIME, "staff_id": schemas.NULLABLE_INT,
                   "text": {"type": "string"}, "amount_fen": schemas.NULLABLE_INT},
}
SHIFT_SUMMARY = {
    "type": "object",
    "required": ["id", "state", "staff_id", "staff", "store_id", "store", "opened_at", "opening_float_fen",
                 "closed_at", "closed_by", "cash_expected_fen", "cash_counted_fen", "difference_fen",
                 "corrections_fen", "note"],
    "properties": {
        "id": {"type": "integer"}, "state": {"enum": ["open", "closed"]},
        "staff_id": {"type": "integer"}, "staff": {"type": "string"},
        "store_id": schemas.NULLABLE_INT, "store": {"type": "string"},
        "opened_at": schemas.DATE_TIME, "opening_float_fen": {"type": "integer"},
        "closed_at": {"anyOf": [schemas.DATE_TIME, {"type": "null"}]}, "closed_by": schemas.NULLABLE_INT,
        "cash_expected_fen": schemas.NULLABLE_INT, "cash_counted_fen": schemas.NULLABLE_INT,
        "difference_fen": {**schemas.NULLABLE_INT, "description": "counted - expected over the counted methods"},
        "corrections_fen": {"type": "integer", "description": "the sum of the notes' amounts"},
        "note": {"type": "string"},
    },
}
SHIFT = {**SHIFT_SUMMARY, "required": [*SHIFT_SUMMARY["required"], "lines", "notes"],
         "properties": {**SHIFT_SUMMARY["properties"], "lines": {"type": "array", "items": LINE},
                        "notes": {"type": "array", "items": NOTE}}}
SHIFT_LIST = {"type": "object", "required": ["shifts", "total", "limit", "offset"],
              "properties": {"shifts": {"type": "array", "items": SHIFT_SUMMARY}, "total": {"type": "integer"},
                             "limit": {"type": "integer"}, "offset": {"type": "integer"}}}
OPEN_INPUT = {"type": "object", "additionalProperties": False,
              "properties": {"opening_float_fen": {**FEN, "description": "cash put in the drawer (备用金)"},
                             "note": {"type": "string", "maxLength": shift_service.MAX_NOTE}}}
CLOSE_INPUT = {"type": "object", "additionalProperties": False, "required": ["counted"],
               "properties": {"counted": {"type": "object", "required": ["cash"],
                                          "additionalProperties": FEN,
                                          "propertyNames": {"maxLength": 60},
                                          "description": "payment method -> amount counted, in fen"},
                              "note": {"type": "string", "maxLength": shift_service.MAX_NOTE}}}
NOTE_INPUT = {"type": "object", "additionalProperties": False, "required": ["text"],
              "properties": {"text": {"type": "string", "minLength": 1, "maxLength": shift_service.MAX_NOTE_TEXT},
                             "amount_fen": {"type": "integer", "minimum": -shift_service.MAX_FEN,
                                            "maximum": shift_service.MAX_FEN,
                                            "description": "a correction of the difference, + or -"}}}
DATE = {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "maxLength": 0}]}
NOT_FOUND = ("No such shift (or not one the caller may see)", schemas.ERROR)


def viewer() -> shift_service.Viewer:
    who = caller()
    return shift_service.Viewer(who.staff_id, who.merchant_id, who.role, who.store_id)


def summary_json(shift, staff_names: dict, store_names: dict, corrections: int = 0) -> dict:
    return {"id": shift.id, "state": "open" if shift.closed_at is None else "closed",
            "staff_id": shift.staff_id, "staff": staff_names.get(shift.staff_id, ""),
            "store_id": shift.store_id, "store": store_names.get(shift.store_id, ""),
            "opened_at": shift.opened_at.isoformat(), "opening_float_fen": shift.opening_float_fen,
            "closed_at": shift.closed_at.isoformat() if shift.closed_at else None,
            "closed_by": shift.closed_by, "cash_expected_fen": shift.cash_expected_fen,
            "cash_counted_fen": shift.cash_counted_fen, "difference_fen": shift.difference_fen,
            "corrections_fen": corrections, "note": shift.note}


def shift_json(session, shift) -> dict:
    staff_names, store_names = shift_service.names(session, shift.merchant_id)
    found_notes = shift_service.notes(session, shift)
    return {**summary_json(shift, staff_names, store_names, sum(n.amount_fen or 0 for n in found_notes)),
            "lines": shift_service.lines(session, shift),
            "notes": [{"id": n.id, "at": n.created_at.isoformat(), "staff_id": n.staff_id, "text": n.text,
                       "amount_fen": n.amount_fen} for n in found_notes]}


@operation("/shifts", "POST", operation_id="openShift", tag="shifts", summary="Open a shift",
           request_schema=OPEN_INPUT,
           responses={201: ("The new shift, at the caller's store", SHIFT),
                      409: ("The caller already has an open shift", schemas.ERROR),
                      422: ("Invalid input; nothing was saved", schemas.ERROR)})
def open_shift():
    body = json_body()
    with huika().db.write() as session:
        shift = shift_service.open_shift(session, viewer(), opening_float_fen=body.get("opening_float_fen", 0),
                                         note=body.get("note", ""))
        record_here(session, "shift.open", f"shift:{shift.id}",
                    after={"opening_float_fen": shift.opening_float_fen, "store_id": shift.store_id})
        return shift_json(session, shift), 201


@operation("/shifts/current", "GET", operation_id="getCurrentShift", tag="shifts",
           summary="Read the caller's open shift",
           responses={200: ("The open shift with its figures so far", SHIFT),
                      404: ("The caller has no open shift", schemas.ERROR)})
def current_shift():
    with huika().db.read() as session:
        shift = shift_service.current_shift(session, viewer())
        if shift is None:
            raise NotFound("you have no open shift; open one first", code="no_open_shift")
        return shift_json(session, shift)


@operation("/shifts/<int:shift_id>", "GET", operation_id="getShift", tag="shifts", summary="Read a shift",
           responses={200: ("The shift: live figures if open, the stored close if closed", SHIFT),
                      404: NOT_FOUND})
def get_shift(shift_id: int):
    with huika().db.read() as session:
        return shift_json(session, shift_service.get_shift(session, viewer(), shift_id))


@operation("/shifts/<int:shift_id>/close", "POST", operation_id="closeShift", tag="shifts",
           summary="Close a shift", request_schema=CLOSE_INPUT,
           responses={200: ("The closed shift", SHIFT), 403: ("Not the caller's shift", schemas.ERROR),
                      404: NOT_FOUND, 409: ("Already closed", schemas.ERROR),
                      422: ("Invalid counts; nothing was saved", schemas.ERROR)})
def close_shift(shift_id: int):
    body = json_body()
    with huika().db.write() as session:
        who = viewer()
        shift = shift_service.get_shift(session, who, shift_id)
        shift_service.close_shift(session, who, shift, counted=body["counted"], note=body.get("note", ""))
        answer = shift_json(session, shift)
        record_here(session, "shift.close", f"shift:{shift.id}",
                    after={key: answer[key] for key in ("staff_id", "store_id", "opened_at", "closed_at",
                                                        "opening_float_fen", "cash_expected_fen",
                                                        "cash_counted_fen", "difference_fen")}
                    | {"counted": body["counted"]})
        return answer


@operation("/shifts/<int:shift_id>/notes", "POST", operation_id="addShiftNote", tag="shifts",
           summary="Add a note or correction to a shift", request_schema=NOTE_INPUT,
           responses={201: ("The shift with the note", SHIFT), 404: NOT_FOUND,
                      422: ("Invalid note; nothing was saved", schemas.ERROR)})
def add_shift_note(shift_id: int):
    body = json_body()
    with huika().db.write() as session:
        who = viewer()
        shift = shift_service.get_shift(session, who, shift_id)
        note = shift_service.add_note(session, who, shift, text=body["text"], amount_fen=body.get("amount_fen"))
        record_here(session, "shift.note", f"shift:{shift.id}",
                    after={"text": note.text, "amount_fen": note.amount_fen})
        return shift_json(session, shift), 201


@operation("/shifts", "GET", operation_id="listShifts", tag="shifts", summary="List shifts",
           query=[("from", DATE, "first local date (Asia/Shanghai) opened, included"),
                  ("to", DATE, "last local date opened, included"),
                  ("store", {"type": "integer", "minimum": 1}, "one store's shifts"),
                  ("staff", {"type": "integer", "minimum": 1}, "one staff member's shifts"),
                  ("state", {"enum": ["open", "closed"]}, "open or closed shifts only"),
                  ("limit", {"type": "integer", "minimum": 1, "maximum": 200}, "page size (50)"),
                  ("offset", {"type": "integer", "minimum": 0, "maximum": 100000}, "rows to skip")],
           responses={200: ("Newest first: all the merchant's (owners), the store's (a store's "
                            "manager), the caller's own (cashiers)", SHIFT_LIST),
                      422: ("A filter is not valid", schemas.ERROR)})
def list_shifts():
    filters = parse_filters(request.args)
    with huika().db.read() as session:
        found, total = shift_service.list_shifts(session, viewer(), **filters)
        staff_names, store_names = shift_service.names(session, caller().merchant_id)
        corrections = shift_service.note_totals(session, [shift.id for shift in found])
        return {"shifts": [summary_json(shift, staff_names, store_names, corrections.get(shift.id, 0))
                           for shift in found],
                "total": total, "limit": filters["limit"], "offset": filters["offset"]}


def parse_filters(args) -> dict:
    """The list's query, or Invalid naming every bad parameter (shared with the pages)."""
    problems, result = [], {}
    for name, index in (("from", 0), ("to", 1)):
        raw = args.get(name) or ""
        bound = None
        if raw:
            try:
                bound = local_day_bounds(parse_date(raw))[index]
            except ValueError:
                problems.append(problem(f"/{name}", "a date YYYY-MM-DD"))
        result["since" if name == "from" else "until"] = bound
    for name, key, default, low, high in (("store", "store_id", None, 1, 2 ** 63 - 1),
                                           ("staff", "staff_id", None, 1, 2 ** 63 - 1),
                                           ("limit", "limit", 50, 1, 200), ("offset", "offset", 0, 0, 100000)):
        try:
            result[key] = int_query(args, name, default, minimum=low, maximum=high)
        except Invalid as error:
            problems += error.details
    state = args.get("state") or None
    if state not in (None, "open", "closed"):
        problems.append(problem("/state", "open or closed"))
    result["state"] = state
    if problems:
        raise Invalid("the shift filters are not valid", details=problems)
    return result
