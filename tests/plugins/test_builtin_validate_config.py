"""The built-in plugins' publish-time checks (validate_config) and their defaults."""
from __future__ import annotations

import pytest

from core.merchant_config import validate_config
from core.plugins import build_registry
from tests.support.factories import basic_document

BUILT_INS = ["points", "stored_value", "training_courses", "cosmetics_profile", "hotel_rooms"]


@pytest.fixture(scope="module")
def registry():
    return build_registry()


def document_with(plugin_id, settings):
    return basic_document(plugins=[{"id": plugin_id, "settings": settings}])


@pytest.mark.parametrize("plugin_id", BUILT_INS)
def test_each_plugin_publishes_with_its_defaults(registry, plugin_id):
    assert validate_config(document_with(plugin_id, {}), registry) == []


def pointers(problems):
    return [p["pointer"] for p in problems]


def test_points_wheel_and_expiry_consistency(registry):
    problems = validate_config(document_with("points", {
        "wheel_free_spins_per_day": 3, "wheel_max_spins_per_day": 2,
        "expiry_mode": "days_after_earning", "expiry_days": 30, "expiry_notice_days": 30}), registry)
    assert pointers(problems) == ["/plugins/0/settings/wheel_max_spins_per_day",
                                  "/plugins/0/settings/expiry_notice_days"]


def test_points_need_a_card_kind_that_earns(registry):
    document = document_with("points", {})
    document["card_kinds"] = [{"key": "purchase", "name": {"zh-CN": "购买卡", "en": "Purchase"},
                               "earns_points": False}]
    assert pointers(validate_config(document, registry)) == ["/card_kinds"]


def test_stored_value_bonus_tiers_must_climb_above_the_minimum(registry):
    problems = validate_config(document_with("stored_value", {
        "min_recharge_fen": 50000,
        "bonus_tiers": [{"threshold_fen": 40000, "bonus_fen": 1000},
                        {"threshold_fen": 100000, "bonus_fen": 10000},
                        {"threshold_fen": 100000, "bonus_fen": 200000}]}), registry)
    assert pointers(problems) == [
        "/plugins/0/settings/bonus_tiers/0/threshold_fen",
        "/plugins/0/settings/bonus_tiers/2/threshold_fen",
        "/plugins/0/settings/bonus_tiers/2/bonus_fen",
    ]


def test_settings_are_checked_against_the_plugin_schema(registry):
    problems = validate_config(document_with("stored_value", {"min_recharge_fen": 500.5}), registry)
    assert "/plugins/0/settings/min_recharge_fen" in pointers(problems)
    problems = validate_config(document_with("stored_value", {"no_such_setting": 1}), registry)
    assert problems and problems[0]["pointer"].startswith("/plugins/0/settings")


def test_cosmetics_classes_must_be_ordered(registry):
    problems = validate_config(document_with("cosmetics_profile", {
        "class_a_min_spend_fen": 100, "class_b_min_spend_fen": 200,
        "follow_up_days_a": 90, "follow_up_days_b": 60}), registry)
    assert pointers(problems) == ["/plugins/0/settings/class_a_min_spend_fen",
                                  "/plugins/0/settings/follow_up_days_a"]


def test_training_notice_shorter_than_validity(registry):
    problems = validate_config(document_with("training_courses", {
        "package_validity_days": 30, "expiry_notice_days": 30}), registry)
    assert pointers(problems) == ["/plugins/0/settings/expiry_notice_days"]


def test_hotel_benefits_must_name_the_merchants_card_kinds(registry):
    benefits = [{"card_kind": "business", "ticket_price_fen": 16900, "business_suite_nights": 1,
                 "suite_nights": 0, "birthday_executive_suite": False, "room_rate_permille": 1000}]
    problems = validate_config(document_with("hotel_rooms", {"card_benefits": benefits}), registry)
    assert pointers(problems) == ["/plugins/0/settings/card_benefits/0/card_kind"]
    document = document_with("hotel_rooms", {"card_benefits": benefits})
    document["card_kinds"].append({"key": "business", "name": {"zh-CN": "商务卡", "en": "Business"}})
    assert validate_config(document, registry) == []


def test_hotel_blackout_must_run_forwards(registry):
    problems = validate_config(document_with("hotel_rooms", {"blackout_dates": [
        {"start": "2026-10-07", "end": "2026-10-01", "name": "倒序"}]}), registry)
    assert pointers(problems) == ["/plugins/0/settings/blackout_dates/0/end"]


def test_plugin_dependencies_must_be_enabled(registry, monkeypatch):
    info = registry.plugins["points"]
    monkeypatch.setitem(info.manifest, "dependencies", ["stored_value"])
    problems = validate_config(document_with("points", {}), registry)
    assert {"pointer": "/plugins/0/id",
            "message": "plugin 'points' needs plugin 'stored_value' enabled too"} in problems


def test_cross_checks_wait_for_settings_that_match_the_schema(registry):
    # A string where an integer belongs must give a schema problem, not crash the cross-check.
    problems = validate_config(document_with("points", {"wheel_max_spins_per_day": "two"}), registry)
    assert pointers(problems) == ["/plugins/0/settings/wheel_max_spins_per_day"]


def test_pointers_index_the_document_even_after_an_unknown_plugin(registry):
    document = basic_document(plugins=[{"id": "not_installed", "settings": {}},
                                       {"id": "training_courses", "settings": {
                                           "package_validity_days": 30, "expiry_notice_days": 30}}])
    problems = validate_config(document, registry)
    assert pointers(problems) == ["/plugins/0/id"]  # unknown plugin first; cross-checks wait
    document["plugins"] = document["plugins"][1:]
    document["plugins"].insert(0, {"id": "points", "settings": {}})
    assert pointers(validate_config(document, registry)) == ["/plugins/1/settings/expiry_notice_days"]
