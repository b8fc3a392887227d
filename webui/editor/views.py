"""Overview, templates, publishing, version history and rollback."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import TextAreaField
from wtforms.validators import Length

from core import config_versions
from core.errors import Conflict, Invalid, NotFound
from core.merchant_config import validate_config
from core.models import Staff
from core.starters import get_starter, load_starters

from ..audit import record_version
from ..auth import current_staff
from ..extension import huika
from .blueprint import bp
from .changes import describe_changes, readable_problems
from .common import editing, editor_required, load_state, merchant_id, registry


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class PublishForm(FlaskForm):
    note = TextAreaField(_l("Note (optional)"), validators=[Length(max=200)],
                         render_kw={"rows": 2, "maxlength": 200})


def group_changes(changes):
    groups: dict[str, list] = {}
    for change in changes:
        groups.setdefault(change.section_title, []).append(change)
    return groups


@bp.get("/")
@editor_required
def index():
    state = load_state()
    changes = describe_changes(state.published, state.document)
    problems = validate_config(state.document, registry())
    config = state.config
    return render_template("editor/overview.html", state=state, changes=group_changes(changes),
                           change_count=len(changes), problem_count=len(problems), config=config,
                           plugin_field_count=len([f for f in config.member_fields if "plugin" in f]),
                           form=ConfirmForm())


@bp.post("/draft/discard")
@editor_required
def discard_draft():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    with editing() as edit:
        if edit.state.published is None:
            flash(_("Nothing is published yet, so there is nothing to go back to."), "error")
        else:
            edit.save(edit.state.published, action="config.draft.discard")
            flash(_("The draft is back to version %(version)s.", version=edit.state.published_version))
    return redirect(url_for("editor.index"))


# -- templates ----------------------------------------------------------------------------------

@bp.get("/templates")
@editor_required
def templates():
    state = load_state()
    return render_template("editor/templates.html", starters=load_starters(registry()), state=state)


@bp.route("/templates/<starter_id>", methods=["GET", "POST"])
@editor_required
def template_apply(starter_id: str):
    starter = get_starter(registry(), starter_id)
    if starter is None:
        abort(404)
    form = ConfirmForm()
    state = load_state()
    if form.validate_on_submit():
        with editing() as edit:
            problems = edit.save(starter.new_document(), action="config.template.apply",
                                 target=f"template:{starter_id}")
        if problems:  # a starter is checked when loaded; this would be a bug
            flash(_("This template cannot be used: %(problem)s", problem=problems[0]["message"]), "error")
            return redirect(url_for("editor.templates"))
        flash(_("The draft now holds the template. Look it over, then publish."))
        return redirect(url_for("editor.index"))
    changes = describe_changes(state.document, starter.new_document())
    return render_template("editor/template_confirm.html", starter=starter, form=form,
                           changes=group_changes(changes), state=state)


# -- publishing ---------------------------------------------------------------------------------

@bp.route("/publish", methods=["GET", "POST"])
@editor_required
def publish():
    form = PublishForm()
    state = load_state()
    changes = describe_changes(state.published, state.document)
    problems = validate_config(state.document, registry())
    status = 200
    if form.validate_on_submit():
        if not state.changed:
            flash(_("The draft is the same as version %(version)s: nothing to publish.",
                    version=state.published_version), "error")
            return redirect(url_for("editor.publish"))
        try:
            with huika().db.write() as session:
                previous = config_versions.latest_version(session, merchant_id())
                version = config_versions.publish(session, merchant_id(), registry(),
                                                  staff_id=current_staff().id,
                                                  note=(form.note.data or "").strip())
                number = version.version
                record_version(session, "config.publish", version, previous)
        except Invalid as error:
            problems = error.details or [{"pointer": "", "message": error.message}]
            status = 422
        except Conflict:
            flash(_("Someone else published at the same moment. Look at the changes and try again."), "error")
            return redirect(url_for("editor.publish"))
        else:
            flash(_("Version %(version)s is published: cashiers now work with it.", version=number))
            return redirect(url_for("editor.versions"))
    elif request.method == "POST":
        status = 400 if "csrf_token" in form.errors else 422
    return render_template("editor/publish.html", form=form, state=state, changes=group_changes(changes),
                           change_count=len(changes),
                           problems=readable_problems(state.document, problems)), status


@bp.get("/versions")
@editor_required
def versions():
    with huika().db.read() as session:
        items = config_versions.list_versions(session, merchant_id())
        names = dict(session.execute(select(Staff.id, Staff.display_name)
                                     .where(Staff.merchant_id == merchant_id())).all())
        rows = [{"version": v.version, "note": v.note, "published_at": v.published_at,
                 "by": names.get(v.published_by, ""), "rolled_back_from": v.rolled_back_from}
                for v in items]
    return render_template("editor/versions.html", rows=rows, latest=rows[0]["version"] if rows else None)


def _version_pair(number: int):
    with huika().db.read() as session:
        try:
            version = config_versions.get_version(session, merchant_id(), number)
        except NotFound:
            abort(404)
        previous = None
        if number > 1:
            try:
                previous = config_versions.get_version(session, merchant_id(), number - 1).document
            except NotFound:
                previous = None
        return version.document, version.note, version.published_at, previous


@bp.get("/versions/<int:number>")
@editor_required
def version(number: int):
    document, note, published_at, previous = _version_pair(number)
    changes = describe_changes(previous, document)
    return render_template("editor/version.html", number=number, note=note, published_at=published_at,
                           changes=group_changes(changes), document=document)


@bp.route("/versions/<int:number>/rollback", methods=["GET", "POST"])
@editor_required
def rollback(number: int):
    document, note, published_at, _previous = _version_pair(number)
    state = load_state()
    form = ConfirmForm()
    problems = []
    if form.validate_on_submit():
        try:
            with huika().db.write() as session:
                previous = config_versions.latest_version(session, merchant_id())
                new = config_versions.rollback(session, merchant_id(), registry(), number,
                                               staff_id=current_staff().id)
                new_number = new.version
                record_version(session, "config.rollback", new, previous)
        except Invalid as error:
            problems = readable_problems(document, error.details or [])
        except Conflict:
            flash(_("Someone else published at the same moment. Try again."), "error")
            return redirect(url_for("editor.versions"))
        else:
            flash(_("Version %(old)s is published again as version %(new)s.", old=number, new=new_number))
            return redirect(url_for("editor.versions"))
    changes = describe_changes(state.published, document)
    return render_template("editor/rollback.html", number=number, form=form, changes=group_changes(changes),
                           state=state, problems=problems, note=note), 422 if problems else 200
