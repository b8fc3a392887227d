"""The meta-schemas, their fixtures, the built-in plugins' data files and core.schemas.

Run from the repository root (``PYTHONPATH=. pytest tests/test_schemas.py`` until the package
is installed in editable mode).
"""
from __future__ import annotations

import json
import re
import socket
import urllib.request
from pathlib import Path

import pytest
import referencing.exceptions
from jsonschema import Draft202012Validator

from core import schemas as core_schemas
from core.schemas import (
    META_KINDS,
    SchemaProblem,
    apply_defaults,
    load_registry,
    meta_schema,
    validate_against,
    validate_document,
)
from schemas import SCHEMA_DIR

ROOT = SCHEMA_DIR.parent
EXAMPLES = SCHEMA_DIR / "examples"
PLUGINS_DIR = ROOT / "plugins"
BUILTIN_PLUGINS = ("points", "stored_value", "training_courses", "cosmetics_profile", "hotel_rooms")


def load(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def examples(validity: str) -> list[Path]:
    return sorted(EXAMPLES.glob(f"{validity}/*/*.json"))


def example_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


# Each invalid fixture fails for the one reason its name gives; this is where that reason shows.
EXPECTED_POINTERS = {
    "starter/document-discount-over-1000": "/document/tiers/0/discount_permille",
    "starter/document-missing-schema-version": "/document",
    "starter/id-not-slug": "/id",
    "starter/missing-title": "",
    "starter/title-missing-english": "/title",
    "starter/unknown-property-author": "",
    "field/bad-applies-to": "/applies_to",
    "field/bad-key-slug": "/key",
    "field/choice-without-options": "",
    "field/duplicate-option-values": "/options/2/value",
    "field/empty-options": "/options",
    "field/float-max": "/max",
    "field/key-too-long": "/key",
    "field/max-length-on-number": "/max_length",
    "field/max-length-over-2000": "/max_length",
    "field/min-greater-than-max": "/max",
    "field/min-on-text-field": "/min",
    "field/missing-zh-cn-label": "/label",
    "field/option-value-not-slug": "/options/0/value",
    "field/options-on-text-field": "/options",
    "field/unknown-property-placeholder": "",
    "field/unknown-type-float": "/type",
    "i18n-text/blank-english": "/en",
    "i18n-text/empty-chinese": "/zh-CN",
    "i18n-text/extra-locale": "",
    "i18n-text/missing-en": "",
    "i18n-text/missing-zh-cn": "",
    "i18n-text/plain-string-not-object": "",
    "manifest/absolute-path": "/settings",
    "manifest/asset-unit-yuan": "/assets/0/unit",
    "manifest/bad-id-slug": "/id",
    "manifest/depends-on-itself": "/dependencies/0",
    "manifest/duplicate-asset-keys": "/assets/1/key",
    "manifest/duplicate-dependencies": "/dependencies",
    "manifest/huika-api-2": "/huika_api",
    "manifest/job-without-title": "/jobs/0",
    "manifest/missing-description": "",
    "manifest/missing-settings": "",
    "manifest/path-escapes-plugin-folder": "/rules",
    "manifest/screen-path-not-json": "/screens/0",
    "manifest/unknown-property-homepage": "",
    "manifest/version-not-semver": "/version",
    "merchant-config/cards-per-member-zero": "/policies/cards_per_member",
    "merchant-config/channel-upgrade-with-amount": "/tiers/1/upgrade/2",
    "merchant-config/discount-as-float": "/tiers/1/discount_permille",
    "merchant-config/discount-over-1000": "/tiers/0/discount_permille",
    "merchant-config/duplicate-card-kind-keys": "/card_kinds/1/key",
    "merchant-config/duplicate-field-keys": "/fields/1/key",
    "merchant-config/duplicate-plugin-ids": "/plugins/1/id",
    "merchant-config/duplicate-tier-keys": "/tiers/1/key",
    "merchant-config/duplicate-tier-ranks": "/tiers/1/rank",
    "merchant-config/empty-card-kinds": "/card_kinds",
    "merchant-config/float-plugin-setting": "/plugins/0/settings/earn_unit_fen",
    "merchant-config/missing-schema-version": "",
    "merchant-config/negative-tier-rank": "/tiers/0/rank",
    "merchant-config/schema-version-2": "/schema_version",
    "merchant-config/screen-scope-not-in-data-schema": "/screens/0/ui/elements/1/scope",
    "merchant-config/unknown-policy": "/policies",
    "merchant-config/upgrade-missing-period": "/tiers/1/upgrade/0",
    "merchant-config/upgrade-unknown-kind": "/tiers/0/upgrade/0/kind",
    "rules/bad-rule-type-slug": "/rule_types/0/type",
    "rules/duplicate-rule-types": "/rule_types/1/type",
    "rules/empty-rule-types": "/rule_types",
    "rules/float-param": "/rule_types/0/params/properties/points_per_unit/type",
    "rules/missing-title": "/rule_types/1",
    "rules/not-a-list": "/rule_types",
    "rules/param-missing-default": "/rule_types/1/params/properties/enabled",
    "rules/params-not-object-type": "/rule_types/1/params/type",
    "rules/params-open-object": "/rule_types/1/params/additionalProperties",
    "rules/required-unknown-param": "/rule_types/0/params/required/0",
    "screen/action-method-get": "/action/method",
    "screen/action-path-outside-api": "/action/path",
    "screen/bad-rule-effect": "/ui/elements/2/rule/effect",
    "screen/control-with-elements": "/ui/elements/0",
    "screen/empty-layout": "/ui/elements",
    "screen/float-in-data-schema": "/data_schema/properties/points/type",
    "screen/float-in-rule-condition": "/ui/elements/2/rule/condition/schema/maxLength",
    "screen/group-without-label": "/ui/elements/1",
    "screen/label-missing-english": "/ui/elements/0/label",
    "screen/missing-action": "",
    "screen/operation-id-snake-case": "/action/operation_id",
    "screen/required-not-in-data-schema": "/data_schema/required/1",
    "screen/rule-scope-not-in-data-schema": "/ui/elements/2/rule/condition/scope",
    "screen/scope-not-in-data-schema": "/ui/elements/1/scope",
    "screen/scope-without-hash": "/ui/elements/0/scope",
    "screen/unknown-layout-table": "/ui/type",
    "settings/any-of-not-allowed": "/properties/enabled",
    "settings/array-without-items": "/properties/closed_on",
    "settings/bad-id-not-urn": "/$id",
    "settings/bad-property-slug": "/properties",
    "settings/default-not-in-enum": "/properties/paper_style/default",
    "settings/default-violates-minimum": "/properties/ribbon/properties/length_cm/default",
    "settings/enum-labels-missing-value": "/properties/paper_style/x-enum-labels",
    "settings/fen-without-unit": "/properties/wrap_price_fen",
    "settings/float-default": "/properties/wrap_price_fen/default",
    "settings/float-in-array-items": "/properties/price_tiers/items/properties/min_items/type",
    "settings/float-minimum": "/properties/free_wraps_per_month/minimum",
    "settings/float-setting": "/properties/free_wraps_per_month/type",
    "settings/items-on-string": "/properties/paper_style/items",
    "settings/max-less-than-min": "/properties/free_wraps_per_month/maximum",
    "settings/missing-default": "/properties/enabled",
    "settings/missing-x-label": "/properties/enabled",
    "settings/open-nested-object": "/properties/ribbon/additionalProperties",
    "settings/open-root-object": "/additionalProperties",
    "settings/permille-with-fen-unit": "/properties/member_discount_permille/x-unit",
    "settings/remote-ref": "/properties/enabled",
    "settings/required-unknown-property": "/required/0",
    "settings/type-list-with-number": "/properties/free_wraps_per_month/type",
    "settings/unit-on-string": "/properties/paper_style/x-unit",
    "settings/wrong-dialect": "/$schema",
    "settings/x-label-missing-english": "/properties/enabled/x-label",
}


# -- meta-schemas -----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", META_KINDS)
def test_meta_schema_is_a_valid_2020_12_schema(kind):
    schema = load(SCHEMA_DIR / f"{kind}.schema.json")
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"urn:huika:core:{kind}:v1"


def test_schema_dir_holds_exactly_the_meta_kinds():
    assert sorted(p.name for p in SCHEMA_DIR.glob("*.schema.json")) == sorted(
        f"{kind}.schema.json" for kind in META_KINDS
    )


def test_registry_holds_every_meta_schema_and_is_cached():
    registry = load_registry()
    assert registry is load_registry()
    for kind in META_KINDS:
        assert registry.contents(f"urn:huika:core:{kind}:v1")["$id"] == f"urn:huika:core:{kind}:v1"
        assert meta_schema(kind) == load(SCHEMA_DIR / f"{kind}.schema.json")


def test_meta_schema_returns_a_copy():
    meta_schema("field")["properties"].clear()
    assert meta_schema("field")["properties"]


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("$ref", "$dynamicRef") and isinstance(value, str):
                yield value
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


@pytest.mark.parametrize("kind", META_KINDS)
def test_meta_schemas_refer_only_to_urns_or_fragments(kind):
    refs = list(_refs(load(SCHEMA_DIR / f"{kind}.schema.json")))
    assert all(ref.startswith(("urn:huika:", "#")) for ref in refs), refs
    for ref in refs:  # and every one of them resolves in the registry
        if ref.startswith("urn:"):
            load_registry().resolver().lookup(ref)


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def test_loading_and_validating_needs_no_network(no_network):
    load_registry.cache_clear()
    core_schemas.meta_validator.cache_clear()
    try:
        for path in examples("valid") + examples("invalid"):
            validate_document(load(path), path.parent.name)
    finally:
        load_registry.cache_clear()
        core_schemas.meta_validator.cache_clear()


def test_a_remote_ref_is_refused_not_fetched(no_network):
    with pytest.raises(referencing.exceptions.Unresolvable):
        validate_against(1, {"$ref": "https://example.com/schemas/anything.json"})


def test_unknown_kind_is_an_error():
    with pytest.raises(ValueError, match="unknown document kind"):
        validate_document({}, "plugin")


# -- fixtures -----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", META_KINDS)
def test_every_kind_has_enough_examples(kind):
    assert len(list(EXAMPLES.glob(f"valid/{kind}/*.json"))) >= 2
    assert len(list(EXAMPLES.glob(f"invalid/{kind}/*.json"))) >= 4


def test_examples_are_only_for_known_kinds():
    kinds = {path.parent.name for path in examples("valid") + examples("invalid")}
    assert kinds <= set(META_KINDS)


@pytest.mark.parametrize("path", examples("valid"), ids=example_id)
def test_valid_example_passes(path):
    assert validate_document(load(path), path.parent.name) == []


@pytest.mark.parametrize("path", examples("invalid"), ids=example_id)
def test_invalid_example_fails_for_its_reason(path):
    problems = validate_document(load(path), path.parent.name)
    assert problems, "an invalid example passed"
    assert all(isinstance(p, SchemaProblem) and p.message for p in problems)
    expected = EXPECTED_POINTERS[example_id(path)]
    assert expected in [p.pointer for p in problems], problems


def test_every_invalid_example_has_an_expected_pointer():
    assert sorted(EXPECTED_POINTERS) == sorted(example_id(p) for p in examples("invalid"))


def _json_files():
    return sorted(
        list(SCHEMA_DIR.glob("*.schema.json")) + list(EXAMPLES.glob("*/*/*.json"))
        + list(PLUGINS_DIR.glob("*/plugin.json")) + list(PLUGINS_DIR.glob("*/schemas/**/*.json"))
    )


@pytest.mark.parametrize("path", _json_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_json_files_are_tidy(path):
    text = path.read_text(encoding="utf-8")
    json.loads(text)
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert "\\u" not in text, "write real characters (ensure_ascii=False), not \\u escapes"
    for number, line in enumerate(text.splitlines(), 1):
        indent = len(line) - len(line.lstrip(" "))
        assert indent % 2 == 0 and "\t" not in line, f"line {number}: indent with 2 spaces"


# -- SchemaProblem and validation behaviour -----------------------------------------------------

def test_problem_pointers_name_the_offending_values():
    document = {
        "schema_version": 1,
        "tiers": [
            {"key": "silver", "name": {"zh-CN": "银卡", "en": "Silver"}, "rank": 1},
            {"key": "gold", "name": {"zh-CN": "金卡", "en": ""}, "rank": 2,
             "discount_permille": 1001},
        ],
        "policies": {"cards_per_member": 0},
    }
    problems = validate_document(document, "merchant-config")
    assert [p.pointer for p in problems] == [
        "/policies/cards_per_member",
        "/tiers/1/discount_permille",
        "/tiers/1/name/en",
    ]
    assert "1001" in problems[1].message and "1000" in problems[1].message


def test_root_problem_has_empty_pointer():
    assert validate_document("积分", "i18n-text") == [
        SchemaProblem("", "'积分' is not of type 'object'")
    ]


def test_pointer_escapes_tilde_and_slash():
    schema = {"type": "object", "properties": {"a/b~c": {"type": "integer"}}}
    assert [p.pointer for p in validate_against({"a/b~c": "x"}, schema)] == ["/a~1b~0c"]


def test_problems_sorted_by_pointer_in_natural_order():
    tiers = [{"key": f"t{i}", "name": {"zh-CN": "卡", "en": "Card"}, "rank": i,
              "discount_permille": 2000} for i in range(12)]
    problems = validate_document({"schema_version": 1, "tiers": tiers}, "merchant-config")
    assert [p.pointer for p in problems] == [f"/tiers/{i}/discount_permille" for i in range(12)]


def test_forbidden_property_message_names_the_type():
    field = {"key": "notes", "type": "text", "label": {"zh-CN": "备注", "en": "Notes"},
             "options": [{"value": "a", "label": {"zh-CN": "甲", "en": "A"}}]}
    assert validate_document(field, "field") == [
        SchemaProblem("/options", "'options' is not allowed when type is 'text'")
    ]


def test_floats_are_refused_even_when_integral():
    schema = {"type": "object", "properties": {"amount_fen": {"type": "integer"}}}
    assert validate_against({"amount_fen": 100}, schema) == []
    problems = validate_against({"amount_fen": 100.0}, schema)
    assert [p.pointer for p in problems] == ["/amount_fen"]
    assert "float" in problems[0].message


def test_validate_against_can_use_the_meta_schemas_by_urn():
    schema = {"type": "array", "items": {"$ref": "urn:huika:core:field:v1"}}
    good = [{"key": "occupation", "type": "text", "label": {"zh-CN": "职业", "en": "Occupation"}}]
    assert validate_against(good, schema) == []
    problems = validate_against([{"key": "X"}], schema)
    assert [p.pointer for p in problems] == ["/0", "/0", "/0/key"]
    assert [p.message for p in problems[:2]] == ["'label' is a required property",
                                                "'type' is a required property"]


def test_validate_against_checks_formats():
    schema = {"type": "object", "properties": {"day": {"type": "string", "format": "date"}}}
    assert validate_against({"day": "2026-02-17"}, schema) == []
    assert [p.pointer for p in validate_against({"day": "2026-02-30"}, schema)] == ["/day"]



def test_a_kept_compiled_validator_finds_what_validate_against_finds():
    """``compile_validator`` once, ``problems_of`` many times: the same problems, in the same
    order, as ``validate_against`` (which compiles on every call), ECMA-262 patterns, formats,
    URN references and the integer-only rule included."""
    from core.schemas import compile_validator, problems_of

    schema = {"type": "object", "additionalProperties": False, "required": ["code"], "properties": {
        "code": {"type": "string", "pattern": "^[0-9]{4}$"},
        "day": {"type": "string", "format": "date"},
        "amount_fen": {"type": "integer"},
        "fields": {"type": "array", "items": {"$ref": "urn:huika:core:field:v1"}}}}
    validator = compile_validator(schema)
    for document in ({"code": "8001"}, {"code": "8001\n"}, {"day": "2026-02-30", "amount_fen": 1.0},
                     {"code": "1234", "fields": [{"key": "X"}], "extra": 1}, []):
        assert problems_of(validator, document) == validate_against(document, schema)
    assert [p.pointer for p in problems_of(validator, {"code": "8001\n", "amount_fen": 1.0})] \
        == ["/amount_fen", "/code"]

# -- apply_defaults ------------------------------------------------------------------------------

SETTINGS = {
    "type": "object",
    "properties": {
        "unit_fen": {"type": "integer", "default": 1000},
        "tiers": {"type": "array", "default": [{"threshold_fen": 1}],
                  "items": {"type": "object", "properties": {
                      "threshold_fen": {"type": "integer"},
                      "bonus_fen": {"type": "integer", "default": 0}}}},
        "ribbon": {"type": "object", "default": {}, "properties": {
            "color": {"type": "string", "default": "red"},
            "length_cm": {"type": "integer", "default": 80}}},
        "no_default": {"type": "string"},
    },
}


def test_apply_defaults_fills_missing_properties_recursively():
    assert apply_defaults(SETTINGS, {}) == {
        "unit_fen": 1000,
        "tiers": [{"threshold_fen": 1, "bonus_fen": 0}],
        "ribbon": {"color": "red", "length_cm": 80},
    }


def test_apply_defaults_keeps_given_values_and_does_not_mutate():
    data = {"unit_fen": 500, "ribbon": {"color": "gold"}, "tiers": [{"threshold_fen": 9}]}
    before = json.loads(json.dumps(data))
    result = apply_defaults(SETTINGS, data)
    assert result == {"unit_fen": 500, "ribbon": {"color": "gold", "length_cm": 80},
                      "tiers": [{"threshold_fen": 9, "bonus_fen": 0}]}
    assert data == before
    result["tiers"].append({})
    assert apply_defaults(SETTINGS, {})["tiers"] == [{"threshold_fen": 1, "bonus_fen": 0}]


def test_apply_defaults_follows_refs_in_the_merchant_config_meta_schema():
    filled = apply_defaults(meta_schema("merchant-config"), {"schema_version": 1})
    assert filled == {
        "schema_version": 1,
        "plugins": [],
        "fields": [],
        "tiers": [],
        "card_kinds": [{"key": "standard", "name": {"zh-CN": "会员卡", "en": "Membership card"},
                        "earns_points": True}],
        "policies": {"cards_per_member": 1, "allow_replacement": True},
        "screens": [],
    }
    assert validate_document(filled, "merchant-config") == []


# -- built-in plugins ----------------------------------------------------------------------------

def manifest_of(plugin_id: str) -> dict:
    return load(PLUGINS_DIR / plugin_id / "plugin.json")


def referenced(plugin_id: str) -> list[tuple[str, str]]:
    """(relative path, kind) of every file the manifest names; fields files are 'fields'."""
    manifest = manifest_of(plugin_id)
    files = [(manifest["settings"], "settings")]
    files += [(manifest[key], key if key == "fields" else "rules")
              for key in ("fields", "rules") if key in manifest]
    files += [(path, "screen") for path in manifest.get("screens", [])]
    return files


@pytest.mark.parametrize("plugin_id", BUILTIN_PLUGINS)
def test_builtin_manifest_is_valid(plugin_id):
    manifest = manifest_of(plugin_id)
    assert validate_document(manifest, "manifest") == []
    assert manifest["id"] == plugin_id
    assert manifest["huika_api"] == 1


@pytest.mark.parametrize("plugin_id", BUILTIN_PLUGINS)
def test_builtin_referenced_files_are_valid(plugin_id):
    for relative, kind in referenced(plugin_id):
        document = load(PLUGINS_DIR / plugin_id / relative)
        if kind == "fields":
            assert isinstance(document, list) and document
            for definition in document:
                assert validate_document(definition, "field") == [], (relative, definition["key"])
            keys = [definition["key"] for definition in document]
            assert len(keys) == len(set(keys)), relative
        else:
            assert validate_document(document, kind) == [], relative


@pytest.mark.parametrize("plugin_id", BUILTIN_PLUGINS)
def test_builtin_plugin_folder_has_no_unreferenced_schema_files(plugin_id):
    on_disk = {str(p.relative_to(PLUGINS_DIR / plugin_id))
               for p in (PLUGINS_DIR / plugin_id / "schemas").rglob("*.json")}
    assert on_disk == {relative for relative, _ in referenced(plugin_id)}


@pytest.mark.parametrize("plugin_id", BUILTIN_PLUGINS)
def test_builtin_settings_defaults_validate_against_their_schema(plugin_id):
    schema = load(PLUGINS_DIR / plugin_id / manifest_of(plugin_id)["settings"])
    Draft202012Validator.check_schema(schema)
    assert schema["$id"].startswith(f"urn:huika:{plugin_id}:settings:")
    defaults = apply_defaults(schema, {})
    assert set(defaults) == set(schema["properties"])
    assert validate_against(defaults, schema) == []


@pytest.mark.parametrize("plugin_id", BUILTIN_PLUGINS)
def test_builtin_rule_params_defaults_validate(plugin_id):
    manifest = manifest_of(plugin_id)
    rules = load(PLUGINS_DIR / plugin_id / manifest["rules"])
    for rule_type in rules["rule_types"]:
        defaults = apply_defaults(rule_type["params"], {})
        assert validate_against(defaults, rule_type["params"]) == [], rule_type["type"]


@pytest.mark.parametrize("plugin_id", BUILTIN_PLUGINS)
def test_builtin_screens_submit_under_api_v1(plugin_id):
    for path in manifest_of(plugin_id)["screens"]:
        action = load(PLUGINS_DIR / plugin_id / path)["action"]
        assert action["path"].startswith("/api/v1/")
        assert re.fullmatch(r"[a-z][A-Za-z0-9]+", action["operation_id"])


def test_builtin_assets():
    assets = {pid: {(a["key"], a["unit"]) for a in manifest_of(pid).get("assets", [])}
              for pid in BUILTIN_PLUGINS}
    assert assets == {
        "points": {("points", "point")},
        "stored_value": {("stored_value_principal", "fen"), ("stored_value_bonus", "fen"),
                         ("stored_value_pending", "fen")},
        "training_courses": {("course_sessions", "session"), ("course_minutes", "minute")},
        "cosmetics_profile": set(),
        "hotel_rooms": {("room_vouchers", "voucher")},
    }


def test_builtin_fields():
    def fields(pid):
        manifest = manifest_of(pid)
        if "fields" not in manifest:
            return {}
        return {f["key"]: f["type"] for f in load(PLUGINS_DIR / pid / manifest["fields"])}

    assert fields("points") == {} and fields("stored_value") == {}
    assert fields("cosmetics_profile") == {"skin_type": "choice", "skin_concerns": "multi_choice",
                                           "allergies": "text", "products_in_use": "text"}
    assert fields("training_courses") == {"guardian_phone": "phone", "school_grade": "choice"}
    assert fields("hotel_rooms") == {"id_document_last4": "text"}


def test_asset_keys_are_unique_across_builtin_plugins():
    keys = [a["key"] for pid in BUILTIN_PLUGINS for a in manifest_of(pid).get("assets", [])]
    assert len(keys) == len(set(keys))


# The defaults a new merchant gets are the ones RULES.md gives.
RULE_DEFAULTS = [
    ("points", "earn_unit_fen", 1000),                       # P1: 1 point per full 10 yuan
    ("points", "points_per_unit", 1),                        # P1
    ("points", "expiry_mode", "end_of_next_year"),           # P7
    ("points", "wheel_free_spins_per_day", 1),               # P4
    ("points", "wheel_extra_spin_points", 5),                # P4
    ("stored_value", "min_recharge_fen", 50000),             # S1: 500 yuan
    ("stored_value", "bonus_tiers", [{"threshold_fen": 100000, "bonus_fen": 10000}]),  # S1
    ("stored_value", "new_card_cap_permille", 600),          # S3
    ("stored_value", "pin_max_attempts", 5),                 # C6
    ("stored_value", "pin_lock_minutes", 15),                # C6
    ("stored_value", "allow_withdrawal", False),             # S1
    ("stored_value", "allow_refund", False),                 # S1
    ("stored_value", "purchase_card_fee_fen", 20000),        # C3: 200 yuan
    ("training_courses", "billing_unit_minutes", 30),        # T2
    ("training_courses", "package_validity_days", 365),      # T1
    ("training_courses", "deferred_revenue", True),          # T3
    ("cosmetics_profile", "follow_up_channels",
     ["in_store", "phone", "sms", "mail", "online", "event"]),  # K3
    ("hotel_rooms", "voucher_validity_days", 365),           # H2
    ("hotel_rooms", "discount_combines_with_coupons", False),  # H3
]


@pytest.mark.parametrize(("plugin_id", "key", "expected"), RULE_DEFAULTS,
                         ids=[f"{p}.{k}" for p, k, _ in RULE_DEFAULTS])
def test_builtin_settings_defaults_follow_the_rules(plugin_id, key, expected):
    schema = load(PLUGINS_DIR / plugin_id / manifest_of(plugin_id)["settings"])
    assert apply_defaults(schema, {})[key] == expected


def test_hotel_card_benefits_follow_h1():
    schema = load(PLUGINS_DIR / "hotel_rooms" / manifest_of("hotel_rooms")["settings"])
    benefits = {b["card_kind"]: b for b in apply_defaults(schema, {})["card_benefits"]}
    assert benefits["business"]["ticket_price_fen"] == 16900
    assert benefits["business"]["business_suite_nights"] == 1
    assert benefits["purple_gold"]["suite_nights"] == 2
    assert benefits["supreme"]["birthday_executive_suite"] is True
    assert benefits["shareholder"]["room_rate_permille"] < 1000


def test_hotel_blackout_dates_are_ordered_ranges():
    schema = load(PLUGINS_DIR / "hotel_rooms" / manifest_of("hotel_rooms")["settings"])
    periods = apply_defaults(schema, {})["blackout_dates"]
    assert {p["start"][:4] for p in periods} == {"2026", "2027"}
    for period in periods:
        assert period["start"] <= period["end"], period
    assert [p["start"] for p in periods] == sorted(p["start"] for p in periods)


def _properties(schema, pointer=""):
    for key, sub in schema.get("properties", {}).items():
        yield f"{pointer}/{key}", key, sub
        yield from _properties(sub, f"{pointer}/{key}")
    if isinstance(schema.get("items"), dict):
        yield from _properties(schema["items"], f"{pointer}/items")


@pytest.mark.parametrize("plugin_id", BUILTIN_PLUGINS)
def test_builtin_labels_and_rule_ids_in_help(plugin_id):
    """Every settings property has a label; top-level ones cite a rule ID or explain in help."""
    schema = load(PLUGINS_DIR / plugin_id / manifest_of(plugin_id)["settings"])
    for pointer, _key, sub in _properties(schema):
        if "x-label" not in sub:
            assert "/items" in pointer and sub.get("type") != "object", pointer
    cited = [key for key, sub in schema["properties"].items()
             if re.search(r"\b[A-Z]\d\b", sub.get("x-help", {}).get("en", ""))]
    assert len(cited) >= len(schema["properties"]) // 2, cited


def test_check_body_names_every_unknown_property_even_an_odd_one():
    from core.errors import Invalid
    from core.schemas import check_body

    schema = {"type": "object", "additionalProperties": False, "properties": {"a": {}}}
    for body, pointers in (({"": 1}, ["/"]), ({"it's": 1}, ["/it's"]), ({"x": 1, "y": 2}, ["/x", "/y"])):
        try:
            check_body(body, schema, "refused")
        except Invalid as refused:
            assert [d["pointer"] for d in refused.details] == pointers
        else:
            raise AssertionError(f"{body} was accepted")


@pytest.mark.parametrize("text, valid", [("8001", True), ("8001\n", False), ("8001\r\n", False),
                                         ("x8001", False)])
def test_patterns_end_where_ecma_262_ends_them(text, valid):
    """JSON Schema patterns are ECMA-262: ``$`` is the end of the text, not "before a final
    newline" as in Python, so an identifier cannot be stored with a newline."""
    from core.schemas import validate_against

    assert (validate_against(text, {"type": "string", "pattern": "^[0-9]{4}$"}) == []) is valid
