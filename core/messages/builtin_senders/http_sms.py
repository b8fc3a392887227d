"""A generic SMS HTTP gateway: one JSON POST per message, to a URL with headers the merchant sets.

The request::

    POST <url>
    Content-Type: application/json; charset=utf-8
    Idempotency-Key: huika-outbox-<id>
    <extra headers>

    {"to": "13800138000", "text": "...", "out_id": "huika-outbox-<id>", "kind": "birthday"}

A 2xx answer means accepted (``{"id": ...}`` or ``{"message_id": ...}`` is kept as the
provider id); 429 and 5xx are tried again; other answers fail for good. The gateway is
expected to drop a second request with the same ``Idempotency-Key`` / ``out_id`` (most
aggregators do: it is their out-id), which is what makes a retry after a lost answer safe.
"""
from __future__ import annotations

from ..senders import Message, MessageSender, SendResult, SettingField
from .http import NoAnswer, post_json, status_result

T = lambda zh, en: {"zh-CN": zh, "en": en}  # noqa: E731


class HttpSmsSender(MessageSender):
    id = "sms_http"
    channel = "sms"
    title = T("通用短信网关（HTTP JSON）", "Generic SMS gateway (HTTP JSON)")
    idempotent = True
    fields = (
        SettingField("url", T("网关地址", "Gateway URL"), required=True),
        SettingField("headers", T("附加请求头（JSON，如鉴权）", "Extra headers (JSON, e.g. auth)"),
                     secret=True, type="json"),
        SettingField("sign_name", T("短信签名（加在正文前）", "Signature prefix (e.g. 【花间茶舍】)")),
        SettingField("timeout", T("超时（秒）", "Timeout (seconds)"), type="int", default=10),
    )

    def send(self, message: Message, settings: dict) -> SendResult:
        headers = {str(k): str(v) for k, v in (settings.get("headers") or {}).items()}
        headers["Idempotency-Key"] = message.idempotency_key
        text = (settings.get("sign_name") or "") + message.body
        payload = {"to": message.recipient, "text": text, "out_id": message.idempotency_key,
                   "kind": message.kind or ""}
        try:
            answer = post_json(settings["url"], payload, headers=headers,
                               timeout=float(settings.get("timeout") or 10))
        except NoAnswer as problem:
            return problem.result
        refused = status_result(answer, "the SMS gateway")
        if refused is not None:
            return refused
        data = answer.json()
        provider_id = data.get("id") or data.get("message_id") or ""
        return SendResult("sent", provider_message_id=str(provider_id)[:120] or None)
