"""Shifts (交班/日结, issue 13 item 5): open, read the live figures, close, correct.

A staff member opens a shift at their store with an optional opening float. Every ledger
transaction they post at that store between the opening and the close belongs to it. The
figures per payment method are the ``shift_close`` report's (core.reports.shift_close:
sales, refunds, recharges, other moves, expected), computed by the same code from the same
sources as the rollups, over the shift's hours instead of whole days; so they are exact to
the fen, returns and refunds included. For cash the float is added: expected cash is what the
drawer should hold at the close.

Closing stores those figures with what was counted (cash at least; any money method may be
counted), the differences, and who closed it; the row is then immutable (database triggers,
migration 0014a). A later correction or remark is a ``ShiftNote``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import clock
from .errors import Conflict, Forbidden, Invalid, NotFound, problem
from .models import LedgerTransaction, Shift, ShiftCount, ShiftNote, Staff, Store
from .reports.money_common import method_name
from .reports.shift_close import empty_figures, method_figures
from .rollups.sources import collect_ledger, collect_sales
from .text import text_problem

_INSTANT = timedelta(microseconds=1)  # a transaction at the very instant of the close is in it
MAX_FEN = 100_000_000_000  # 10亿 yuan: a larger float or count is a typing mistake
MAX_NOTE = 200
MAX_NOTE_TEXT = 500
CASH = "cash"
FIGURES = ("checkouts", "sales_fen", "refunds_fen", "recharges_fen", "other_fen")


@dataclass(frozen=True)
class Viewer:
    """Who asks: owners see every shift, a store's manager their store's (a manager of no
    store: all), a cashier their own."""

    staff_id: int
    merchant_id: int
    role: str
    store_id: int | None


def open_shift(session: Session, viewer: Viewer, *, opening_float_fen: int = 0, note: str = "",
               now: datetime | None = None) -> Shift:
    """Open the viewer's shift at their store. 409 if they already have an open one."""
    problems = _amount_problems("/opening_float_fen", opening_float_fen) + _note_problems("/note", note, MAX_NOTE)
    if problems:
        raise Invalid("the shift cannot be opened: " + "; ".join(p["message"] for p in problems),
                      details=problems)
    if current_shift(session, viewer) is not None:
        raise Conflict("you already have an open shift; close it before opening another",
                       code="shift_already_open")
    shift = Shift(merchant_id=viewer.merchant_id, store_id=viewer.store_id, staff_id=viewer.staff_id,
                  opened_at=now or clock.now_utc(), opening_float_fen=opening_float_fen,
                  note=note.strip())
    try:
        session.add(shift)
        session.flush()
    except IntegrityError:  # the same staff member opened one a moment ago (a double click)
        raise Conflict("you already have an open shift; close it before opening another",
                       code="shift_already_open") from None
    return shift


def current_shift(session: Session, viewer: Viewer) -> Shift | None:
    return session.scalar(select(Shift).where(Shift.merchant_id == viewer.merchant_id,
                                              Shift.staff_id == viewer.staff_id,
                                              Shift.closed_at.is_(None)))


def get_shift(session: Session, viewer: Viewer, shift_id: int) -> Shift:
    """The shift, if the viewer may see it (else 404, as for a shift of another merchant)."""
    shift = session.scalar(select(Shift).where(Shift.id == shift_id, Shift.merchant_id == viewer.merchant_id,
                                               *_visible(viewer)))
    if shift is None:
        raise NotFound(f"shift {shift_id} does not exist", code="shift_not_found")
    return shift


def _visible(viewer: Viewer) -> list:
    if viewer.role == "owner" or (viewer.role == "manager" and viewer.store_id is None):
        return []
    if viewer.role == "manager":
        return [or_(Shift.store_id == viewer.store_id, Shift.staff_id == viewer.staff_id)]
    return [Shift.staff_id == viewer.staff_id]


def live_lines(session: Session, shift: Shift, until: datetime | None = None) -> list[dict]:
    """Per payment method: the shift's figures from its opening until ``until`` (included;
    None: up to now), with the float in expected cash. Cash is always there (first); methods
    that take no money in (stored value, points) have ``expected_fen`` None."""
    until = (until + _INSTANT) if until is not None else None
    found = window_figures(session, shift.merchant_id, shift.staff_id, shift.store_id, shift.opened_at, until)
    cash = found.setdefault(CASH, empty_figures())
    cash["expected_fen"] = (cash["expected_fen"] or 0) + shift.opening_float_fen
    return [{"method": method, "method_name": method_name(method), **{k: found[method][k] for k in FIGURES},
             "expected_fen": found[method]["expected_fen"], "counted_fen": None, "difference_fen": None}
            for method in sorted(found, key=_method_order)]


