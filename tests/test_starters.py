"""Starter templates (L2): every shipped one is valid; a broken one is skipped with its file and pointer."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from core import starters as starters_module
from core.merchant_config import validate_config
from core.plugins import build_registry
from core.schemas import validate_document
from core.starters import load_starters, read_starter, starter_files
from schemas import SCHEMA_DIR

ROOT = SCHEMA_DIR.parent
SHIPPED = {
    "points_shop": "points", "beauty_salon": "stored_value", "training_school": "training_courses",
    "cosmetics_shop": "cosmetics_profile", "hotel": "hotel_rooms", "member_care": None,
    "chain_supermarket": "goods",
}
# The starter meta-schema's invalid examples, each failing for the reason its name gives.
EXPECTED_POINTERS = {
    "document-discount-over-1000": "/document/tiers/0/discount_permille",
    "document-missing-schema-version": "/document",
    "id-not-slug": "/id",
    "missing-title": "",
    "title-missing-english": "/title",
    "unknown-property-author": "",
}


@pytest.fixture(scope="module")
def registry():
    return build_registry()


def test_every_shipped_starter_is_found_and_valid(registry):
    found = {s.id: s for s in load_starters(registry)}
    assert set(SHIPPED) <= set(found)
    for starter_id, plugin in SHIPPED.items():
        starter = found[starter_id]
        assert starter.plugin == plugin
        assert starter.path.stem == starter_id
        assert validate_config(starter.document, registry) == []
        assert starter.document["template"] == starter_id
        assert starter.new_document() == starter.document and starter.new_document() is not starter.document
        if plugin:  # a plugin's starter enables the plugin that ships it
            assert plugin in [entry["id"] for entry in starter.document["plugins"]]


@pytest.mark.parametrize("path", [p for p, _ in starter_files(build_registry())], ids=lambda p: p.stem)
def test_starter_files_validate_and_are_tidy(path, registry):
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    assert validate_document(data, "starter") == []
    assert text.endswith("\n") and not text.endswith("\n\n") and "\\u" not in text
    assert all((len(line) - len(line.lstrip(" "))) % 2 == 0 for line in text.splitlines())
    fields = data["document"].get("fields", [])
    assert fields and all(f["label"]["zh-CN"] and f["label"]["en"] for f in fields)
    assert data["document"].get("tiers") and data["document"].get("card_kinds")


def _broken_starter(tmp_path: Path, name: str, starter: dict | str) -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(starter if isinstance(starter, str) else json.dumps(starter, ensure_ascii=False), encoding="utf-8")
    return path


def _starter(starter_id: str, **document) -> dict:
    return {"id": starter_id, "title": {"zh-CN": "测试", "en": "Test"},
            "description": {"zh-CN": "测试用", "en": "For tests"},
            "document": {"schema_version": 1, **document}}


def test_a_broken_starter_is_skipped_with_its_file_and_pointer(tmp_path, monkeypatch, caplog, registry):
    monkeypatch.setattr(starters_module, "CORE_STARTER_DIR", tmp_path)
    bad_tier = _broken_starter(tmp_path, "bad_tier", _starter("bad_tier", tiers=[
        {"key": "gold", "name": {"zh-CN": "金卡", "en": "Gold"}, "rank": 1, "discount_permille": 1200}]))
    unknown_plugin = _broken_starter(tmp_path, "needs_wine", _starter("needs_wine", plugins=[{"id": "wine_cellar"}]))
    not_json = _broken_starter(tmp_path, "not_json", "{ this is not json")
    wrong_name = _broken_starter(tmp_path, "file_name", _starter("other_name"))
    bad_settings = _broken_starter(tmp_path, "bad_settings", _starter("bad_settings", plugins=[
        {"id": "points", "settings": {"earn_unit_fen": 0}}]))
    good = _broken_starter(tmp_path, "tea_house", _starter("tea_house"))

    with caplog.at_level(logging.WARNING, logger="huika.starters"):
        found = {s.id: s for s in load_starters(registry)}

    assert "tea_house" in found and found["tea_house"].path == good
    assert {"bad_tier", "needs_wine", "not_json", "other_name", "bad_settings"}.isdisjoint(found)
    assert set(SHIPPED) - {"member_care"} <= set(found)  # the plugins' starters keep working
    messages = [record.getMessage() for record in caplog.records]

    def logged(path: Path, pointer: str) -> bool:
        return any(str(path) in m and f"at {pointer}:" in m for m in messages)

    assert logged(bad_tier, "/document/tiers/0/discount_permille")
    assert logged(unknown_plugin, "/document/plugins/0/id")
    assert logged(not_json, '""')
    assert logged(wrong_name, "/id")
    assert logged(bad_settings, "/document/plugins/0/settings/earn_unit_fen")


def test_a_duplicate_starter_id_keeps_the_first(tmp_path, monkeypatch, caplog, registry):
    monkeypatch.setattr(starters_module, "CORE_STARTER_DIR", tmp_path)
    _broken_starter(tmp_path, "hotel", _starter("hotel"))
    with caplog.at_level(logging.WARNING, logger="huika.starters"):
        found = [s for s in load_starters(registry) if s.id == "hotel"]
    assert len(found) == 1 and found[0].plugin is None  # core starters come first
    assert any("already used by" in record.getMessage() for record in caplog.records)


def test_a_plugins_starter_needs_the_plugin_installed(registry):
    path = ROOT / "plugins" / "hotel_rooms" / "starters" / "hotel.json"
    without_hotel = build_registry()
    del without_hotel.plugins["hotel_rooms"]
    starter, problems = read_starter(path, "hotel_rooms", without_hotel)
    assert starter is None and any(p.startswith("/document/plugins/0/id:") for p in problems)
    assert read_starter(path, "hotel_rooms", registry)[0] is not None


@pytest.mark.parametrize("name", sorted(EXPECTED_POINTERS))
def test_invalid_starter_examples_fail_for_their_reason(name):
    path = SCHEMA_DIR / "examples" / "invalid" / "starter" / f"{name}.json"
    problems = validate_document(json.loads(path.read_text(encoding="utf-8")), "starter")
    assert EXPECTED_POINTERS[name] in [p.pointer for p in problems], problems


def test_every_invalid_starter_example_is_listed():
    assert sorted(EXPECTED_POINTERS) == sorted(p.stem for p in (SCHEMA_DIR / "examples" / "invalid" / "starter").glob("*.json"))
