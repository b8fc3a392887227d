"""Plugins: enable and disable them (dependencies respected) and edit their settings.

The settings form is generated from the plugin's settings schema by ``webui.forms``; money
settings at the top level (``x-unit: fen``) are typed in yuan and converted to fen exactly.
Values are checked with ``core.schemas.validate_against`` before the draft is saved, and each
schema problem shows next to its field. Only settings that differ from the defaults are stored.
"""
from __future__ import annotations

import copy

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core.merchant_config import validate_config
from core.schemas import SchemaProblem, apply_defaults, validate_against

from ..forms import apply_problems, form_class, form_document
from ..forms.rows import is_money, is_scalar_list
from ..forms.schema_forms import kind_of
from ..i18n import current_locale, label
from ..screens import MoneyError, format_yuan, parse_yuan
from .blueprint import bp
from .changes import value_text
from .common import editing, editor_required, load_state, plugin_title, registry
from .owner_text import owner_document, owner_label
from .views import ConfirmForm

YUAN_PATTERN = r"^\s*[¥￥]?\s*[0-9０-９,，]*([.．][0-9０-９]*)?\s*元?\s*$"


def enabled_ids(document: dict) -> list[str]:
    return [entry["id"] for entry in document.get("plugins", [])]


def missing_dependencies(plugin_id: str, document: dict) -> list[str]:
    info = registry().get(plugin_id)
    enabled = set(enabled_ids(document))
    return [dep for dep in (info.dependencies if info else []) if dep not in enabled]


def dependants(plugin_id: str, document: dict) -> list[str]:
    """Enabled plugins that need ``plugin_id``."""
    return [pid for pid in enabled_ids(document)
            if registry().get(pid) and plugin_id in registry().get(pid).dependencies]


def field_clashes(plugin_id: str, document: dict) -> list[str]:
    """The merchant's own field keys that the plugin's fields would clash with."""
    info = registry().get(plugin_id)
    own = {f["key"] for f in document.get("fields", [])}
    return [f["key"] for f in (info.fields if info else []) if f["key"] in own]


def _titles(ids) -> str:
    return "、".join(label(plugin_title(pid)) for pid in ids)


@bp.get("/plugins")
@editor_required
def plugins():
    state = load_state()
    enabled = enabled_ids(state.document)
    rows = []
    for plugin_id, info in registry().plugins.items():
        rows.append({"id": plugin_id, "info": info, "enabled": plugin_id in enabled,
                     "dependencies": info.dependencies,
                     "missing": missing_dependencies(plugin_id, state.document),
                     "dependants": dependants(plugin_id, state.document),
                     "published": plugin_id in enabled_ids(state.published or {}),
                     "kept": plugin_id not in enabled and any(
                         e["id"] == plugin_id for e in state.document.get("disabled_plugins", []))})
    return render_template("editor/plugins.html", rows=rows, refused=registry().refused.values(),
                           form=ConfirmForm(), state=state, titles=_titles)


@bp.post("/plugins/<plugin_id>/enable")
@editor_required
def plugin_enable(plugin_id: str):
    if registry().get(plugin_id) is None:
        abort(404)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    with editing() as edit:
        document = edit.document
        if plugin_id in enabled_ids(document):
            flash(_("%(plugin)s is already enabled.", plugin=label(plugin_title(plugin_id))))
            return redirect(url_for("editor.plugins"))
        wanted = [plugin_id]
        missing = missing_dependencies(plugin_id, document)
        if missing and request.form.get("with_dependencies") == "1":
            wanted = _with_dependencies(plugin_id, document)
        elif missing:
            flash(_("%(plugin)s needs %(needed)s enabled first. Enable them, or use “Enable together”.",
                    plugin=label(plugin_title(plugin_id)), needed=_titles(missing)), "error")
            return redirect(url_for("editor.plugins", _anchor=f"plugin-{plugin_id}"))
        clashes = [key for pid in wanted for key in field_clashes(pid, document)]
        if clashes:
            flash(_("Your own member field(s) %(keys)s have the same key as a field of %(plugin)s. "
                    "Delete or rename them before enabling it.", keys=", ".join(clashes),
                    plugin=label(plugin_title(plugin_id))), "error")
            return redirect(url_for("editor.plugins", _anchor=f"plugin-{plugin_id}"))
        for pid in wanted:
            document.setdefault("plugins", []).append(_restore(document, pid))
        problems = edit.save(action="config.plugin.enable", target=f"plugin:{plugin_id}")
    if problems:
        flash(problems[0]["message"], "error")
    else:
        flash(_("Enabled %(plugins)s in the draft.", plugins=_titles(wanted)))
    return redirect(url_for("editor.plugins", _anchor=f"plugin-{plugin_id}"))


