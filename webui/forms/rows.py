"""Lists in settings forms: a list of objects as table rows, a list of numbers or words as one line.

``bonus_tiers`` ([{"threshold_fen": 100000, "bonus_fen": 10000}]) is edited as rows of yuan
amounts (充 1000 送 100) with a remove box per row and an empty row to add one; ``age_band_edges``
([25, 35, 45]) as "25, 35, 45". Money (``x-unit: fen``, or a name ending in ``_fen``) is typed
in yuan and converted exactly (``webui.screens.parse_yuan``). Values are only coerced here;
the settings schema checks them, and its problems come back to the cell they point at.
"""
from __future__ import annotations

import re

from flask_babel import gettext as _
from wtforms import Field, StringField
from wtforms.utils import unset_value
from wtforms.validators import ValidationError

from ..i18n import label
from ..screens import MoneyError, format_yuan, parse_yuan

SCALARS = ("integer", "string", "boolean")
_SPLIT = re.compile(r"[,，、;；\s]+")


def is_money(name: str, schema: dict) -> bool:
    return schema.get("type") == "integer" and (schema.get("x-unit") == "fen" or name.endswith("_fen")
                                                 or schema.get("format") == "fen")


def is_scalar_list(schema: dict) -> bool:
    items = schema.get("items", {})
    return schema.get("type") == "array" and items.get("type") in ("integer", "string") and "enum" not in items


def _column_kind(name: str, schema: dict) -> str | None:
    if "enum" in schema:
        return "enum" if schema.get("type") in ("string", "integer") else None
    if schema.get("type") in SCALARS:
        return "money" if is_money(name, schema) else schema["type"]
    if is_scalar_list(schema):
        return "list"
    return None


def is_object_rows(schema: dict) -> bool:
    """Whether a list of objects can be edited as rows (every column a simple value)."""
    items = schema.get("items", {})
    return (schema.get("type") == "array" and items.get("type") == "object" and bool(items.get("properties"))
            and all(_column_kind(n, p) for n, p in items["properties"].items()))


def list_text(name: str, schema: dict, values) -> str:
    money = is_money(name, schema.get("items", {}))
    return ", ".join(format_yuan(v) if money and isinstance(v, int) else str(v) for v in values or [])


def parse_list(name: str, schema: dict, text: str) -> list:
    """ "25, 35, 45" -> [25, 35, 45]; money items in yuan -> fen; raises ValueError with a message."""
    items = schema.get("items", {})
    values = []
    for part in [p for p in _SPLIT.split((text or "").strip()) if p]:
        if is_money(name, items):
            values.append(parse_yuan(part))
        elif items.get("type") == "integer":
            if not re.fullmatch(r"-?\d{1,15}", part):
                raise ValueError(_("%(value)s is not a whole number.", value=part))
            values.append(int(part))
        else:
            values.append(part)
    return values


class ListField(StringField):
    """A list of numbers or words typed on one line, separated by commas or spaces."""

    def __init__(self, *args, item_name: str = "", list_schema: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.list_schema = list_schema or {}
        self.item_name = item_name

    def _value(self):
        if isinstance(self.data, list):
            return list_text(self.item_name, self.list_schema, self.data)
        return self.data or ""

    def pre_validate(self, form):
        try:
            self.parsed()
        except (ValueError, MoneyError) as error:
            raise ValidationError(str(error)) from None

    def parsed(self) -> list:
        if isinstance(self.data, list):
            return self.data
        return parse_list(self.item_name, self.list_schema, self.data)


class RowsField(Field):
    """A list of objects as table rows: inputs ``<name>-<row>-<column>``, ``<name>-<row>-remove``."""

    def __init__(self, *args, array_schema: dict | None = None, locale: str = "zh_CN", **kwargs):
        super().__init__(*args, **kwargs)
        self.array_schema = array_schema or {}
        items = self.array_schema.get("items", {})
        required = set(items.get("required", []))
        self.columns = [{"name": n, "schema": p, "kind": _column_kind(n, p), "required": n in required,
                         "title": label(p.get("x-label"), locale) or p.get("title") or n}
                        for n, p in items.get("properties", {}).items()]
        self.rows: list[dict] = []  # each {column: text}, as shown
        self.cell_errors: dict[tuple[int, str], list[str]] = {}

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.process_errors = []
        if data is unset_value:
            data = self.default() if callable(self.default) else self.default
        self.object_data = data
        prefix = f"{self.name}-"
        if formdata is not None and any(key.startswith(prefix) for key in formdata):
            indices = sorted({int(key[len(prefix):].split("-", 1)[0]) for key in formdata
                              if key.startswith(prefix) and key[len(prefix):].split("-", 1)[0].isdigit()})
            self.rows = []
            for index in indices:
                if formdata.get(f"{prefix}{index}-remove"):
                    continue
                row = {c["name"]: (formdata.get(f"{prefix}{index}-{c['name']}") or "").strip() for c in self.columns}
                if any(row.values()):
                    self.rows.append(row)
            if formdata.get(f"{prefix}add"):
                self.rows.append({})
        else:
            self.rows = [self._shown(item) for item in (data or []) if isinstance(item, dict)]
        self.data = self.rows

    def _shown(self, item: dict) -> dict:
        shown = {}
        for column in self.columns:
            value = item.get(column["name"])
            if value is None:
                shown[column["name"]] = ""
            elif column["kind"] == "money" and isinstance(value, int):
                shown[column["name"]] = format_yuan(value)
            elif column["kind"] == "boolean":
                shown[column["name"]] = "y" if value else ""
            elif column["kind"] == "list":
                shown[column["name"]] = list_text(column["name"], column["schema"], value)
            else:
                shown[column["name"]] = str(value)
        return shown

    def pre_validate(self, form):
        self.parsed()
        if self.cell_errors:
            raise ValidationError(_("Please correct the marked rows."))

    def parsed(self) -> list[dict]:
        """The rows as JSON objects (money in fen); problems go to ``cell_errors``."""
        self.cell_errors = {}
        result = []
        for index, row in enumerate(r for r in self.rows if any(r.values())):
            item = {}
            for column in self.columns:
                text, name = row.get(column["name"], ""), column["name"]
                if column["kind"] == "boolean":
                    item[name] = bool(text)
                    continue
                if text == "":
                    continue
                try:
                    item[name] = self._coerce(column, text)
                except (ValueError, MoneyError) as error:
                    self.cell_errors.setdefault((index, name), []).append(str(error))
            result.append(item)
        return result

    @staticmethod
    def _coerce(column: dict, text: str):
        kind, schema = column["kind"], column["schema"]
        if kind == "money":
            return parse_yuan(text)
        if kind == "list":
            return parse_list(column["name"], schema, text)
        if kind == "integer" or (kind == "enum" and schema.get("type") == "integer"):
            if not re.fullmatch(r"-?\d{1,15}", text):
                raise ValueError(_("Enter a whole number, such as 12."))
            return int(text)
        return text

    def add_problem(self, parts: list[str], message: str) -> bool:
        """Put a schema problem (pointer parts after the field name) on its cell; False if none fits."""
        if len(parts) >= 2 and parts[0].isdigit() and parts[1] in {c["name"] for c in self.columns}:
            self.cell_errors.setdefault((int(parts[0]), parts[1]), []).append(message)
            return True
        if len(parts) == 1 and parts[0].isdigit():
            self.cell_errors.setdefault((int(parts[0]), self.columns[0]["name"]), []).append(message)
            return True
        return False

    def shown_rows(self, blanks: int = 1) -> list[dict]:
        return [*self.rows, *({} for _i in range(blanks))]