def _method_order(method: str) -> tuple:
    return (method != CASH, not method.startswith("external_"), method)


def window_figures(session: Session, merchant_id: int, staff_id: int, store_id: int | None,
                   since: datetime, until: datetime | None) -> dict[str, dict]:
    """method -> shift_close's figures of ``staff_id``'s transactions at ``store_id`` in
    [since, until) (until None: no end). The ids of those transactions bound the range read (an index on
    merchant, staff and time), so a shift reads its own hours, not the merchant's history."""
    t = LedgerTransaction
    window = [t.created_at >= since, *([t.created_at < until] if until is not None else [])]
    first, last = session.execute(
        select(func.min(t.id), func.max(t.id)).where(t.merchant_id == merchant_id, t.staff_id == staff_id,
                                                      *window)).one()
    if first is None:
        return {}
    store = store_id or 0  # the rollups' "no store"
    ranges = {"merchant_id": merchant_id, "since": since, "until": until}
    sales = {tuple(key[1:]): values for key, values in collect_sales(session, first - 1, last, **ranges).items()
             if key[3] == staff_id and key[2] == store}
    ledger = {tuple(key[1:]): values for key, values in collect_ledger(session, first - 1, last, **ranges).items()
              if key[3] == staff_id and key[2] == store}
    return {method: row for (staff, method), row in method_figures(session, merchant_id, sales, ledger).items()
            if staff == staff_id}


def close_shift(session: Session, viewer: Viewer, shift: Shift, *, counted: dict, note: str = "",
                now: datetime | None = None) -> Shift:
    """Close ``shift`` with the amounts counted (method -> fen; cash required). Only its own
    staff member, or an owner or manager who sees it, may close it; only once (409)."""
    if shift.staff_id != viewer.staff_id and viewer.role not in ("owner", "manager"):
        raise Forbidden("only the shift's cashier, an owner or a manager may close it")
    if shift.closed_at is not None:
        raise Conflict("this shift is already closed; add a note to correct it", code="shift_closed")
    now = now or clock.now_utc()
    if now < shift.opened_at:
        now = shift.opened_at  # a clock set back on the till must not make the close fail
    lines = live_lines(session, shift, now)
    by_method = {line["method"]: line for line in lines}
    problems = _note_problems("/note", note, MAX_NOTE)
    if not isinstance(counted, dict):
        counted = {}
        problems.append(problem("/counted", "an object: payment method -> amount counted in fen"))
    if CASH not in counted:
        problems.append(problem("/counted/cash", "count the cash in the drawer (0 if empty)"))
    for method, amount in counted.items():
        line = by_method.get(method)
        if method != CASH and (line is None or line["expected_fen"] is None):
            problems.append(problem(f"/counted/{method}", "not a payment method of this shift that takes money in"))
        problems += _amount_problems(f"/counted/{method}", amount)
    if problems:
        raise Invalid("the shift cannot be closed: " + "; ".join(p["message"] for p in problems),
                      details=problems)
    total_difference = 0
    for line in lines:
        if line["method"] in counted:
            line["counted_fen"] = counted[line["method"]]
            line["difference_fen"] = line["counted_fen"] - line["expected_fen"]
            total_difference += line["difference_fen"]
    cash = by_method[CASH]
    closed = session.execute(
        update(Shift).where(Shift.id == shift.id, Shift.closed_at.is_(None))
        .values(closed_at=now, closed_by=viewer.staff_id, cash_expected_fen=cash["expected_fen"],
                cash_counted_fen=cash["counted_fen"], difference_fen=total_difference,
                note=(note.strip() or shift.note)[:MAX_NOTE])
        .execution_options(synchronize_session=False))
    if closed.rowcount != 1:  # closed by someone else in the meantime
        raise Conflict("this shift is already closed; add a note to correct it", code="shift_closed")
    session.add_all(ShiftCount(merchant_id=shift.merchant_id, shift_id=shift.id, method=line["method"],
                               **{k: line[k] for k in FIGURES}, expected_fen=line["expected_fen"],
                               counted_fen=line["counted_fen"], difference_fen=line["difference_fen"])
                    for line in lines)
    session.flush()
    session.refresh(shift)
    return shift


