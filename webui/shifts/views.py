"""The shift pages. Amounts are typed in yuan (webui.money, no floats) and shown in
yuan; everything else — who sees which shift, what is expected, the close — is core.shifts'."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from core import shifts as shift_service
from core.errors import Conflict, Forbidden, HuikaError, Invalid, NotFound
from core.reports.money_common import method_name

from ..api.shifts import parse_filters
from ..audit import record_here
from ..auth import current_staff, login_required
from ..money import BadAmount, local_time, parse_yuan, yuan
from ..extension import huika

bp = Blueprint("shifts", __name__, url_prefix="/shifts")
STAFF_ROLES = ("cashier", "manager", "owner")
MANAGERS = ("owner", "manager")
PAPER_WIDTHS = ("80", "58")


class OpenForm(FlaskForm):
    opening_float = StringField("opening_float", validators=[Length(max=20)])


class NoteForm(FlaskForm):
    text = TextAreaField("text", validators=[Length(max=shift_service.MAX_NOTE_TEXT)])
    amount = StringField("amount", validators=[Length(max=20)])


@bp.context_processor
def _helpers() -> dict:
    return {"yuan": yuan, "local_time": local_time, "method_title": method_title}


def method_title(method: str) -> str:
    """A payment method in the page's language (core's Chinese name for one a plugin adds)."""
    titles = {"cash": _("Cash"), "external_wechat": _("WeChat Pay"), "external_alipay": _("Alipay"),
              "stored_value": _("Stored value"), "points": _("Points as cash")}
    return titles.get(method) or method_name(method)


def viewer() -> shift_service.Viewer:
    staff = current_staff()
    return shift_service.Viewer(staff.id, staff.merchant_id, staff.role, staff.store_id)


@bp.get("/")
@login_required(*STAFF_ROLES)
def index():
    """The cashier's 交班 page: open a shift, or count and close the open one."""
    with huika().db.read() as session:
        shift = shift_service.current_shift(session, viewer())
        lines = shift_service.live_lines(session, shift) if shift is not None else []
        _staff, store_names = shift_service.names(session, viewer().merchant_id)
        return render_template("shifts/index.html", shift=shift, lines=lines, open_form=OpenForm(),
                               close_form=FlaskForm(), store_names=store_names, counted={}, errors={})


@bp.post("/open")
@login_required(*STAFF_ROLES)
def open_shift():
    form = OpenForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        opening = parse_yuan(form.opening_float.data or "0")
        with huika().db.write() as session:
            shift = shift_service.open_shift(session, viewer(), opening_float_fen=opening)
            record_here(session, "shift.open", f"shift:{shift.id}",
                        after={"opening_float_fen": shift.opening_float_fen, "store_id": shift.store_id})
    except BadAmount as error:
        flash(str(error), "error")
    except Conflict:
        flash(_("You already have an open shift."), "error")
    else:
        flash(_("Shift opened. Good work!"))
    return redirect(url_for("shifts.index"))


