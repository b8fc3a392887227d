"""Cashier screens: arrange which controls appear, in which order and group, and when (L1).

For every screen the draft has (the core member screen and each enabled plugin's screens), the
merchant picks the controls to show, their order (drag-and-drop, or up/down buttons without
JavaScript), labels, grouping, "same row as the previous one", an input style and a show/hide
condition. The result is a screen document (JSON Forms-style layout) in the draft's ``screens``
list; ``webui.screens`` applies it for the preview here and for the cashier. The pages are here;
reading a screen into rows and building the layout from submitted rows is ``arrangement``.
"""
from __future__ import annotations

import copy
import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core.schemas import validate_document

from ..i18n import current_locale, label
from ..screens import (
    MEMBER_SCREEN_ID,
    control_kind,
    effective_screens,
    leaf_scopes,
    parse_submission,
    render_screen,
    resolve_scope,
    scope_path,
)
from .arrangement import (
    BLANK_GROUPS,
    effect_labels,
    format_labels,
    formats_for,
    layout_from_rows,
    operator_labels,
    rows_from_form,
    rows_from_screen,
)
from .blueprint import bp
from .checkout_preview import build_preview, tier_rows
from .common import editing, editor_required, load_state, registry
from .owner_text import owner_document
from .views import ConfirmForm


def _decorate(screen: dict, rows: list[dict]) -> list[dict]:
    """Rows with what the template needs to know about each property."""
    required = {scope for scope, _p, req in leaf_scopes(screen["data_schema"]) if req}
    decorated = []
    for row in rows:
        prop = resolve_scope(screen["data_schema"], row["scope"]) or {}
        kind = control_kind(prop, {})
        own = row["label_zh"] if current_locale() == "zh_CN" else row["label_en"]
        decorated.append({**row, "kind": kind, "required": row["scope"] in required,
                          "field_label": label(prop.get("x-label")) or own or scope_path(row["scope"])[-1],
                          "formats": formats_for(kind), "path": ".".join(scope_path(row["scope"])),
                          "options_json": json.dumps(row.get("options") or {}, ensure_ascii=False)})
    return decorated


def _choices_hint(screen: dict, rows: list[dict]) -> list[tuple[str, str, str]]:
    """(scope, label, allowed values) for the condition's field list."""
    hints = []
    names = {row["scope"]: row["label_zh"] if current_locale() == "zh_CN" else row["label_en"] for row in rows}
    for scope, prop, _required in leaf_scopes(screen["data_schema"]):
        schema = prop.get("items", prop)
        values = ""
        if "enum" in schema:
            labels = schema.get("x-enum-labels", {})
            # the option as the merchant reads it (what _coerce accepts), not its stored key
            values = ", ".join(label(labels.get(str(v))) or str(v) for v in schema["enum"])
        elif prop.get("type") == "boolean":
            values = f'{_("yes")}, {_("no")}'
        elif prop.get("x-unit") == "fen":
            values = _("an amount in yuan")
        elif prop.get("type") == "integer":
            values = _("a whole number")
        hints.append((scope, label(prop.get("x-label")) or names.get(scope) or ".".join(scope_path(scope)), values))
    return hints


def _datalist(screen: dict) -> list[tuple[str, str]]:
    """Every value a condition may compare with: (what to type, the field it belongs to), both
    in the page's language (the stored keys are data, not words for the merchant)."""
    items = [(_("yes"), ""), (_("no"), "")]
    for _scope, prop, _required in leaf_scopes(screen["data_schema"]):
        schema = prop.get("items", prop)
        field = label(prop.get("x-label"))
        for value in schema.get("enum", []):
            text = label(schema.get("x-enum-labels", {}).get(str(value))) or str(value)
            if (text, field) not in items:
                items.append((text, field))
    return items


def _screen(state, screen_id: str) -> dict:
    screen = next((s for s in effective_screens(state.config) if s["id"] == screen_id), None)
    if screen is None:
        abort(404)
    return screen


@bp.get("/screens")
@editor_required
def screens():
    state = load_state()
    arranged = {s["id"] for s in state.document.get("screens", [])}
    items = [{"screen": s, "arranged": s["id"] in arranged} for s in effective_screens(state.config)]
    return render_template("editor/screens.html", items=items, state=state, member_id=MEMBER_SCREEN_ID)