def _with_dependencies(plugin_id: str, document: dict) -> list[str]:
    """``plugin_id`` and everything it needs (recursively) that is not enabled yet, needs first."""
    order: list[str] = []
    enabled = set(enabled_ids(document))

    def visit(pid: str, trail: tuple) -> None:
        if pid in enabled or pid in order or pid in trail:
            return
        info = registry().get(pid)
        for dep in info.dependencies if info else []:
            visit(dep, (*trail, pid))
        order.append(pid)

    visit(plugin_id, ())
    return [pid for pid in order if registry().get(pid) is not None]


def what_stops(plugin_id: str) -> dict:
    """What the cashier and the owner lose while ``plugin_id`` is disabled, from its manifest."""
    info = registry().get(plugin_id)
    manifest = info.manifest if info else {}
    return {"screens": [owner_label(s["title"]) for s in (info.screens if info else [])],
            "fields": [owner_label(f["label"]) for f in (info.fields if info else [])],
            "assets": [owner_label(a["title"]) for a in manifest.get("assets", [])],
            "reports": [owner_label(r["title"]) for r in manifest.get("reports", [])],
            "jobs": [owner_label(j["title"]) for j in manifest.get("jobs", [])]}


@bp.get("/plugins/<plugin_id>/disable")
@editor_required
def plugin_disable_confirm(plugin_id: str):
    """Disabling asks first: what stops working, and that the settings are kept."""
    state = load_state()
    if registry().get(plugin_id) is None or plugin_id not in enabled_ids(state.document):
        abort(404)
    return render_template("editor/plugin_disable.html", info=registry().get(plugin_id), stops=what_stops(plugin_id),
                           needed_by=dependants(plugin_id, state.document), titles=_titles, form=ConfirmForm(),
                           published=plugin_id in enabled_ids(state.published or {}))


@bp.post("/plugins/<plugin_id>/disable")
@editor_required
def plugin_disable(plugin_id: str):
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    with editing() as edit:
        document = edit.document
        if plugin_id not in enabled_ids(document):
            abort(404)
        needed_by = dependants(plugin_id, document)
        if needed_by:
            flash(_("%(plugin)s cannot be disabled: %(others)s need it. Disable those first.",
                    plugin=label(plugin_title(plugin_id)), others=_titles(needed_by)), "error")
            return redirect(url_for("editor.plugins", _anchor=f"plugin-{plugin_id}"))
        entry = next(e for e in document["plugins"] if e["id"] == plugin_id)
        document["plugins"] = [e for e in document["plugins"] if e["id"] != plugin_id]
        kept = [e for e in document.get("disabled_plugins", []) if e["id"] != plugin_id]
        document["disabled_plugins"] = [*kept, {"id": plugin_id, "settings": entry.get("settings", {})}]
        problems = edit.save(action="config.plugin.disable", target=f"plugin:{plugin_id}")
    if problems:
        flash(problems[0]["message"], "error")
    else:
        flash(_("Disabled %(plugin)s in the draft. Its settings are kept: enabling it again restores them.",
                plugin=label(plugin_title(plugin_id))))
    return redirect(url_for("editor.plugins", _anchor=f"plugin-{plugin_id}"))


def _restore(document: dict, plugin_id: str) -> dict:
    """The plugin's entry for ``plugins``: with the settings it had when it was disabled, if any."""
    kept = next((e for e in document.get("disabled_plugins", []) if e["id"] == plugin_id), None)
    if kept is None:
        return {"id": plugin_id, "settings": {}}
    document["disabled_plugins"] = [e for e in document["disabled_plugins"] if e["id"] != plugin_id]
    if not document["disabled_plugins"]:
        del document["disabled_plugins"]
    return {"id": plugin_id, "settings": kept.get("settings", {})}


# -- settings -------------------------------------------------------------------------------------

def yuan_view(schema: dict) -> tuple[dict, set[str]]:
    """The settings schema as the form shows it: top-level money in yuan (text), and their names."""
    view = copy.deepcopy(schema)
    money = set()
    for name, prop in view.get("properties", {}).items():
        if prop.get("type") == "integer" and prop.get("x-unit") == "fen" and "enum" not in prop:
            money.add(name)
            view["properties"][name] = {
                "type": "string", "x-label": prop.get("x-label"), "x-help": prop.get("x-help"),
                "pattern": YUAN_PATTERN,
                **({"default": format_yuan(prop["default"])} if "default" in prop else {}),
            }
            if view["properties"][name]["x-help"] is None:
                del view["properties"][name]["x-help"]
    return view, money


