"""JSON Schema -> WTForms classes, through a dispatch table keyed by the property's kind.

The schema stays the single source of truth: the form only collects and coerces values;
``form_document`` turns them back into JSON and the caller validates that document against
the same schema, and ``apply_problems`` shows each schema problem next to its field.
"""
from __future__ import annotations

import json
from datetime import date
from typing import Callable

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from core.fields import value_schema

from ..i18n import label
from .rows import ListField, RowsField, is_object_rows, is_scalar_list


def _title(name: str, schema: dict, locale: str) -> str:
    return label(schema.get("x-label"), locale) or schema.get("title") or name


def _help(schema: dict, locale: str) -> str:
    return label(schema.get("x-help"), locale) or schema.get("description", "")


def _choices(schema: dict, locale: str) -> list[SelectChoice]:
    labels = schema.get("x-enum-labels", {})
    return [SelectChoice(str(value), label(labels.get(str(value)), locale) or str(value))
            for value in schema["enum"]]


def _presence(required: bool):
    return [InputRequired()] if required else [Optional()]


def _boolean(name, schema, required, locale):
    return BooleanField(_title(name, schema, locale), description=_help(schema, locale),
                        default=schema.get("default", False))


def _integer(name, schema, required, locale):
    bounds = NumberRange(min=schema.get("minimum"), max=schema.get("maximum")) \
        if "minimum" in schema or "maximum" in schema else None
    return IntegerField(_title(name, schema, locale), description=_help(schema, locale),
                        default=schema.get("default"),
                        validators=_presence(required) + ([bounds] if bounds else []),
                        render_kw={"inputmode": "numeric"})


def _string(name, schema, required, locale):
    validators = _presence(required)
    if "maxLength" in schema:
        validators.append(Length(max=schema["maxLength"]))
    if "pattern" in schema:
        validators.append(Regexp(schema["pattern"]))
    widget = TextAreaField if schema.get("x-widget") == "textarea" else StringField
    return widget(_title(name, schema, locale), description=_help(schema, locale),
                  default=schema.get("default"), validators=validators)


def _date(name, schema, required, locale):
    return DateField(_title(name, schema, locale), description=_help(schema, locale),
                     validators=_presence(required), render_kw={"type": "date"})


def _select(name, schema, required, locale):
    choices = _choices(schema, locale)
    if not required:
        choices = [SelectChoice("", "—"), *choices]
    return SelectField(_title(name, schema, locale), description=_help(schema, locale),
                       choices=choices, default=str(schema.get("default", "")),
                       validators=_presence(required))


def _multi_select(name, schema, required, locale):
    return SelectMultipleField(_title(name, schema, locale), description=_help(schema, locale),
                               choices=_choices(schema["items"], locale),
                               default=schema.get("default", []),
                               widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                               validators=[Optional()])


class JsonTextAreaField(TextAreaField):
    """A textarea holding JSON: shows Python data as JSON, hands back the parsed value."""

    def _value(self):
        if isinstance(self.data, str):
            return self.data
        return json.dumps(self.data, ensure_ascii=False, indent=1) if self.data is not None else ""

    def parsed(self):
        return json.loads(self.data) if isinstance(self.data, str) else self.data


def _json(name, schema, required, locale):
    """Lists of objects (bonus tiers, blackout dates) are edited as JSON, checked by the schema."""

    def parse(form, field):
        try:
            field.parsed()
        except json.JSONDecodeError as error:
            raise ValidationError(str(error)) from None

    return JsonTextAreaField(_title(name, schema, locale), description=_help(schema, locale),
                         default=json.dumps(schema.get("default", []), ensure_ascii=False, indent=1),
                         validators=[parse], render_kw={"rows": 5, "class": "json", "spellcheck": "false"})


def _rows(name, schema, required, locale):
    """A list of objects with simple values (bonus tiers, teachers): table rows, no JSON."""
    return RowsField(_title(name, schema, locale), description=_help(schema, locale),
                     default=schema.get("default", []), array_schema=schema, locale=locale)


