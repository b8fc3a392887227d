"""The owner's editor walk in Chromium (issue 13, item 9), in Chinese, with screenshots.

Add a field with a Chinese label only, set a tier to 8.5折, edit recharge bonus tiers as rows of
yuan, disable a plugin (it asks first) and enable it again with its settings back, and preview
the till with the draft. The draft is read from the database after each step.
"""
from __future__ import annotations

import copy

import pytest

from core import config_versions
from tests.support.factories import basic_document, make_merchant

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
SHOP = "编辑器浏览器测试店"


def _draft(hk, merchant_id) -> dict:
    with hk.db.read() as session:
        return copy.deepcopy(config_versions.get_draft(session, merchant_id).document)


def _stored_value(document: dict) -> dict | None:
    return next((p for p in document.get("plugins", []) if p["id"] == "stored_value"), None)


def test_owner_edits_in_their_own_words(hk, live_server, page, shot):
    shop = make_merchant(hk, SHOP)
    with hk.db.write() as session:
        config_versions.save_draft(session, shop.id, basic_document(
            plugins=[{"id": "stored_value"}, {"id": "points"}]), staff_id=None)
    page.goto(f"{live_server}/login")
    page.get_by_label("商户").fill(SHOP)
    page.get_by_label("用户名").fill("owner")
    page.get_by_label("密码").fill("password-123")
    page.keyboard.press("Enter")
    page.get_by_text("已登录").wait_for()

    # 1. a field named in Chinese only: no key, no English
    page.goto(f"{live_server}/editor/fields/new")
    page.locator("#label_zh").fill("推荐人")
    shot(page, "field-chinese-only")
    page.locator("form.field-form button.primary").click()
    page.locator("#field-tui_jian_ren").wait_for()
    assert any(f["key"] == "tui_jian_ren" and f["label"] == {"zh-CN": "推荐人", "en": "推荐人"}
               for f in _draft(hk, shop.id)["fields"])
    shot(page, "fields")

    # 2. a tier at 8.5折, typed as 8.5
    page.goto(f"{live_server}/editor/tiers")
    assert page.locator("#tiers-1-discount_zhe").input_value() == "8.8"
    page.locator("#tiers-1-discount_zhe").fill("85")
    page.locator("form button.primary").click()
    page.get_by_text("10 折即不打折").first.wait_for()  # a clear Chinese message, nothing saved
    assert _draft(hk, shop.id)["tiers"][1]["discount_permille"] == 880
    page.locator("#tiers-1-discount_zhe").fill("8.5")
    page.locator("form button.primary").click()
    page.get_by_text("会员等级已存入草稿").wait_for()
    assert page.locator("#tiers-1-discount_zhe").input_value() == "8.5"
    assert _draft(hk, shop.id)["tiers"][1]["discount_permille"] == 850
    shot(page, "tiers-in-zhe")

    # 3. recharge bonus tiers as rows of yuan: add a row, remove one
    page.goto(f"{live_server}/editor/plugins/stored_value/settings")
    assert page.locator("textarea.json").count() == 0
    assert page.locator('[name="bonus_tiers-0-threshold_fen"]').input_value() == "1000"
    page.locator('[name="bonus_tiers-1-threshold_fen"]').fill("2000")
    page.locator('[name="bonus_tiers-1-bonus_fen"]').fill("300")
    page.locator('button[name="bonus_tiers-add"]').click()
    page.locator('[name="bonus_tiers-2-threshold_fen"]').fill("5000")
    page.locator('[name="bonus_tiers-2-bonus_fen"]').fill("800")
    page.locator('[name="bonus_tiers-0-remove"]').check()
    shot(page, "bonus-rows")
    page.locator("form.settings-form button.primary").click()
    page.get_by_text("的设置已存入草稿").first.wait_for()
    bonus = [{"threshold_fen": 200000, "bonus_fen": 30000}, {"threshold_fen": 500000, "bonus_fen": 80000}]
    assert _stored_value(_draft(hk, shop.id))["settings"]["bonus_tiers"] == bonus
    settings = _stored_value(_draft(hk, shop.id))["settings"]

    # 4. disabling asks first and keeps the settings; enabling brings them back
    page.goto(f"{live_server}/editor/plugins")
    page.locator("#plugin-stored_value a", has_text="停用").click()
    page.get_by_text("发布后停止的功能").wait_for()
    assert _stored_value(_draft(hk, shop.id)) is not None  # asking changed nothing
    shot(page, "disable-confirm")
    page.locator("#disable-confirm button.primary").click()
    page.get_by_text("设置已保留").first.wait_for()
    assert _stored_value(_draft(hk, shop.id)) is None
    shot(page, "disabled")
    page.locator("#plugin-stored_value button.primary").click()
    page.locator("#plugin-stored_value .badge-added").wait_for()
    assert _stored_value(_draft(hk, shop.id))["settings"] == settings

    # 5. the till as the cashier will see it with this draft
    page.goto(f"{live_server}/editor/preview")
    strip = page.locator("[data-preview-strip]")
    assert "8.5折" in strip.inner_text() and "储值本金" in strip.inner_text()
    assert page.locator("[data-preview-due]").inner_text() == "¥197.13"
    page.get_by_role("button", name="全部储值").wait_for()
    page.locator("#preview-checkout").scroll_into_view_if_needed()
    shot(page, "preview-till")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/editor/preview")
    shot(page, "preview-till-phone")
