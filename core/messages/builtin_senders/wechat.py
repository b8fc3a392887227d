"""WeChat Official Account template messages (公众号模板消息).

References (WeChat docs, developers.weixin.qq.com/doc/offiaccount/Message_Management/
Template_Message_Interface.html): ``GET /cgi-bin/token?grant_type=client_credential&appid=
&secret=`` gives an ``access_token`` (``expires_in`` seconds), then ``POST
/cgi-bin/message/template/send?access_token=`` with ``touser`` (the openid),
``template_id``, ``data`` ({"keyword1": {"value": ...}}), optional ``url`` and
``client_msg_id`` (WeChat sends one message per openid and client_msg_id: our outbox id).

The token is cached per process until shortly before it expires; an answer saying the token
is invalid or expired (40001, 40014, 42001) drops it and the send is made once more with a
new one (the refused request sent nothing). ``client_msg_id`` deduplicates only for a short
while, so a lost answer is not retried later (not idempotent): the row is ``failed``.
"""
from __future__ import annotations

import threading
import time
from urllib.parse import urlencode

from ..senders import Message, MessageSender, SendResult, SettingField
from .http import NoAnswer, post_json, request, status_result

T = lambda zh, en: {"zh-CN": zh, "en": en}  # noqa: E731
TOKEN_ERRORS = (40001, 40014, 42001)
BUSY = -1
TOKEN_MARGIN = 300  # seconds before expiry a cached token is renewed

_tokens: dict[tuple, tuple[str, float]] = {}
_tokens_lock = threading.Lock()


def forget_tokens() -> None:
    """Drop every cached access_token (tests; a changed app secret)."""
    with _tokens_lock:
        _tokens.clear()


class TokenProblem(Exception):
    def __init__(self, result: SendResult):
        super().__init__(result.error)
        self.result = result


def access_token(base: str, appid: str, secret: str, timeout: float, *, renew: bool = False) -> str:
    key = (base, appid, secret)
    with _tokens_lock:
        cached = _tokens.get(key)
        if cached and not renew and cached[1] > time.monotonic():
            return cached[0]
        url = f"{base}/cgi-bin/token?" + urlencode(
            {"grant_type": "client_credential", "appid": appid, "secret": secret})
        try:
            answer = request("GET", url, timeout=timeout)
        except NoAnswer as problem:  # fetching a token sends no message: safe to try later
            raise TokenProblem(SendResult("retry", error="access_token: " + str(problem.result.error)))
        refused = status_result(answer, "WeChat token")
        if refused is not None:
            raise TokenProblem(refused)
        data = answer.json()
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            code = data.get("errcode")
            outcome = "retry" if code == BUSY else "failed"
            raise TokenProblem(SendResult(outcome, error=f"access_token: {code} {data.get('errmsg', '')}"[:300]))
        lifetime = data.get("expires_in") if type(data.get("expires_in")) is int else 7200
        _tokens[key] = (token, time.monotonic() + max(lifetime - TOKEN_MARGIN, 60))
        return token


class WechatTemplateSender(MessageSender):
    id = "wechat_template"
    channel = "wechat"
    title = T("微信公众号模板消息", "WeChat template messages")
    idempotent = False
    fields = (
        SettingField("appid", T("公众号 AppID", "AppID"), required=True),
        SettingField("template_ids", T("各类消息的模板 ID（JSON：{\"birthday\": \"模板ID\"}）",
                                       "Template id per kind (JSON)"), type="json", required=True),
        SettingField("template_data", T("模板字段对应的变量（JSON：{\"birthday\": \"thing1=name,time2=date\"}）",
                                        "Template fields per kind (JSON)"), type="json"),
        SettingField("url", T("点击后打开的链接", "Link opened on tap")),
        SettingField("api_base", T("接口地址", "API base"), default="https://api.weixin.qq.com"),
        SettingField("appsecret", T("AppSecret", "AppSecret"), required=True, secret=True),
        SettingField("timeout", T("超时（秒）", "Timeout (seconds)"), type="int", default=10),
    )

    def _data(self, message: Message, settings: dict) -> dict:
        mapping = (settings.get("template_data") or {}).get(message.kind or "")
        values = message.variables or {}
        if not mapping:  # no field map: the subject and the whole text
            return {"first": {"value": message.subject}, "remark": {"value": message.body}}
        data = {}
        for pair in mapping.split(","):
            field, _, variable = pair.partition("=")
            if field.strip():
                data[field.strip()] = {"value": str(values.get(variable.strip(), ""))[:200]}
        return data

    def send(self, message: Message, settings: dict) -> SendResult:
        template_id = (settings.get("template_ids") or {}).get(message.kind or "")
        if not template_id:
            return SendResult("failed", error=f"no WeChat template id for kind {message.kind!r}")
        base = (settings.get("api_base") or "https://api.weixin.qq.com").rstrip("/")
        timeout = float(settings.get("timeout") or 10)
        payload = {"touser": message.recipient, "template_id": template_id,
                   "client_msg_id": message.idempotency_key, "data": self._data(message, settings)}
        if settings.get("url"):
            payload["url"] = settings["url"]
        for renew in (False, True):
            try:
                token = access_token(base, settings["appid"], settings["appsecret"], timeout, renew=renew)
                answer = post_json(f"{base}/cgi-bin/message/template/send?" +
                                   urlencode({"access_token": token}), payload, timeout=timeout)
            except TokenProblem as problem:
                return problem.result
            except NoAnswer as problem:
                return problem.result
            refused = status_result(answer, "WeChat")
            if refused is not None:
                return refused
            data = answer.json()
            code = data.get("errcode", 0)
            if code == 0:
                return SendResult("sent", provider_message_id=str(data.get("msgid") or "")[:120] or None)
            if code in TOKEN_ERRORS and not renew:
                continue  # refused for the token: nothing was sent, try once with a new one
            error = f"{code}: {data.get('errmsg', '')}"[:300]
            return SendResult("retry" if code == BUSY else "failed", error=error)
        return SendResult("failed", error="WeChat refused a fresh access_token")