def _form_data(settings: dict, money: set[str]) -> dict:
    return {k: (format_yuan(v) if k in money and isinstance(v, int) else v) for k, v in settings.items()}


def _hints(schema: dict, locale: str) -> dict[str, str]:
    """A unit hint per setting: 元, ‰ as a share, days …"""
    units = {"fen": _("yuan"), "permille": _("‰ (per mille)"), "point": _("points"), "session": _("sessions"),
             "minute": _("minutes"), "day": _("days"), "voucher": _("vouchers")}
    hints = {}
    for name, prop in schema.get("properties", {}).items():
        unit = prop.get("x-unit")
        if unit == "fen" and prop.get("type") == "integer":
            hints[name] = _("in yuan, e.g. 88.50")
        elif unit == "permille":
            hints[name] = _("per mille (‰): 600 = 60%")
        elif unit:
            hints[name] = units[unit]
        elif is_scalar_list(prop):
            money = is_money(name, prop.get("items", {}))
            hints[name] = _("separated by commas, e.g. %(example)s", example="1000, 5000" if money else "25, 35, 45")
            if money:
                hints[name] += " · " + _("in yuan")
        elif prop.get("type") == "array" and kind_of(prop) == "json":
            money = [k for k, p in prop.get("items", {}).get("properties", {}).items() if p.get("x-unit") == "fen"]
            hints[name] = _("a list in JSON; amounts (%(keys)s) in fen: 100 fen = 1 yuan",
                            keys=", ".join(money)) if money else _("a list in JSON")
    for name, prop in schema.get("properties", {}).items():
        default = prop.get("default")
        if default is not None and not isinstance(default, (list, dict)):
            shown = value_text(default, prop)
            hints[name] = " · ".join(filter(None, [hints.get(name), _("default: %(value)s", value=shown)]))
    return hints


@bp.route("/plugins/<plugin_id>/settings", methods=["GET", "POST"])
@editor_required
def plugin_settings(plugin_id: str):
    info = registry().get(plugin_id)
    if info is None:
        abort(404)
    schema = info.settings_schema
    view, money = yuan_view(owner_document(schema))
    Form = form_class(view, locale=current_locale())
    state = load_state()
    entry = next((e for e in state.document.get("plugins", []) if e["id"] == plugin_id), None)
    stored = entry.get("settings", {}) if entry else {}
    defaults = apply_defaults(schema, {})
    status = 200
    if request.method == "POST":
        form = Form()
        if entry is None:
            flash(_("Enable %(plugin)s before changing its settings.", plugin=label(plugin_title(plugin_id))), "error")
            return redirect(url_for("editor.plugins"))
        if any(key.endswith("-add") for key in request.form):  # "+ Another row": show it, save nothing
            return render_template("editor/plugin_settings.html", info=info, form=form, enabled=True,
                                   hints=_hints(schema, current_locale()), changed_keys=set(stored), state=state)
        valid = form.validate()
        settings, problems = {}, []
        if valid:
            values = form_document(form, view)
            for name in money:
                if name in values:
                    try:
                        values[name] = parse_yuan(values[name])
                    except MoneyError as error:
                        problems.append(SchemaProblem(f"/{name}", str(error)))
                        values.pop(name)
            settings = values
            if not problems:
                problems = validate_against(settings, schema)
            apply_problems(form, problems)
        if valid and not problems:
            changed = {k: v for k, v in settings.items() if defaults.get(k) != v}
            with editing() as edit:
                for item in edit.document.get("plugins", []):
                    if item["id"] == plugin_id:
                        item["settings"] = changed
                save_problems = edit.save(action="config.plugin.settings",
                                          target=f"plugin:{plugin_id}")
                index = enabled_ids(edit.document).index(plugin_id)
                later = [p for p in validate_config(edit.document, registry())
                         if p["pointer"].startswith(f"/plugins/{index}/settings")]
            if not save_problems:
                flash(_("Settings of %(plugin)s saved in the draft.", plugin=label(plugin_title(plugin_id))))
                for item in later:  # cross-checks of the plugin: publishing will refuse these
                    flash(_("To fix before publishing: %(message)s", message=item["message"]), "error")
                return redirect(url_for("editor.plugin_settings", plugin_id=plugin_id))
            apply_problems(form, [dict(p, pointer=p["pointer"].split("/settings", 1)[-1]) for p in save_problems])
        status = 422
    else:
        form = Form(data=_form_data(apply_defaults(schema, stored), money))
    return render_template("editor/plugin_settings.html", info=info, form=form, enabled=entry is not None,
                           hints=_hints(schema, current_locale()), changed_keys=set(stored), state=state), status
