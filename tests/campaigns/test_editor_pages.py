"""The campaign pages in the editor (issue 14 item 5): set up in Chinese with a live count,
bad input is a message that saves nothing, send, results; cashiers are refused. Both DBs."""
from __future__ import annotations

import re

from tests.campaigns.conftest import use_console


def signed_in(app, shop, role="owner"):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"merchant": shop.merchant.name, "username": role, "password": "password-123",
                                "csrf_token": csrf(page)})
    return client


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)


def test_owner_sets_up_counts_sends_and_reads_results(app, shop):
    use_console(shop.hk, shop.id)
    gold = shop.member("金卡王", tier="gold", extra={"tags": ["vip"]})
    shop.member("普卡李")
    owner = signed_in(app, shop)
    page = owner.get("/editor/campaigns/new").get_data(as_text=True)
    assert "新建活动" in page and "RFM" in page and "生日月份" in page and "campaigns.js" in page
    token = csrf(page)
    counted = owner.post("/editor/campaigns/count", data={"csrf_token": token, "tiers": "gold"},
                         headers={"X-CSRFToken": token})
    assert counted.status_code == 200 and counted.json["count"] == 1, counted.json
    assert counted.json["sample"][0]["name"] == "金卡王"
    tagged = owner.post("/editor/campaigns/count", data={"csrf_token": token, "field_key_1": "tags",
                                                         "field_op_1": "has_any", "field_value_1": "vip，new"})
    assert tagged.json["count"] == 1
    bad = owner.post("/editor/campaigns/count", data={"csrf_token": token, "spend_min": "12.345"})
    assert bad.status_code == 422 and "消费" in bad.json["problems"][0]
    # Saving with a bad filter: a message in Chinese, nothing saved.
    refused = owner.post("/editor/campaigns/new", data={"csrf_token": token, "name": "周末", "dormant_days": "abc",
                                                        "message_text": "{name}你好"})
    assert refused.status_code == 422 and "未消费" in refused.get_data(as_text=True)
    assert shop.get("/campaigns").json["total"] == 0
    saved = owner.post("/editor/campaigns/new", data={"csrf_token": token, "name": "周末", "tiers": "gold",
                                                      "spend_min": "0", "message_text": "{name}，周末见"})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    campaign = shop.get("/campaigns").json["campaigns"][0]
    assert campaign["segment"] == {"tiers": ["gold"], "spend": {"min_fen": 0}}
    edit = owner.get(saved.headers["Location"]).get_data(as_text=True)
    assert "1 位会员" in edit and "立即发送" in edit
    sent = owner.post(f"/editor/campaigns/{campaign['id']}/send", data={"csrf_token": token})
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/results")
    results = owner.get(sent.headers["Location"]).get_data(as_text=True)
    assert "已发送" in results and "退订" in results
    # members in 人, messages in 条: the page says which number counts which
    assert "会员（按人计）" in results and "消息（按条计：每位会员每个渠道一条）" in results
    assert "纳入本次发送的会员</span><strong>1 <small>人</small>" in results
    assert "已送达消息</span><strong>0 <small>条</small>" in results
    listing = owner.get("/editor/campaigns").get_data(as_text=True)
    assert "周末" in listing and "已发送" in listing
    assert shop.get(f"/campaigns/{campaign['id']}").json["audience"] == 1
    assert gold["id"]


def test_cashiers_may_not_open_the_campaign_pages(app, shop):
    cashier = signed_in(app, shop, "cashier")
    assert cashier.get("/editor/campaigns").status_code in (302, 403)


def test_a_saved_template_is_offered_by_its_kind_channel_and_language_in_words(app, shop):
    from core.messages import save_template

    with shop.hk.db.write() as session:
        row = save_template(session, shop.id, kind="low_balance", channel="sms", language="zh",
                            body="{name}，余额不多了")
        template_id = row.id
    page = signed_in(app, shop).get("/editor/campaigns/new").get_data(as_text=True)
    assert f'<option value="{template_id}">#{template_id} 余额不足 · 短信 · 中文</option>' in page
    assert "low_balance · sms" not in page
