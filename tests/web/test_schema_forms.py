"""WTForms built from JSON Schema by a dispatch table: settings and member fields."""
from __future__ import annotations

from werkzeug.datastructures import MultiDict

from core.plugins import build_registry
from core.schemas import apply_defaults, validate_against
from webui.forms import apply_problems, field_definitions_schema, form_class, form_document
from webui.forms.schema_forms import kind_of


def test_dispatch_covers_every_kind():
    assert kind_of({"type": "integer"}) == "integer"
    assert kind_of({"type": "boolean"}) == "boolean"
    assert kind_of({"type": "string", "format": "date"}) == "date"
    assert kind_of({"enum": ["a", "b"]}) == "enum"
    assert kind_of({"type": "array", "items": {"enum": ["a"]}}) == "multi_enum"
    assert kind_of({"type": "array", "items": {"type": "object"}}) == "json"  # nothing to draw as rows
    assert kind_of({"type": "array", "items": {"type": "object", "properties": {
        "threshold_fen": {"type": "integer"}, "name": {"type": "string"}}}}) == "rows"
    assert kind_of({"type": "array", "items": {"type": "object", "properties": {
        "nested": {"type": "object"}}}}) == "json"  # the escape hatch for what rows cannot show
    assert kind_of({"type": "array", "items": {"type": "integer"}}) == "list"


def test_every_builtin_settings_schema_round_trips_its_defaults(app):
    registry = build_registry()
    with app.test_request_context("/", method="POST"):
        for info in registry.plugins.values():
            schema = info.settings_schema
            defaults = apply_defaults(schema, {})
            Form = form_class(schema, locale="zh_CN")
            form = Form(meta={"csrf": False}, data=defaults)
            document = form_document(form, schema)
            assert validate_against(document, schema) == [], info.id
            assert document == defaults, info.id


def test_bad_values_come_back_as_inline_errors(app):
    schema = build_registry().plugins["stored_value"].settings_schema
    Form = form_class(schema, locale="en")
    with app.test_request_context("/", method="POST"):
        data = MultiDict({"min_recharge_fen": "abc", "bonus_tiers-0-threshold_fen": "0.01",
                          "new_card_cap_permille": "600"})
        form = Form(formdata=data, meta={"csrf": False})
        assert not form.validate()
        assert form.min_recharge_fen.errors
        form = Form(formdata=MultiDict({**{k: str(v) for k, v in apply_defaults(schema, {}).items()
                                           if not isinstance(v, (list, bool))},
                                        "bonus_tiers-0-threshold_fen": "0.01"}), meta={"csrf": False})
        form.validate()
        document = form_document(form, schema)
        assert document["bonus_tiers"] == [{"threshold_fen": 1}]  # typed in yuan, kept in fen
        apply_problems(form, validate_against(document, schema))
        assert form.bonus_tiers.cell_errors[(0, "threshold_fen")]  # the schema's complaint, on its row


def test_member_field_definitions_become_labelled_fields(app):
    fields = [
        {"key": "skin", "type": "choice", "label": {"zh-CN": "肤质", "en": "Skin"},
         "options": [{"value": "dry", "label": {"zh-CN": "干性", "en": "Dry"}}], "required": True},
        {"key": "tags", "type": "multi_choice", "label": {"zh-CN": "标签", "en": "Tags"},
         "options": [{"value": "vip", "label": {"zh-CN": "贵宾", "en": "VIP"}}]},
        {"key": "since", "type": "date", "label": {"zh-CN": "入会日期", "en": "Since"}},
        {"key": "kids", "type": "number", "label": {"zh-CN": "子女数", "en": "Kids"}, "min": 0},
    ]
    schema = field_definitions_schema(fields)
    with app.test_request_context("/", method="POST"):
        form = form_class(schema, locale="zh_CN")(formdata=MultiDict(
            [("skin", "dry"), ("tags", "vip"), ("since", "2020-01-02"), ("kids", "2")]), meta={"csrf": False})
        assert form.skin.label.text == "肤质" and (form.skin.choices[0].value, form.skin.choices[0].label) == ("dry", "干性")
        assert form.validate(), form.errors
        assert form_document(form, schema) == {"skin": "dry", "tags": ["vip"], "since": "2020-01-02", "kids": 2}