@bp.post("/<int:shift_id>/close")
@login_required(*STAFF_ROLES)
def close_shift(shift_id: int):
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    typed = {key.removeprefix("counted_"): value for key, value in request.form.items()
             if key.startswith("counted_") and len(key) <= 70}
    counted, errors = {}, {}
    for method, text in typed.items():
        if not text.strip() and method != shift_service.CASH:
            continue  # other methods are counted only if the cashier wants to
        try:
            counted[method] = parse_yuan(text)
        except BadAmount as error:
            errors[method] = str(error)
    if shift_service.CASH not in typed or not typed[shift_service.CASH].strip():
        errors[shift_service.CASH] = _("Count the cash in the drawer and type the amount (0 if it is empty).")
    note = request.form.get("note", "")[:shift_service.MAX_NOTE]
    if not errors:
        try:
            with huika().db.write() as session:
                who = viewer()
                shift = shift_service.get_shift(session, who, shift_id)
                shift_service.close_shift(session, who, shift, counted=counted, note=note)
                record_here(session, "shift.close", f"shift:{shift.id}",
                            after={"staff_id": shift.staff_id, "store_id": shift.store_id,
                                   "opening_float_fen": shift.opening_float_fen,
                                   "cash_expected_fen": shift.cash_expected_fen,
                                   "cash_counted_fen": shift.cash_counted_fen,
                                   "difference_fen": shift.difference_fen, "counted": counted})
        except NotFound:
            abort(404)
        except Forbidden:
            abort(403)
        except Conflict:
            flash(_("This shift is already closed."), "error")
            return redirect(url_for("shifts.summary", shift_id=shift_id))
        except Invalid as error:
            errors = {d["pointer"].removeprefix("/counted/"): _("This amount cannot be counted here.")
                      for d in error.details or []}
        else:
            flash(_("Shift closed."))
            return redirect(url_for("shifts.summary", shift_id=shift_id))
    with huika().db.read() as session:
        try:
            shift = shift_service.get_shift(session, viewer(), shift_id)
        except NotFound:
            abort(404)
        lines = shift_service.lines(session, shift)
        _staff, store_names = shift_service.names(session, viewer().merchant_id)
        return render_template("shifts/index.html", shift=shift, lines=lines, open_form=OpenForm(),
                               close_form=form, store_names=store_names, counted=typed, errors=errors), 422


@bp.get("/<int:shift_id>")
@login_required(*STAFF_ROLES)
def summary(shift_id: int):
    """A shift's summary: printable on till paper (?paper=58 or 80), with its notes."""
    with huika().db.read() as session:
        try:
            shift = shift_service.get_shift(session, viewer(), shift_id)
        except NotFound:
            abort(404)
        lines = shift_service.lines(session, shift)
        notes = shift_service.notes(session, shift)
        staff_names, store_names = shift_service.names(session, viewer().merchant_id)
        paper = request.args.get("paper") if request.args.get("paper") in PAPER_WIDTHS else "80"
        return render_template("shifts/summary.html", shift=shift, lines=lines, notes=notes,
                               staff_names=staff_names, store_names=store_names, paper=paper,
                               note_form=NoteForm(), corrections=sum(n.amount_fen or 0 for n in notes))


@bp.post("/<int:shift_id>/notes")
@login_required(*STAFF_ROLES)
def add_note(shift_id: int):
    form = NoteForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        amount = None
        raw = (form.amount.data or "").strip()
        if raw:
            negative = raw.startswith(("-", "－"))
            amount = parse_yuan(raw.lstrip("-－+ ")) * (-1 if negative else 1)
        with huika().db.write() as session:
            who = viewer()
            shift = shift_service.get_shift(session, who, shift_id)
            note = shift_service.add_note(session, who, shift, text=form.text.data or "", amount_fen=amount)
            record_here(session, "shift.note", f"shift:{shift.id}",
                        after={"text": note.text, "amount_fen": note.amount_fen})
    except NotFound:
        abort(404)
    except BadAmount as error:
        flash(str(error), "error")
    except HuikaError:
        flash(_("Write what the note is about (at most 500 characters)."), "error")
    else:
        flash(_("Note added."))
    return redirect(url_for("shifts.summary", shift_id=shift_id))


@bp.get("/all")
@login_required(*MANAGERS)
def all_shifts():
    """Every shift the owner or manager may see, newest first, differences marked."""
    try:
        filters = parse_filters(request.args)
        problem = None
    except Invalid:
        filters, problem = parse_filters({}), _("Those filters are not valid; showing the latest shifts.")
    filters["limit"] = 100
    with huika().db.read() as session:
        found, total = shift_service.list_shifts(session, viewer(), **filters)
        staff_names, store_names = shift_service.names(session, viewer().merchant_id)
        corrections = shift_service.note_totals(session, [shift.id for shift in found])
        return render_template("shifts/all.html", shifts=found, total=total, staff_names=staff_names,
                               store_names=store_names, corrections=corrections, problem=problem,
                               args=request.args)
