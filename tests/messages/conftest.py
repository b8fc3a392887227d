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