@bp.route("/screens/<screen_id>", methods=["GET", "POST"])
@editor_required
def screen_arrange(screen_id: str):
    state = load_state()
    screen = _screen(state, screen_id)
    form = ConfirmForm()
    status = 200
    errors: dict[str, str] = {}
    notice = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        rows, groups, title = rows_from_form(request.form)
        move = request.form.get("move", "")
        direction, _sep, position = move.partition(":")
        ids = [row["id"] for row in rows]
        if direction in ("up", "down") and position in ids:
            index = ids.index(position)
            other = index - 1 if direction == "up" else index + 1
            if 0 <= index < len(rows) and 0 <= other < len(rows):
                rows[index], rows[other] = rows[other], rows[index]
            notice = _("Moved. The arrangement is not saved yet: press “Save arrangement” when done.")
        elif "add_group" in request.form:
            groups.append({"zh": "", "en": ""})
            notice = _("Added an empty group. The arrangement is not saved yet.")
        else:
            ui, errors = layout_from_rows(screen, rows, groups)
            if not (title["zh"] and title["en"]):
                errors["title_zh"] = _("Give the screen a title in both languages.")
            if not errors:
                arranged = {key: value for key, value in copy.deepcopy(screen).items() if key != "plugin"}
                arranged["ui"] = ui
                arranged["title"] = {"zh-CN": title["zh"], "en": title["en"]}
                problems = validate_document(arranged, "screen")
                if problems:
                    errors["form"] = "; ".join(f"{p.pointer}: {p.message}" for p in problems)
                else:
                    with editing() as edit:
                        others = [s for s in edit.document.get("screens", []) if s["id"] != screen_id]
                        edit.document["screens"] = [*others, arranged]
                        save_problems = edit.save(action="config.screen.arrange",
                                                  target=f"screen:{screen_id}")
                    if not save_problems:
                        flash(_("Arrangement of %(title)s saved in the draft.", title=label(arranged["title"])))
                        return redirect(url_for("editor.screen_arrange", screen_id=screen_id))
                    errors["form"] = "; ".join(p["message"] for p in save_problems)
            status = 422
    else:
        rows, groups, title = rows_from_screen(screen)
    preview_screen = screen
    ui, _preview_errors = layout_from_rows(screen, rows, groups)
    if ui is not None:
        preview_screen = dict(screen, ui=ui)
    group_rows = groups + [{"zh": "", "en": ""} for _i in range(BLANK_GROUPS)] if request.method == "GET" else groups
    arranged = any(s["id"] == screen_id for s in state.document.get("screens", []))
    return render_template("editor/screen_arrange.html", screen=screen, rows=_decorate(screen, rows),
                           groups=group_rows, title=title, errors=errors, form=form, notice=notice,
                           arranged=arranged, operators=operator_labels(), effects=effect_labels(),
                           formats=format_labels(), fields=_choices_hint(screen, rows), datalist=_datalist(screen),
                           preview=render_screen(owner_document(preview_screen), {}, current_locale())), status


@bp.post("/screens/<screen_id>/reset")
@editor_required
def screen_reset(screen_id: str):
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    with editing() as edit:
        edit.document["screens"] = [s for s in edit.document.get("screens", []) if s["id"] != screen_id]
        problems = edit.save(action="config.screen.reset", target=f"screen:{screen_id}")
    if problems:
        flash(problems[0]["message"], "error")
    else:
        flash(_("The screen is back to its default layout in the draft."))
    return redirect(url_for("editor.screen_arrange", screen_id=screen_id))


@bp.get("/preview")
@editor_required
def preview():
    """The member screen and one chosen screen, rendered from the DRAFT as the cashier will."""
    state = load_state()
    screens_ = effective_screens(state.config)
    member = next(s for s in screens_ if s["id"] == MEMBER_SCREEN_ID)
    others = [s for s in screens_ if s["id"] != MEMBER_SCREEN_ID]
    chosen_id = request.args.get("screen") or (others[0]["id"] if others else "")
    chosen = next((s for s in others if s["id"] == chosen_id), None)
    tried = request.args.get("try", "")
    rendered = []
    for prefix, screen in (("m.", member), ("s.", chosen)):
        if screen is None:
            continue
        screen = owner_document(screen)  # the owner reads it here: no rule codes
        values, problems = ({}, [])
        if tried == prefix.rstrip("."):
            values, problems = parse_submission(screen, request.args, prefix=prefix)
        rendered.append({"screen": screen, "prefix": prefix, "tried": tried == prefix.rstrip("."),
                         "data": values, "problems": problems,
                         "html": render_screen(screen, values, current_locale(), errors=problems, prefix=prefix)})
    checkout = build_preview(state.document, registry(), request.args.get("tier"))
    return render_template("editor/preview.html", rendered=rendered, others=others, chosen_id=chosen_id,
                           state=state, checkout=checkout, tier_rows=tier_rows(checkout))