def _list(name, schema, required, locale):
    """A list of numbers or words (age limits 25, 35, 45): one line, separated by commas."""
    return ListField(_title(name, schema, locale), description=_help(schema, locale),
                     default=schema.get("default", []), item_name=name, list_schema=schema,
                     render_kw={"spellcheck": "false"})


BUILDERS: dict[str, Callable] = {
    "boolean": _boolean,
    "integer": _integer,
    "string": _string,
    "date": _date,
    "enum": _select,
    "multi_enum": _multi_select,
    "json": _json,
    "rows": _rows,
    "list": _list,
}


def kind_of(schema: dict) -> str:
    """Which builder a property schema needs."""
    if "enum" in schema:
        return "enum"
    type_ = schema.get("type")
    if type_ == "array":
        if "enum" in schema.get("items", {}):
            return "multi_enum"
        if is_object_rows(schema):
            return "rows"
        return "list" if is_scalar_list(schema) else "json"
    if type_ == "string" and schema.get("format") == "date":
        return "date"
    if type_ in BUILDERS:
        return type_
    return "json"


def form_class(schema: dict, *, locale: str, base=FlaskForm) -> type:
    """A Form class with one field per property of an object schema, in schema order."""
    required = set(schema.get("required", []))
    attributes = {name: BUILDERS[kind_of(prop)](name, prop, name in required, locale)
                  for name, prop in schema.get("properties", {}).items()}
    attributes["_schema"] = schema
    return type("SchemaForm", (base,), attributes)


def form_document(form, schema: dict) -> dict:
    """The form's values as a JSON document of the schema's shape (empty optional ones left out)."""
    document = {}
    for name, prop in schema.get("properties", {}).items():
        field = form[name]
        kind = kind_of(prop)
        value = field.data
        if kind == "json":
            value = field.parsed() if value not in (None, "") else None
        elif kind in ("rows", "list"):
            value = field.parsed()
        elif kind == "date":
            value = value.isoformat() if isinstance(value, date) else None
        elif kind == "enum":
            value = _coerce_enum(prop, value)
        elif kind in ("string",) and value == "":
            value = None
        if value is None:
            continue
        document[name] = value if kind != "boolean" else bool(value)
    return document


def _coerce_enum(schema: dict, raw):
    if raw in (None, ""):
        return None
    for value in schema["enum"]:  # select values come back as strings
        if str(value) == raw:
            return value
    return raw


def apply_problems(form, problems) -> None:
    """Attach schema problems ({"pointer"| .pointer, "message"}) to the fields they point at."""
    for item in problems:
        pointer = item["pointer"] if isinstance(item, dict) else item.pointer
        message = item["message"] if isinstance(item, dict) else item.message
        parts = pointer.strip("/").split("/") if pointer.strip("/") else [""]
        target = form._fields.get(parts[0])
        if target is not None and hasattr(target, "add_problem") and target.add_problem(parts[1:], message):
            continue
        if target is not None:
            target.errors = [*target.errors, message] if isinstance(target.errors, list) else [message]
        else:
            form.form_errors.append(message)


def field_definitions_schema(fields: list[dict]) -> dict:
    """Member field definitions (docs/formats.md) as an object schema with labels for forms."""
    properties = {}
    for field in fields:
        schema = value_schema(field)
        schema["x-label"] = field["label"]
        if field.get("help"):
            schema["x-help"] = field["help"]
        if field["type"] == "date":
            schema["format"] = "date"
        if field["type"] in ("choice", "multi_choice"):
            labels = {option["value"]: option["label"] for option in field["options"]}
            target = schema if field["type"] == "choice" else schema["items"]
            target["x-enum-labels"] = labels
        properties[field["key"]] = schema
    return {"type": "object", "properties": properties,
            "required": [f["key"] for f in fields if f.get("required")]}
