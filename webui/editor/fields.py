"""Custom member fields: add, edit, delete and order them (no code: M1, L1).

Owners type labels only (Chinese; English is optional and falls back to the Chinese): the key
of a new field and the value of a new option are generated from the Chinese label
(``webui.editor.keys``) and never change afterwards, nor does a published field's type; a
published option value stays too (members' stored values use it). Ordering works by drag-and-drop
(HTML5, a hidden ``order`` input per row) and by up/down buttons without JavaScript.
"""
from __future__ import annotations

import copy

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from core.builtin_hooks import RESERVED_FIELD_KEYS
from core.schemas import validate_document

from ..i18n import label
from ..screens import MEMBER_SCREEN_ID, walk
from .blueprint import bp
from .common import editing, editor_required, load_state, plugin_title, registry
from .keys import generate_key
from .views import ConfirmForm

SLUG = r"^[a-z][a-z0-9_]{0,39}$"
EXTRA_ROWS = 3


def type_labels() -> dict[str, str]:
    return {"text": _("Text"), "number": _("Whole number"), "date": _("Date"), "choice": _("Single choice"),
            "multi_choice": _("Multiple choice"), "phone": _("Mobile number"), "boolean": _("Yes / no")}


class OptionForm(Form):
    value = HiddenField(_l("Value (key)"), validators=[Optional(), Length(max=40)])
    label_zh = StringField(_l("Chinese"), validators=[Optional(), Length(max=200)])
    label_en = StringField(_l("English"), validators=[Optional(), Length(max=200)])
    remove = BooleanField(_l("Remove"))


