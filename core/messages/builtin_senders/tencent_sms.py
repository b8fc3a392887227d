"""Tencent Cloud SMS (腾讯云短信), API 3.0 ``SendSms`` version 2021-01-11, signed TC3-HMAC-SHA256.

References (Tencent Cloud docs):
- SendSms: https://cloud.tencent.com/document/api/382/55981 (PhoneNumberSet in E.164,
  SmsSdkAppId, TemplateId, SignName, TemplateParamSet, SessionContext echoed back);
- Signature v3: https://www.tencentcloud.com/document/product/382/40467 (canonical request → string
  to sign → HMAC chain "TC3"+SecretKey → date → service → "tc3_request").

Tencent sends only approved templates with positional parameters, so a kind maps to a
``TemplateId`` and an ordered list of our variables (settings ``template_ids`` and
``template_params``). SendSms has no idempotency key (``SessionContext`` is only echoed), so
this sender is not idempotent: a lost answer leaves the row ``failed``, never resent.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime, timezone
from urllib.parse import urlsplit

from ..senders import Message, MessageSender, SendResult, SettingField
from .http import NoAnswer, request, status_result

T = lambda zh, en: {"zh-CN": zh, "en": en}  # noqa: E731
SERVICE = "sms"
ACTION = "SendSms"
VERSION = "2021-01-11"
CONTENT_TYPE = "application/json; charset=utf-8"
SIGNED_HEADERS = "content-type;host"
RETRY_CODES = ("RequestLimitExceeded", "InternalError.RequestTimeException",
               "InternalError.SendAndRecvFail", "FailedOperation.InsufficientBalanceInSmsPackage")


def tc3_authorization(*, secret_id: str, secret_key: str, host: str, payload: bytes,
                      timestamp: int, service: str = SERVICE) -> str:
    """The ``Authorization`` header of a POST with a JSON body (TC3-HMAC-SHA256)."""
    day = datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")
    canonical = "\n".join([
        "POST", "/", "",
        f"content-type:{CONTENT_TYPE}\nhost:{host}\n",
        SIGNED_HEADERS,
        hashlib.sha256(payload).hexdigest(),
    ])
    scope = f"{day}/{service}/tc3_request"
    to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope,
                         hashlib.sha256(canonical.encode("utf-8")).hexdigest()])

    def keyed(key: bytes, text: str) -> bytes:
        return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()

    signing = keyed(keyed(keyed(("TC3" + secret_key).encode("utf-8"), day), service), "tc3_request")
    signature = hmac.new(signing, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return (f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
            f"SignedHeaders={SIGNED_HEADERS}, Signature={signature}")


def e164(phone: str) -> str:
    return phone if phone.startswith("+") else "+86" + phone


class TencentSmsSender(MessageSender):
    id = "tencent_sms"
    channel = "sms"
    title = T("腾讯云短信（SendSms）", "Tencent Cloud SMS (SendSms)")
    idempotent = False
    fields = (
        SettingField("sdk_app_id", T("短信 SdkAppId", "SMS SdkAppId"), required=True),
        SettingField("sign_name", T("短信签名", "Sign name"), required=True),
        SettingField("template_ids", T("各类消息的模板 ID（JSON：{\"birthday\": \"1110\"}）",
                                       "Template id per kind (JSON)"), type="json", required=True),
        SettingField("template_params", T("各类消息的模板参数（JSON：{\"birthday\": \"name,merchant\"}）",
                                          "Template parameters per kind (JSON)"), type="json"),
        SettingField("region", T("地域", "Region"), default="ap-guangzhou"),
        SettingField("endpoint", T("接口地址", "Endpoint"), default="https://sms.tencentcloudapi.com"),
        SettingField("secret_id", T("SecretId", "SecretId"), required=True, secret=True),
        SettingField("secret_key", T("SecretKey", "SecretKey"), required=True, secret=True),
        SettingField("timeout", T("超时（秒）", "Timeout (seconds)"), type="int", default=10),
    )

    def send(self, message: Message, settings: dict) -> SendResult:
        kind = message.kind or ""
        template_id = (settings.get("template_ids") or {}).get(kind)
        if not template_id:
            return SendResult("failed", error=f"no Tencent template id for kind {kind!r}")
        names = [name.strip() for name in
                 ((settings.get("template_params") or {}).get(kind) or "").split(",") if name.strip()]
        values = message.variables or {}
        payload = {
            "PhoneNumberSet": [e164(message.recipient)],
            "SmsSdkAppId": settings["sdk_app_id"],
            "TemplateId": str(template_id),
            "SignName": settings["sign_name"],
            "TemplateParamSet": [str(values.get(name, "")) for name in names],
            "SessionContext": message.idempotency_key,
        }
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        endpoint = settings.get("endpoint") or "https://sms.tencentcloudapi.com"
        host = urlsplit(endpoint).netloc
        timestamp = int(time.time())
        headers = {
            "Authorization": tc3_authorization(secret_id=settings["secret_id"],
                                               secret_key=settings["secret_key"], host=host,
                                               payload=body, timestamp=timestamp),
            "Content-Type": CONTENT_TYPE, "Host": host, "X-TC-Action": ACTION,
            "X-TC-Timestamp": str(timestamp), "X-TC-Version": VERSION,
            "X-TC-Region": settings.get("region") or "ap-guangzhou",
        }
        try:
            answer = request("POST", endpoint.rstrip("/") + "/", body=body, headers=headers,
                             timeout=float(settings.get("timeout") or 10))
        except NoAnswer as problem:
            return problem.result
        refused = status_result(answer, "Tencent Cloud")
        if refused is not None:
            return refused
        response = answer.json().get("Response") or {}
        error = response.get("Error")
        if isinstance(error, dict):
            code = str(error.get("Code", ""))
            text = f"{code}: {error.get('Message', '')}"[:300]
            if code == "InternalError.Timeout":
                return SendResult("unknown", error=text)
            return SendResult("retry" if code.startswith(RETRY_CODES) else "failed", error=text)
        statuses = response.get("SendStatusSet") or []
        status = statuses[0] if statuses and isinstance(statuses[0], dict) else {}
        if status.get("Code") == "Ok":
            return SendResult("sent", provider_message_id=str(status.get("SerialNo") or "")[:120] or None)
        return SendResult("failed", error=f"{status.get('Code', 'no status')}: {status.get('Message', '')}"[:300])
