"""zh_CN is the default language, English is complete, and every UI string is translated."""
from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "webui" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"


def test_every_ui_string_has_a_chinese_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "extract", "-F", str(ROOT / "babel.cfg"),
                    "-k", "_l", "-o", str(pot), str(ROOT)], check=True, capture_output=True, cwd=ROOT)
    extracted = {m.id for m in read_po(io.BytesIO(pot.read_bytes())) if m.id}
    with CATALOG.open("rb") as handle:
        catalog = {m.id: m.string for m in read_po(handle) if m.id}
    missing = sorted(extracted - set(catalog))
    untranslated = sorted(k for k in extracted if not catalog.get(k))
    assert not missing, f"run `make translations` and translate: {missing}"
    assert not untranslated, f"translate in {CATALOG.relative_to(ROOT)}: {untranslated}"


def test_chinese_by_default_english_on_request(client):
    assert "员工登录" in client.get("/login").get_data(as_text=True)
    assert "Staff sign-in" in client.get("/login?lang=en").get_data(as_text=True)
    client.get("/lang/en")
    assert "Staff sign-in" in client.get("/login").get_data(as_text=True)  # remembered in the session


def test_schema_labels_follow_the_language(app):
    from webui.i18n import label

    with app.test_request_context("/?lang=en"):
        assert label({"zh-CN": "积分", "en": "Points"}) == "Points"
    with app.test_request_context("/"):
        assert label({"zh-CN": "积分", "en": "Points"}) == "积分"
        assert label({"en": "Only English"}) == "Only English"
