"""Shared set-up for the message tests: a merchant whose members can have an email and a
WeChat openid (custom fields), members made through core.members."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from core.config_versions import published_config
from core.members import create_member
from core.messages.channels import save_channel
from tests.support.factories import basic_document, make_merchant

# 10:00 in Shanghai: outside the default quiet hours (21:00–09:00).
DAYTIME = datetime(2026, 12, 7, 2, 0, tzinfo=timezone.utc)


def contact_document() -> dict:
    document = basic_document()
    document["fields"] += [
        {"key": "email", "type": "text", "max_length": 100, "label": {"zh-CN": "邮箱", "en": "Email"}},
        {"key": "wechat_openid", "type": "text", "max_length": 64,
         "label": {"zh-CN": "微信OpenID", "en": "WeChat openid"}},
    ]
    return document


@pytest.fixture
def shop(hk):
    return make_merchant(hk, "花间茶舍", contact_document())


def add_member(hk, merchant_id: int, phone: str, name: str = "王芳", **extra) -> int:
    with hk.db.write() as session:
        config = published_config(session, merchant_id, hk.plugins)
        member = create_member(session, config, merchant_id, {"name": name, "phone": phone,
                                                              "extra": extra})
        return member.id


def set_channel(hk, merchant_id: int, channel: str, sender: str, settings: dict | None = None,
                secrets: dict | None = None, enabled: bool = True) -> None:
    with hk.db.write() as session:
        save_channel(session, hk.plugins, merchant_id, channel, sender=sender,
                     settings=settings or {}, secrets=secrets or {}, enabled=enabled)


# -- stand-in gateways (tests/support/gateways.py), one per test --------------------------

@pytest.fixture
def sms_gateway():
    from tests.support.gateways import SmsGateway

    gateway = SmsGateway().start()
    yield gateway
    gateway.stop()


@pytest.fixture
def tencent():
    from tests.support.gateways import TencentSms

    gateway = TencentSms().start()
    yield gateway
    gateway.stop()


@pytest.fixture
def wechat():
    from core.messages.builtin_senders.wechat import forget_tokens
    from tests.support.gateways import Wechat

    forget_tokens()
    gateway = Wechat().start()
    yield gateway
    gateway.stop()
    forget_tokens()


@pytest.fixture
def smtp_server():
    from tests.support.gateways import SmtpServer

    server = SmtpServer().start()
    yield server
    server.stop()


def use_sms_gateway(hk, merchant_id: int, gateway, url: str | None = None) -> None:
    set_channel(hk, merchant_id, "sms", "sms_http",
                {"url": url or gateway.base + "/sms/send", "timeout": 1, "sign_name": "【花间】"},
                {"headers": {"Authorization": "Bearer gw-token"}})


def use_tencent(hk, merchant_id: int, gateway) -> None:
    set_channel(hk, merchant_id, "sms", "tencent_sms",
                {"sdk_app_id": gateway.app_id, "sign_name": "花间茶舍", "endpoint": gateway.base,
                 "template_ids": {"low_balance": "1110", "birthday": "1111"},
                 "template_params": {"low_balance": "name,balance", "birthday": "name"}, "timeout": 1},
                {"secret_id": gateway.secret_id, "secret_key": gateway.secret_key})


def use_wechat(hk, merchant_id: int, gateway) -> None:
    set_channel(hk, merchant_id, "wechat", "wechat_template",
                {"appid": gateway.appid, "api_base": gateway.base, "timeout": 1,
                 "template_ids": {"low_balance": "TPL-BAL"},
                 "template_data": {"low_balance": "thing1=name,amount2=balance"}},
                {"appsecret": gateway.secret})


def use_smtp(hk, merchant_id: int, server) -> None:
    set_channel(hk, merchant_id, "email", "smtp",
                {"host": "127.0.0.1", "port": server.port, "security": "none", "timeout": 1,
                 "from_address": "care@huajian.example", "from_name": "花间茶舍"})