def stored_lines(session: Session, shift: Shift) -> list[dict]:
    counts = session.scalars(select(ShiftCount).where(ShiftCount.shift_id == shift.id)).all()
    return [{"method": c.method, "method_name": method_name(c.method), **{k: getattr(c, k) for k in FIGURES},
             "expected_fen": c.expected_fen, "counted_fen": c.counted_fen, "difference_fen": c.difference_fen}
            for c in sorted(counts, key=lambda c: _method_order(c.method))]


def lines(session: Session, shift: Shift) -> list[dict]:
    """What the shift's page shows: the stored close, or the live figures of an open shift."""
    return stored_lines(session, shift) if shift.closed_at is not None else live_lines(session, shift)


def add_note(session: Session, viewer: Viewer, shift: Shift, *, text: str, amount_fen: int | None = None,
             now: datetime | None = None) -> ShiftNote:
    """A remark or a correction (e.g. +1000 fen found under the drawer) on a shift."""
    problems = _note_problems("/text", text, MAX_NOTE_TEXT)
    if not (text or "").strip():
        problems.append(problem("/text", "write what the note is about"))
    if amount_fen is not None and (not isinstance(amount_fen, int) or isinstance(amount_fen, bool)
                                   or abs(amount_fen) > MAX_FEN):
        problems.append(problem("/amount_fen", f"an integer number of fen from -{MAX_FEN} to {MAX_FEN}"))
    if problems:
        raise Invalid("the note cannot be added: " + "; ".join(p["message"] for p in problems), details=problems)
    note = ShiftNote(merchant_id=shift.merchant_id, shift_id=shift.id, staff_id=viewer.staff_id,
                     created_at=now or clock.now_utc(), text=text.strip(), amount_fen=amount_fen)
    session.add(note)
    session.flush()
    return note


def notes(session: Session, shift: Shift) -> list[ShiftNote]:
    return list(session.scalars(select(ShiftNote).where(ShiftNote.shift_id == shift.id).order_by(ShiftNote.id)))


def list_shifts(session: Session, viewer: Viewer, *, since: datetime | None = None,
                until: datetime | None = None, store_id: int | None = None, staff_id: int | None = None,
                state: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[Shift], int]:
    """Shifts the viewer may see, newest first, opened in [since, until), and how many."""
    where = [Shift.merchant_id == viewer.merchant_id, *_visible(viewer)]
    if since is not None:
        where.append(Shift.opened_at >= since)
    if until is not None:
        where.append(Shift.opened_at < until)
    if store_id is not None:
        where.append(Shift.store_id == store_id)
    if staff_id is not None:
        where.append(Shift.staff_id == staff_id)
    if state == "open":
        where.append(Shift.closed_at.is_(None))
    elif state == "closed":
        where.append(Shift.closed_at.is_not(None))
    total = session.scalar(select(func.count()).select_from(Shift).where(and_(*where)))
    found = session.scalars(select(Shift).where(*where).order_by(Shift.opened_at.desc(), Shift.id.desc())
                            .limit(limit).offset(offset)).all()
    return list(found), total


def names(session: Session, merchant_id: int) -> tuple[dict[int, str], dict[int, str]]:
    """(staff id -> shown name, store id -> name) of the merchant, to label shifts."""
    staff = {i: d or u for i, d, u in session.execute(
        select(Staff.id, Staff.display_name, Staff.username).where(Staff.merchant_id == merchant_id))}
    stores = dict(session.execute(select(Store.id, Store.name).where(Store.merchant_id == merchant_id)).all())
    return staff, stores


def note_totals(session: Session, shift_ids: list[int]) -> dict[int, int]:
    """shift id -> the sum of its notes' corrections."""
    if not shift_ids:
        return {}
    return {shift_id: int(total) for shift_id, total in session.execute(
        select(ShiftNote.shift_id, func.coalesce(func.sum(ShiftNote.amount_fen), 0))
        .where(ShiftNote.shift_id.in_(shift_ids)).group_by(ShiftNote.shift_id))}


def _amount_problems(pointer: str, value) -> list[dict]:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_FEN:
        return [problem(pointer, f"a whole number of fen from 0 to {MAX_FEN}")]
    return []


def _note_problems(pointer: str, note, limit: int) -> list[dict]:
    if not isinstance(note, str):
        return [problem(pointer, "text")]
    if len(note) > limit:
        return [problem(pointer, f"at most {limit} characters")]
    found = text_problem(note)
    return [problem(pointer, found)] if found else []
