"""The senders the core ships (registered by core.builtin_hooks.register_message_senders)."""
from __future__ import annotations


def builtin_senders() -> list:
    from .console import ConsoleSender
    from .http_sms import HttpSmsSender
    from .smtp import SmtpSender
    from .tencent_sms import TencentSmsSender
    from .wechat import WechatTemplateSender

    return [ConsoleSender(), SmtpSender(), HttpSmsSender(), TencentSmsSender(), WechatTemplateSender()]
