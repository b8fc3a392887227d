"""The receipt's 折 (item 8) and the P6 projection (item 7) on the cashier's receipt and member
page and in the member portal, in Chinese and English (Flask test client, both databases)."""
from __future__ import annotations

import html
import re

import pytest

from tests.plugins.points.conftest import Shop
from tests.support.clock import freeze
from tests.support.factories import basic_document, make_merchant
from tests.web.test_cashier import sign_in
from webui.member.views import SESSION_KEY

TIERS = [
    {"key": "regular", "name": {"zh-CN": "普卡", "en": "Regular"}, "rank": 0, "discount_permille": 880},
    {"key": "gold", "name": {"zh-CN": "金卡", "en": "Gold"}, "rank": 1, "discount_permille": 850,
     "upgrade": [{"kind": "cumulative_spend", "amount_fen": 100000, "period_days": 365}]},
]


@pytest.fixture
def shop(client, hk, monkeypatch):
    freeze(monkeypatch, "2026-10-01 12:00")
    document = basic_document(tiers=TIERS, plugins=[{"id": "points", "settings": {}}])
    shop = Shop(client, hk, make_merchant(hk, "小票店", document))
    gift = client.post("/api/v1/points/mall/items", json={"name": "保温杯", "points_cost": 100, "stock": 3},
                       headers=shop.headers())
    assert gift.status_code == 201, gift.json
    return shop


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def test_receipt_shows_the_rate_and_what_is_within_reach(client, shop):
    card = shop.card()
    receipt = shop.buy(card, 100)  # 8.8折: 88 yuan paid, 8 points
    sign_in(client, shop.merchant)
    page = text(client.get(f"/cashier/receipts/{receipt['checkout_id']}"))  # English
    assert "88.00 (12% off)" in page
    assert "Spend ¥912.00 more to reach Gold (spend of the last 365 days counts)." in page
    assert "92 more points for 保温杯: spend ¥920.00 more." in page
    # One purchase today counts as a week's; 91 days to go: 114400 fen, 114 points more.
    assert ("You spend ¥88.00 a week on average and have 8 points: at this pace you will have "
            "122 points by 2026-12-31, enough for 保温杯.") in page
    client.get("/lang/zh_CN")
    page = text(client.get(f"/cashier/receipts/{receipt['checkout_id']}"))
    assert "88.00 (8.8折)" in page and "· 8.8折" in page  # the total and the line
    assert "再消费 ¥912.00 即可升级为金卡（按近365天累计消费计算）。" in page
    assert "再积 92 分可兑换保温杯，约需再消费 ¥920.00。" in page
    assert "到 2026-12-31 将有 122 积分，足够兑换保温杯。" in page


def test_rates_typed_as_permille_print_as_merchants_write_them(client, hk, monkeypatch):
    freeze(monkeypatch, "2026-10-01 12:00")
    tiers = [{"key": "a", "name": {"zh-CN": "甲卡", "en": "A"}, "rank": 0, "discount_permille": 850},
             {"key": "b", "name": {"zh-CN": "乙卡", "en": "B"}, "rank": 1, "discount_permille": 900}]
    shop = Shop(client, hk, make_merchant(hk, "两档店", basic_document(tiers=tiers)))
    first = shop.buy(shop.card(tier="a"), 100)
    second = shop.buy(shop.card(tier="b"), 100)
    walk_in = shop.buy(None, 100)
    sign_in(client, shop.merchant)
    client.get("/lang/zh_CN")
    assert "85.00 (8.5折)" in text(client.get(f"/cashier/receipts/{first['checkout_id']}"))
    assert "90.00 (9折)" in text(client.get(f"/cashier/receipts/{second['checkout_id']}"))
    plain = text(client.get(f"/cashier/receipts/{walk_in['checkout_id']}"))
    assert "折" not in plain and "再消费可得" not in plain
    client.get("/lang/en")
    assert "85.00 (15% off)" in text(client.get(f"/cashier/receipts/{first['checkout_id']}"))


def test_member_page_and_portal_show_the_projection(client, shop):
    card = shop.card()
    shop.buy(card, 100)
    member_id = shop.client.get(f"/api/v1/cards/{card}", headers=shop.headers()).json["member_id"]
    sign_in(client, shop.merchant)
    page = text(client.get(f"/cashier/members/{member_id}"))
    assert "Within reach" in page and "Spend ¥912.00 more to reach Gold" in page
    client.get("/lang/zh_CN")
    page = text(client.get(f"/cashier/members/{member_id}"))
    assert "再消费可得" in page and "再积 92 分可兑换保温杯" in page
    with client.session_transaction() as session:
        session[SESSION_KEY] = {"member_id": member_id, "merchant_id": shop.id}
    portal = text(client.get(f"/m/{shop.id}/me"))
    assert "再消费 ¥912.00 即可升级为金卡" in portal and "到 2026-12-31 将有 122 积分" in portal


@pytest.mark.parametrize("lang, texts", [
    ("en", ["Silver reached: it applies from the next purchase.",
            "One purchase of ¥3,000.00 or more moves you up to Silver.", "12.5% off", "free"]),
    ("zh_CN", ["已达到银卡条件，下次消费起生效。", "单笔消费满 ¥3,000.00 即可升级为银卡。", "8.75折", "免费"]),
])
def test_tier_sentences_and_rates_in_both_languages(app, lang, texts):
    from types import SimpleNamespace

    from webui.cashier.projection import projection_texts, rate_text

    config = SimpleNamespace(tiers=[{"key": "silver", "name": {"zh-CN": "银卡", "en": "Silver"}}])
    lines = [{"kind": "tier", "tier": "silver", "condition": "cumulative_spend", "spend_fen": 0},
             {"kind": "tier", "tier": "silver", "condition": "single_purchase", "spend_fen": 300000},
             {"kind": "a_plugin_of_its_own", "spend_fen": 1}]  # unknown kinds stay off the page
    with app.test_request_context(f"/?lang={lang}"):
        assert projection_texts({"lines": lines}, config) + [rate_text(875), rate_text(0)] == texts
        assert rate_text(None) == rate_text(1000) == ""
