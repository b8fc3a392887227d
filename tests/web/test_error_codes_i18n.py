"""Every error code with a sentence in webui/errors_i18n is one the code raises, and reads in Chinese."""
from __future__ import annotations

import pathlib
import re

import pytest

from core.errors import Conflict
from webui.cashier.till_errors import cashier_error
from webui.errors_i18n import BY_CODE

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Codes built from a status (plugins/coupons/redeem.py: f"coupon_{coupon.status}").
RAISED = {"coupon_redeemed", "coupon_voided"}
for folder in ("core", "plugins", "webui"):
    for path in (ROOT / folder).rglob("*.py"):
        if path.name != "errors_i18n.py":
            RAISED.update(re.findall(r"""code\s*=\s*["']([a-z_0-9]+)["']""", path.read_text("utf-8")))
            RAISED.update(re.findall(r"""["']([a-z_0-9]+)["']""", path.read_text("utf-8"))
                          if path.name == "errors.py" else [])


@pytest.mark.parametrize("code", sorted(BY_CODE))
def test_each_worded_code_is_raised_somewhere(code):
    assert code in RAISED, f"{code} has a sentence but nothing raises it"


@pytest.mark.parametrize("code", ["coupon_redeemed", "package_used_up", "coupon_min_spend", "birthday_benefit_used"])
def test_a_plugin_error_reaches_a_chinese_cashier_in_chinese(app, code):
    with app.test_request_context("/cashier/till", headers={"Accept-Language": "zh-CN"}):
        from flask_babel import refresh
        refresh()
        message = cashier_error(Conflict("english text the cashier must not see", code=code))["message"]
    assert "english" not in message and re.search(r"[\u4e00-\u9fff]", message)
