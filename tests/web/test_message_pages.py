"""The editor's message pages (issue 14, item 4): templates with checked variables, gateway
settings whose secrets are never shown back, sending rules, and the log, in Chinese."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.messages import enqueue
from core.messages.dispatch import dispatch_due
from core.models import MessageChannel, MessageTemplate
from tests.messages.conftest import DAYTIME, add_member, contact_document
from tests.support.factories import make_merchant
from tests.web.test_editor import SHOP, login, post


@pytest.fixture
def shop(hk):
    return make_merchant(hk, SHOP, contact_document())


@pytest.fixture
def owner(app, shop):
    client = app.test_client()
    login(client, "owner")
    return client


def test_a_template_with_a_typo_is_refused_with_the_variables_listed(owner, hk, shop):
    page = owner.get("/editor/messages/templates").get_data(as_text=True)
    assert "消息模板" in page and "{balance}" in page
    refused = post(owner, "/editor/messages/templates", {
        "action": "save", "kind": "low_balance", "channel": "sms", "language": "zh",
        "subject": "", "body": "{name}，余额{balence}"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "{balence}" in text and "余额{balence}" in text
    saved = post(owner, "/editor/messages/templates", {
        "action": "save", "kind": "low_balance", "channel": "sms", "language": "zh",
        "subject": "", "body": "{name}，余额{balance}"})
    assert saved.status_code == 302
    with hk.db.read() as session:
        [row] = session.scalars(select(MessageTemplate)).all()
        assert (row.merchant_id, row.body) == (shop.id, "{name}，余额{balance}")


def test_gateway_secrets_are_write_only_and_kept_when_left_empty(owner, hk, shop):
    page = owner.get("/editor/messages/channels").get_data(as_text=True)
    assert "发送规则" in page and "免打扰" in page
    fields = {"action": "channel", "channel": "sms", "sender": "tencent_sms", "enabled": "1",
              "tencent_sms:setting_sdk_app_id": "1400006666", "tencent_sms:setting_sign_name": "花间",
              "tencent_sms:setting_template_ids": '{"birthday": "1110"}',
              "tencent_sms:secret_secret_id": "AKIDsecretid", "tencent_sms:secret_secret_key": "very-secret-key"}
    assert post(owner, "/editor/messages/channels", fields).status_code == 302
    page = owner.get("/editor/messages/channels").get_data(as_text=True)
    assert "very-secret-key" not in page and "AKIDsecretid" not in page and "1400006666" in page
    kept = {key: value for key, value in fields.items() if "secret_" not in key}
    kept["tencent_sms:setting_sign_name"] = "花间茶舍"
    assert post(owner, "/editor/messages/channels", kept).status_code == 302
    with hk.db.read() as session:
        row = session.scalars(select(MessageChannel)).one()
        assert row.settings["sign_name"] == "花间茶舍" and row.secrets["secret_key"] == "very-secret-key"
    bad = post(owner, "/editor/messages/channels", {**kept, "tencent_sms:setting_template_ids": "{不是JSON"})
    assert bad.status_code == 422 and "template_ids" in bad.get_data(as_text=True)
    rules = post(owner, "/editor/messages/channels", {"action": "policy", "quiet_start": "22:00",
                                                       "quiet_end": "08:00", "daily_cap": "500",
                                                       "max_attempts": "4", "language": "zh"})
    assert rules.status_code == 302
    refused = post(owner, "/editor/messages/channels", {"action": "policy", "quiet_start": "25:00",
                                                         "quiet_end": "08:00", "daily_cap": "x",
                                                         "max_attempts": "4", "language": "zh"})
    assert refused.status_code == 422


def test_managers_read_the_log_but_not_the_gateways(app, hk, shop):
    member = add_member(hk, shop.id, "13800004001", name="郑洁")
    with hk.db.write() as session:
        enqueue(session, shop.id, member_id=member, kind="birthday", channel="sms", variables={}, now=DAYTIME)
    dispatch_due(hk.db, hk.plugins, DAYTIME)  # no gateway set up: failed, with the reason
    manager = app.test_client()
    login(manager, "manager")
    page = manager.get("/editor/messages")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "郑洁" in text and "138****4001" in text
    assert "生日快乐" in text and "此渠道没有设置发送网关" in text
    assert manager.get("/editor/messages?status=lost").status_code == 422
    assert manager.get("/editor/messages/channels").status_code == 403


def test_a_template_is_written_for_a_kind_chosen_from_the_list(owner, hk, shop):
    """The kind is a list of the message and reminder kinds by name (入会纪念日, not a code to
    type); a kind outside it, such as 生日 typed by hand, is refused: its template would never
    be used."""
    page = owner.get("/editor/messages/templates").get_data(as_text=True)
    assert '<select id="tpl-kind" name="kind">' in page
    assert '<option value="anniversary">入会纪念日</option>' in page and 'value="member_login"' not in page
    refused = post(owner, "/editor/messages/templates", {
        "action": "save", "kind": "生日", "channel": "sms", "language": "zh", "subject": "", "body": "{name}你好"})
    assert refused.status_code == 422 and "请从列表中选择消息类型" in refused.get_data(as_text=True)
    saved = post(owner, "/editor/messages/templates", {
        "action": "save", "kind": "anniversary", "channel": "sms", "language": "zh", "subject": "",
        "body": "{name}，入会快乐"})
    assert saved.status_code == 302
    with hk.db.read() as session:
        assert [row.kind for row in session.scalars(select(MessageTemplate))] == ["anniversary"]


def test_the_channel_pages_speak_chinese_about_gateways_and_their_problems(owner, hk, shop):
    """The gateway in use by its name, and each refused setting by its label with the reason in
    Chinese — not 'sms_http', 'settings/url: required' or 'quiet_end: HH:MM, not the start'."""
    saved = post(owner, "/editor/messages/channels", {
        "action": "channel", "channel": "sms", "sender": "sms_http", "enabled": "1",
        "sms_http:setting_url": "http://127.0.0.1:9/send", "sms_http:setting_timeout": "5"})
    assert saved.status_code == 302
    page = owner.get("/editor/messages/channels").get_data(as_text=True)
    assert "正在使用： <strong>通用短信网关（HTTP JSON）</strong>" in page.replace("正在使用：<", "正在使用： <")
    missing = post(owner, "/editor/messages/channels", {
        "action": "channel", "channel": "sms", "sender": "sms_http", "enabled": "1",
        "sms_http:setting_url": "", "sms_http:setting_timeout": "十"}).get_data(as_text=True)
    assert ("网关地址" in missing or "超时（秒）" in missing) and "settings/" not in missing
    same = post(owner, "/editor/messages/channels", {"action": "policy", "quiet_start": "10:00", "quiet_end": "10:00",
                                                      "daily_cap": "100", "max_attempts": "4", "language": "zh"})
    text = same.get_data(as_text=True)
    assert same.status_code == 422 and "免打扰结束：须为时间（例如 09:00），且不能与开始时间相同。" in text
    tries = post(owner, "/editor/messages/channels", {"action": "policy", "quiet_start": "", "quiet_end": "",
                                                       "daily_cap": "100", "max_attempts": "0", "language": "zh"})
    assert "须在 1 到 20 之间" in tries.get_data(as_text=True)
    log = owner.get("/editor/messages?member=王芳")
    assert log.status_code == 422 and "会员编号（数字）" in log.get_data(as_text=True)


def test_smtp_security_is_chosen_from_a_list_and_nothing_else_is_saved(owner, hk, shop):
    """The SMTP encryption is a <select> of three Chinese-labelled choices; a typed-in value
    (from a hand-made form) is refused in Chinese and nothing is saved."""
    page = owner.get("/editor/messages/channels").get_data(as_text=True)
    assert '<select id="email-smtp:setting_security" name="smtp:setting_security">' in page
    assert "不加密（仅限内网测试）" in page and "starttls / ssl / none" not in page
    fields = {"action": "channel", "channel": "email", "sender": "smtp", "enabled": "1",
              "smtp:setting_host": "127.0.0.1", "smtp:setting_port": "465",
              "smtp:setting_from_address": "shop@example.com"}
    refused = post(owner, "/editor/messages/channels", {**fields, "smtp:setting_security": "tls"})
    assert refused.status_code == 422 and "加密方式：不在可选范围内。" in refused.get_data(as_text=True)
    with hk.db.read() as session:
        assert session.scalar(select(MessageChannel)) is None
    assert post(owner, "/editor/messages/channels", {**fields, "smtp:setting_security": "SSL"}).status_code == 302
    with hk.db.read() as session:
        assert session.scalar(select(MessageChannel)).settings["security"] == "ssl"
    page = owner.get("/editor/messages/channels").get_data(as_text=True)
    assert '<option value="ssl" selected>SSL/TLS（常用端口 465）</option>' in page
