"""Reminder settings (issue 14, item 1): which kinds of reminder the shop uses, and each kind's
settings (days ahead, thresholds), in the draft's ``reminders`` section.

The form of a kind is generated from its settings schema plus ``enabled``, as plugin settings
are (money typed in yuan); only values that differ from the defaults are stored. Publishing
checks them against the kind's schema again.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core.reminders import available_kinds, entry_schema, kind_entry
from core.schemas import SchemaProblem, apply_defaults, validate_against

from ..forms import apply_problems, form_class, form_document
from ..i18n import current_locale, label
from ..screens import MoneyError, parse_yuan
from .blueprint import bp
from .changes import value_text
from .common import editing, editor_required, load_state
from .owner_text import owner_document
from .plugins import _form_data as form_data, _hints as setting_hints, yuan_view


def kind_rows(config) -> list[dict]:
    """Each kind the draft gives the shop: its titles, whether it is on, its settings in words."""
    rows = []
    for kind in available_kinds(config).values():
        entry = kind_entry(config, kind)
        schema = entry_schema(kind)["properties"]
        settings = [(label(schema[name].get("x-label")) or name, value_text(value, schema[name]))
                    for name, value in entry.items() if name != "enabled" and name in schema]
        rows.append({"kind": kind, "enabled": entry["enabled"], "settings": settings})
    return rows


@bp.get("/reminders")
@editor_required
def reminders():
    state = load_state()
    return render_template("editor/reminders.html", rows=kind_rows(state.config), state=state)


@bp.route("/reminders/<kind_id>", methods=["GET", "POST"])
@editor_required
def reminder_settings(kind_id: str):
    state = load_state()
    kind = available_kinds(state.config).get(kind_id)
    if kind is None:
        abort(404)
    schema = entry_schema(kind)
    view, money = yuan_view(owner_document(schema))
    Form = form_class(view, locale=current_locale())
    stored = (state.document.get("reminders") or {}).get(kind_id) or {}
    defaults = apply_defaults(schema, {})
    hints = setting_hints(schema, current_locale())
    if request.method == "GET":
        form = Form(data=form_data(apply_defaults(schema, stored), money))
        return render_template("editor/reminder_settings.html", kind=kind, form=form, hints=hints,
                               changed_keys=set(stored))
    form = Form()
    problems = []
    if form.validate():
        values = form_document(form, view)
        for name in money:
            if name in values:
                try:
                    values[name] = parse_yuan(values[name])
                except MoneyError as error:
                    problems.append(SchemaProblem(f"/{name}", str(error)))
                    values.pop(name)
        values.setdefault("enabled", False)  # an unticked box is not sent
        if not problems:
            problems = validate_against(values, schema)
        if not problems:
            changed = {key: value for key, value in values.items() if defaults.get(key) != value}
            with editing() as edit:
                section = edit.document.setdefault("reminders", {})
                if changed:
                    section[kind_id] = changed
                else:
                    section.pop(kind_id, None)
                if not section:
                    edit.document.pop("reminders")
                save_problems = edit.save(action="config.reminders.settings", target=f"reminder:{kind_id}")
            if not save_problems:
                flash(_("Reminder settings of %(kind)s saved in the draft.", kind=label(kind.title)))
                return redirect(url_for("editor.reminders"))
            problems = [SchemaProblem(p["pointer"].split(f"/reminders/{kind_id}", 1)[-1] or "/", p["message"])
                        for p in save_problems]
        apply_problems(form, problems)
    return render_template("editor/reminder_settings.html", kind=kind, form=form, hints=hints,
                           changed_keys=set(stored)), 422
