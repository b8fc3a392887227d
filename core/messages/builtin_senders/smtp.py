"""Email over SMTP (smtplib): plain, STARTTLS or SSL, with or without a login.

What counts as delivered: the server's 250 after the message data. Everything that fails
before the data is sent (no connection, a refused sender or recipient, a 4xx) certainly did
not deliver: ``retry`` (a 5xx refusal: ``failed``). A connection lost or timed out while
the data goes out or the answer is awaited may have delivered: ``unknown``. The
``Message-ID`` is the outbox id, so a mailbox shows any copy as the same message.
"""
from __future__ import annotations

import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate

from ..senders import Message, MessageSender, SendResult, SettingField

T = lambda zh, en: {"zh-CN": zh, "en": en}  # noqa: E731
SECURITY_CHOICES = (
    ("starttls", T("STARTTLS（常用端口 587）", "STARTTLS (usually port 587)")),
    ("ssl", T("SSL/TLS（常用端口 465）", "SSL/TLS (usually port 465)")),
    ("none", T("不加密（仅限内网测试）", "None (local testing only)")),
)
SECURITY = tuple(value for value, _label in SECURITY_CHOICES)


def _refusal(code: int, text, what: str) -> SendResult:
    detail = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    outcome = "retry" if 400 <= code < 500 else "failed"
    return SendResult(outcome, error=f"{what} refused: {code} {detail}"[:300])


class SmtpSender(MessageSender):
    id = "smtp"
    channel = "email"
    title = T("电子邮件（SMTP）", "Email (SMTP)")
    idempotent = False
    fields = (
        SettingField("host", T("SMTP 服务器", "SMTP host"), required=True),
        SettingField("port", T("端口", "Port"), type="int", default=587),
        SettingField("security", T("加密方式", "Security"), default="starttls", choices=SECURITY_CHOICES),
        SettingField("from_address", T("发件地址", "From address"), required=True),
        SettingField("from_name", T("发件人名称", "From name")),
        SettingField("username", T("登录用户名（可空）", "Login user (optional)")),
        SettingField("password", T("登录密码", "Password"), secret=True),
        SettingField("ca_file", T("CA 证书文件（自签名服务器，可空）", "CA file (self-signed server, optional)")),
        SettingField("timeout", T("超时（秒）", "Timeout (seconds)"), type="int", default=15),
    )

    def compose(self, message: Message, settings: dict) -> EmailMessage:
        email = EmailMessage(policy=SMTP_POLICY)
        email["Subject"] = message.subject or message.body[:40]
        email["From"] = Address(settings.get("from_name") or "", addr_spec=settings["from_address"])
        email["To"] = message.recipient
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = f"<{message.idempotency_key}@huika>"
        email.set_content(message.body)
        return email

    def send(self, message: Message, settings: dict) -> SendResult:
        security = settings.get("security") or "starttls"
        if security not in SECURITY:
            return SendResult("failed", error=f"security must be one of {', '.join(SECURITY)}")
        timeout = float(settings.get("timeout") or 15)
        host, port = settings["host"], int(settings.get("port") or 587)
        try:
            email = self.compose(message, settings)
        except (ValueError, TypeError) as error:
            return SendResult("failed", error=f"bad address: {error}"[:300])
        connection = None
        try:
            context = ssl.create_default_context(cafile=settings.get("ca_file") or None)
            if security == "ssl":
                connection = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
            else:
                connection = smtplib.SMTP(host, port, timeout=timeout)
            connection.ehlo()
            if security == "starttls":
                connection.starttls(context=context)
                connection.ehlo()
            if settings.get("username"):
                connection.login(settings["username"], settings.get("password") or "")
            code, text = connection.mail(settings["from_address"])
            if code != 250:
                return _refusal(code, text, "sender")
            code, text = connection.rcpt(message.recipient)
            if code not in (250, 251):
                return _refusal(code, text, "recipient")
        except smtplib.SMTPAuthenticationError as error:
            return SendResult("failed", error=f"login refused: {error.smtp_code}")
        except (OSError, smtplib.SMTPException) as error:  # before the data: not delivered
            _close(connection)
            return SendResult("retry", error=f"SMTP: {error!r}"[:300])
        try:
            code, text = connection.data(email.as_bytes())
        except smtplib.SMTPDataError as error:  # the server answered: it did not take it
            _close(connection)
            return _refusal(error.smtp_code, error.smtp_error, "message")
        except (OSError, smtplib.SMTPException) as error:
            _close(connection)
            return SendResult("unknown", error=f"SMTP lost during the data: {error!r}"[:300])
        _close(connection, polite=True)
        if code != 250:
            return _refusal(code, text, "message")
        return SendResult("sent", provider_message_id=email["Message-ID"])


def _close(connection, polite: bool = False) -> None:
    if connection is None:
        return
    try:
        connection.quit() if polite else connection.close()
    except (OSError, smtplib.SMTPException):
        connection.close()