class FieldForm(FlaskForm):
    key = StringField(_l("Key"), validators=[
        Optional(),
        Regexp(SLUG, message=_l("A key is a lower-case letter, then lower-case letters, digits or _ "
                                "(at most 40), e.g. wechat_id."))],
        render_kw={"autocomplete": "off", "spellcheck": "false", "maxlength": 40})
    type = SelectField(_l("Type"), choices=[], validators=[InputRequired()])
    label_zh = StringField(_l("Label in Chinese"), validators=[InputRequired(message=_l("Required.")),
                                                               Length(max=100)])
    label_en = StringField(_l("Label in English"), validators=[Optional(), Length(max=100)])
    required = BooleanField(_l("Required when registering a member"))
    help_zh = StringField(_l("Help text in Chinese"), validators=[Optional(), Length(max=500)])
    help_en = StringField(_l("Help text in English"), validators=[Optional(), Length(max=500)])
    applies_to = SelectField(_l("Belongs to"), choices=[], default="member")
    max_length = IntegerField(_l("Longest text (characters)"), validators=[Optional()],
                              render_kw={"inputmode": "numeric", "min": 1, "max": 2000})
    min = IntegerField(_l("Smallest number"), validators=[Optional()], render_kw={"inputmode": "numeric"})
    max = IntegerField(_l("Largest number"), validators=[Optional()], render_kw={"inputmode": "numeric"})
    options = FieldList(FormField(OptionForm), min_entries=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.type.choices = list(type_labels().items())
        self.applies_to.choices = [("member", _("the member")), ("card", _("the card"))]


def _form_values(definition: dict) -> dict:
    return {
        "key": definition["key"], "type": definition["type"],
        "label_zh": definition["label"]["zh-CN"], "label_en": definition["label"]["en"],
        "required": definition.get("required", False),
        "help_zh": definition.get("help", {}).get("zh-CN", ""), "help_en": definition.get("help", {}).get("en", ""),
        "applies_to": definition.get("applies_to", "member"),
        "max_length": definition.get("max_length"), "min": definition.get("min"), "max": definition.get("max"),
        "options": [{"value": o["value"], "label_zh": o["label"]["zh-CN"], "label_en": o["label"]["en"]}
                    for o in definition.get("options", [])],
    }


def _definition(form: FieldForm) -> tuple[dict, list[int]]:
    """The field definition the form describes, and the form row of each option in it."""
    kind = form.type.data
    definition = {"key": (form.key.data or "").strip(), "type": kind,
                  "label": _both((form.label_zh.data or "").strip(), (form.label_en.data or "").strip())}
    if form.required.data:
        definition["required"] = True
    help_zh, help_en = (form.help_zh.data or "").strip(), (form.help_en.data or "").strip()
    if help_zh or help_en:
        definition["help"] = _both(help_zh, help_en)
    if form.applies_to.data == "card":
        definition["applies_to"] = "card"
    if kind == "text" and form.max_length.data is not None:
        definition["max_length"] = form.max_length.data
    if kind == "number":
        for name in ("min", "max"):
            if form[name].data is not None:
                definition[name] = form[name].data
    rows: list[int] = []
    if kind in ("choice", "multi_choice"):
        definition["options"] = []
        for index, entry in enumerate(form.options.entries):
            value = (entry.form.value.data or "").strip()
            zh, en = (entry.form.label_zh.data or "").strip(), (entry.form.label_en.data or "").strip()
            if entry.form.remove.data or not (value or zh or en):
                continue
            definition["options"].append({"value": value, "label": _both(zh, en)})
            rows.append(index)
    return definition, rows


def _both(zh: str, en: str) -> dict:
    """A label from what the owner typed: the English falls back to the Chinese (and back)."""
    return {"zh-CN": zh or en, "en": en or zh}


def _fill_keys(definition: dict, original: dict | None, state, document: dict) -> None:
    """Generate what the owner did not type: the field's key and new options' values.

    An existing field keeps its key; a new one gets a key from its Chinese label that no own
    field, plugin field, built-in property or earlier published field has.
    """
    if not definition["key"]:
        if original is not None:
            definition["key"] = original["key"]
        else:
            taken = set(RESERVED_FIELD_KEYS) | set(state.ever_published_fields)
            taken |= {f["key"] for f in document.get("fields", [])}
            taken |= {f["key"] for info in registry().plugins.values() for f in info.fields}
            definition["key"] = generate_key(definition["label"]["zh-CN"], taken)
    options = definition.get("options", [])
    values = {o["value"] for o in options if o["value"]}
    for option in options:
        if not option["value"]:
            option["value"] = generate_key(option["label"]["zh-CN"], values, prefix="option")
            values.add(option["value"])


_FORM_NAMES = {"key": "key", "type": "type", "required": "required", "max_length": "max_length",
               "min": "min", "max": "max", "applies_to": "applies_to"}


def _attach(form: FieldForm, problems: list[dict], rows: list[int]) -> None:
    """Put each problem (pointer into the field definition) next to the input it is about."""
    for item in problems:
        parts = item["pointer"].split("/")[1:]
        message = item["message"]
        target = None
        if parts and parts[0] in _FORM_NAMES:
            target = form[_FORM_NAMES[parts[0]]]
        elif parts and parts[0] in ("label", "help"):
            suffix = "en" if parts[1:] == ["en"] else "zh"
            target = form[f"{parts[0]}_{suffix}"]
        elif parts and parts[0] == "options" and len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(rows):
            row = form.options.entries[rows[int(parts[1])]].form
            target = row.label_en if parts[-1] == "en" else row.label_zh  # the value input is hidden
        if target is not None:
            target.errors = [*target.errors, message] if isinstance(target.errors, list) else [message]
        else:
            form.form_errors.append(message)


def _checks(definition: dict, state, document: dict, original: dict | None) -> list[dict]:
    """Problems beyond the field schema: reserved and taken keys, what publishing froze."""
    problems = []
    key, kind = definition["key"], definition["type"]
    original_key = original["key"] if original else None
    if key in RESERVED_FIELD_KEYS:
        problems.append({"pointer": "/key", "message": _("%(key)s is a built-in member property; choose another key.",
                                                         key=key)})
    if key != original_key and any(f["key"] == key for f in document.get("fields", [])):
        problems.append({"pointer": "/key", "message": _("Another field already has the key %(key)s.", key=key)})
    for plugin_id in state.config.enabled_plugins:
        if any(f["key"] == key for f in registry().plugins[plugin_id].fields):
            problems.append({"pointer": "/key", "message": _("Plugin %(plugin)s already has a field %(key)s.",
                                                             plugin=label(plugin_title(plugin_id)), key=key)})
    if original and original_key in state.published_field_keys:
        published = next(f for f in state.published["fields"] if f["key"] == original_key)
        if key != original_key:
            problems.append({"pointer": "/key", "message": _(
                "This field is published: its key %(key)s can no longer change.", key=original_key)})
        if kind != published["type"]:
            problems.append({"pointer": "/type", "message": _(
                "This field is published: its type can no longer change.")})
        kept = {o["value"] for o in definition.get("options", [])}
        lost = [o["value"] for o in published.get("options", []) if o["value"] not in kept]
        if lost and kind == published["type"]:
            problems.append({"pointer": "/options", "message": _(
                "Published options cannot be removed or renamed (members may have chosen them): %(values)s.",
                values=", ".join(lost))})
    elif key in state.ever_published_fields and key != original_key:
        old_type, version = state.ever_published_fields[key]
        if old_type != kind:
            problems.append({"pointer": "/type", "message": _(
                "Key %(key)s was published in version %(version)s as %(type)s; it can only come back with that type.",
                key=key, version=version, type=type_labels().get(old_type, old_type))})
    return problems


def _rename_in_screens(document: dict, old: str, new: str) -> None:
    old_scope, new_scope = f"#/properties/extra/properties/{old}", f"#/properties/extra/properties/{new}"
    for screen in document.get("screens", []):
        if screen.get("id") != MEMBER_SCREEN_ID:
            continue
        for element in walk(screen.get("ui")):
            if element.get("scope") == old_scope:
                element["scope"] = new_scope
            condition = element.get("rule", {}).get("condition", {})
            if condition.get("scope") == old_scope:
                condition["scope"] = new_scope


def _add_to_member_screen(document: dict, key: str) -> None:
    """A new field also appears on a member screen the merchant has arranged (at the end)."""
    for screen in document.get("screens", []):
        if screen.get("id") == MEMBER_SCREEN_ID and screen.get("ui", {}).get("type") in ("VerticalLayout", "Group"):
            screen["ui"]["elements"].append({"type": "Control", "scope": f"#/properties/extra/properties/{key}"})


@bp.get("/fields")
@editor_required
def fields():
    state = load_state()
    plugin_fields = [(plugin_id, f) for plugin_id in state.config.enabled_plugins
                     for f in registry().plugins[plugin_id].fields]
    return render_template("editor/fields.html", state=state, fields=state.document.get("fields", []),
                           plugin_fields=plugin_fields, types=type_labels(), form=ConfirmForm(),
                           published=state.published_field_keys)


@bp.post("/fields/order")
@editor_required
def fields_order():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    order = request.form.getlist("order")
    move = request.form.get("move", "")
    with editing() as edit:
        current = [f["key"] for f in edit.document.get("fields", [])]
        if sorted(order) != sorted(current):
            flash(_("The list of fields changed meanwhile; the order was not saved. Please try again."), "error")
            return redirect(url_for("editor.fields"))
        direction, _sep, key = move.partition(":")
        if key in order and direction in ("up", "down"):
            index = order.index(key)
            other = index - 1 if direction == "up" else index + 1
            if 0 <= other < len(order):
                order[index], order[other] = order[other], order[index]
        by_key = {f["key"]: f for f in edit.document["fields"]}
        edit.document["fields"] = [by_key[k] for k in order]
        problems = edit.save(action="config.fields.reorder", target="config:fields")
    if problems:
        flash(problems[0]["message"], "error")
    else:
        flash(_("The order of the fields is saved in the draft."))
    return redirect(url_for("editor.fields", _anchor=f"field-{key}" if key else None))


def _field_page(original: dict | None):
    state = load_state(history=True)
    published = bool(original and original["key"] in state.published_field_keys)
    published_type = next((f["type"] for f in (state.published or {}).get("fields", [])
                           if published and f["key"] == original["key"]), None)
    if request.method == "POST":
        formdata = request.form.copy()
        if published and not formdata.get("type"):  # a disabled select is not sent
            formdata["type"] = published_type
        form = FieldForm(formdata=formdata)
    else:
        form = FieldForm(data=_form_values(original) if original else {"type": "text", "applies_to": "member"})
    status = 200
    adding_rows = "more_options" in request.form
    if request.method == "POST" and not adding_rows and form.validate_on_submit():
        definition, rows = _definition(form)
        with editing(history=True) as edit:
            _fill_keys(definition, original, edit.state, edit.document)
            problems = [{"pointer": p.pointer, "message": p.message}
                        for p in validate_document(definition, "field")]
            problems += _checks(definition, edit.state, edit.document, original)
            if not problems:
                fields = edit.document.setdefault("fields", [])
                if original is None:
                    fields.append(definition)
                    _add_to_member_screen(edit.document, definition["key"])
                else:
                    index = next(i for i, f in enumerate(fields) if f["key"] == original["key"])
                    fields[index] = definition
                    if definition["key"] != original["key"]:
                        _rename_in_screens(edit.document, original["key"], definition["key"])
                index = next(i for i, f in enumerate(fields) if f is definition)
                prefix = f"/fields/{index}"
                problems = [dict(p, pointer=p["pointer"][len(prefix):]) if p["pointer"].startswith(prefix + "/")
                            or p["pointer"] == prefix else p for p in edit.save(
                                action="config.field.create" if original is None else "config.field.update",
                                target=f"field:{definition['key']}")]
                if not problems:
                    flash(_("Field %(label)s saved in the draft.", label=label(definition["label"])))
                    return redirect(url_for("editor.fields", _anchor=f"field-{definition['key']}"))
        _attach(form, problems, rows)
        status = 422
    elif request.method == "POST" and not adding_rows:
        status = 422
    blanks = EXTRA_ROWS if request.method == "GET" or adding_rows else 0
    if request.method == "GET" and original and original.get("options"):
        blanks = 2
    for _i in range(blanks):
        form.options.append_entry()
    locked_options = set()
    if published:
        locked_options = {o["value"] for f in state.published["fields"] if f["key"] == original["key"]
                          for o in f.get("options", [])}
    if published:
        form.key.render_kw = {**(form.key.render_kw or {}), "readonly": True}
        form.type.render_kw = {"disabled": True}
    return render_template("editor/field_form.html", form=form, original=original, published=published,
                           locked_options=locked_options, types=type_labels()), status


@bp.route("/fields/new", methods=["GET", "POST"])
@editor_required
def field_new():
    return _field_page(None)


def _existing(key: str) -> dict:
    state = load_state()
    original = next((f for f in state.document.get("fields", []) if f["key"] == key), None)
    if original is None:
        abort(404)
    return copy.deepcopy(original)


@bp.route("/fields/<key>/edit", methods=["GET", "POST"])
@editor_required
def field_edit(key: str):
    return _field_page(_existing(key))


@bp.route("/fields/<key>/delete", methods=["GET", "POST"])
@editor_required
def field_delete(key: str):
    original = _existing(key)
    state = load_state()
    form = ConfirmForm()
    if form.validate_on_submit():
        with editing() as edit:
            edit.document["fields"] = [f for f in edit.document.get("fields", []) if f["key"] != key]
            problems = edit.save(action="config.field.delete", target=f"field:{key}")
        if problems:
            flash(problems[0]["message"], "error")
        else:
            flash(_("Field %(label)s deleted from the draft.", label=label(original["label"])))
        return redirect(url_for("editor.fields"))
    return render_template("editor/field_delete.html", field=original, form=form,
                           published=key in state.published_field_keys)
