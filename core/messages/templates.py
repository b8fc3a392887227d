"""Message templates: text with ``{variables}``, per (merchant, kind, channel, language).

A template names only known variables (``VARIABLES``); an unknown one is refused when the
template is saved, with the list of known ones, so a typo never reaches a member. Facts
handed to ``enqueue`` carry money in fen under ``*_fen`` keys (``balance_fen``); the template
says ``{balance}`` and gets ``¥12.50``. ``{{`` and ``}}`` are literal braces.
"""
from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..clock import local_date
from ..errors import Invalid, problem
from ..models import MessageTemplate

LANGUAGES = ("zh", "en")
CHANNELS = ("sms", "email", "wechat", "console")
MAX_BODY = 2000
MAX_SUBJECT = 200

# name -> what it means (shown in the editor next to the template).
VARIABLES = {
    "name": "member's name",
    "merchant": "merchant's name",
    "store": "store's name",
    "balance": "stored value balance (¥)",
    "points": "points",
    "expires_on": "expiry date (YYYY-MM-DD)",
    "days_left": "days left",
    "amount": "an amount of money (¥)",
    "coupon": "coupon or voucher",
    "package": "package or course",
    "sessions": "sessions left",
    "event": "event",
    "starts_at": "start time",
    "date": "a date",
    "code": "a code",
    "link": "a link",
    "product": "product",
}

# Kinds with a text out of the box, so a reminder is never silent for want of a template.
DEFAULT_TEXTS = {
    ("birthday", "zh"): ("生日快乐", "{name}，{merchant}祝您生日快乐！生日当天到店可享会员生日礼遇。"),
    ("birthday", "en"): ("Happy birthday", "Happy birthday, {name}! {merchant} has a birthday treat for you in store."),
    ("low_balance", "zh"): ("余额提醒", "{name}，您的储值余额为{balance}，欢迎到店充值。"),
    ("low_balance", "en"): ("Balance reminder", "{name}, your stored balance is {balance}."),
    ("points_expiry", "zh"): ("积分到期提醒", "{name}，您有{points}积分将于{expires_on}到期，请尽快使用。"),
    ("points_expiry", "en"): ("Points expiring", "{name}, {points} points expire on {expires_on}."),
    ("package_expiry", "zh"): ("套餐到期提醒", "{name}，您的{package}将于{expires_on}到期，剩余{sessions}次。"),
    ("package_expiry", "en"): ("Package expiring", "{name}, your {package} expires on {expires_on} ({sessions} left)."),
    ("voucher_expiry", "zh"): ("券到期提醒", "{name}，您的{coupon}将于{expires_on}到期。"),
    ("voucher_expiry", "en"): ("Voucher expiring", "{name}, your {coupon} expires on {expires_on}."),
    ("dormant", "zh"): ("好久不见", "{name}，好久不见，{merchant}期待您再次光临。"),
    ("dormant", "en"): ("We miss you", "{name}, it has been a while. {merchant} hopes to see you soon."),
    ("anniversary", "zh"): ("入会纪念日", "{name}，感谢您成为{merchant}会员，今天是您的入会纪念日。"),
    ("anniversary", "en"): ("Member anniversary", "{name}, thank you for being a {merchant} member."),
    ("purchase_cycle", "zh"): ("补货提醒", "{name}，您的{product}可能快用完了，欢迎到店选购。"),
    ("purchase_cycle", "en"): ("Time to restock", "{name}, your {product} may be running low."),
    # Member events (plugins/member_events, E1)
    ("event_signup", "zh"): ("活动报名成功", "{name}，您已成功报名{event}，时间{starts_at}，{merchant}期待您的光临。"),
    ("event_signup", "en"): ("You are signed up", "{name}, you have a seat at {event} on {starts_at}. See you there!"),
    ("event_waitlist", "zh"): ("活动候补", "{name}，{event}（{starts_at}）名额已满，您已在候补名单中，有空位时将为您递补并通知您。"),
    ("event_waitlist", "en"): ("On the waiting list", "{name}, {event} on {starts_at} is full: you are on the waiting list and will hear from us when a seat is free."),
}
GENERIC_TEXT = {"zh": ("会员通知", "{name}，{merchant}有新消息给您。"),
                "en": ("Member notice", "{name}, {merchant} has news for you.")}


@dataclass(frozen=True)
class Template:
    kind: str
    channel: str
    language: str
    subject: str
    body: str
    stored: bool  # False: the built-in default text

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.channel}/{self.language}"


def template_fields(text: str) -> list[str]:
    """The variable names in ``text``; Invalid for a malformed or unknown one."""
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as error:
        raise Invalid(f"template text is malformed: {error} (write {{{{ for a literal brace)",
                      code="template_malformed") from None
    names = []
    for _literal, field, spec, conversion in parts:
        if field is None:
            continue
        if spec or conversion or not field.isidentifier():
            raise Invalid(f"{{{field}}}: a variable is a plain name such as {{name}}",
                          code="template_malformed")
        if field not in VARIABLES:
            raise Invalid(f"unknown variable {{{field}}}; known: " +
                          ", ".join("{%s}" % name for name in VARIABLES),
                          code="unknown_variable", params={"variable": field})
        names.append(field)
    return names


def render(text: str, values: dict) -> str:
    """``text`` with each ``{variable}`` replaced by its value ("" when the facts lack it)."""
    out = []
    for literal, field, _spec, _conversion in string.Formatter().parse(text):
        out.append(literal)
        if field is not None:
            out.append(str(values.get(field, "")))
    return "".join(out)


def yuan(fen: int) -> str:
    """1250 -> "¥12.50"; -5 -> "-¥0.05"."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}¥{whole}.{cents:02d}"


def template_values(facts: dict) -> dict[str, str]:
    """Facts as the text shows them: ``*_fen`` money in yuan, dates as YYYY-MM-DD."""
    values: dict[str, str] = {}
    for key, value in (facts or {}).items():
        if not isinstance(key, str):
            continue
        if key.endswith("_fen") and type(value) is int:
            values[key[:-4]] = yuan(value)
        elif isinstance(value, datetime):
            values[key] = local_date(value).isoformat()
        elif isinstance(value, date):
            values[key] = value.isoformat()
        elif value is not None and key not in values:
            values[key] = str(value)[:200]
    return values


def _check_choice(value, choices, pointer: str) -> None:
    if value not in choices:
        raise Invalid(f"{pointer.strip('/')} must be one of: " + ", ".join(choices),
                      details=[problem(pointer, "one of " + ", ".join(choices))])


def _check_kind(kind) -> None:
    if not isinstance(kind, str) or not kind or len(kind) > 40 or not kind.replace("_", "a").replace(".", "a").isalnum():
        raise Invalid("kind is a short name such as birthday", details=[problem("/kind", "a short name")])


def save_template(session: Session, merchant_id: int, *, kind: str, channel: str, language: str,
                  body: str, subject: str = "") -> MessageTemplate:
    """Create or replace a template; Invalid (nothing saved) for a bad one."""
    _check_kind(kind)
    _check_choice(channel, CHANNELS, "/channel")
    _check_choice(language, LANGUAGES, "/language")
    if not isinstance(body, str) or not body.strip() or len(body) > MAX_BODY:
        raise Invalid(f"the text is 1 to {MAX_BODY} characters", details=[problem("/body", "text")])
    if not isinstance(subject, str) or len(subject) > MAX_SUBJECT:
        raise Invalid(f"the subject is at most {MAX_SUBJECT} characters",
                      details=[problem("/subject", "text")])
    template_fields(subject)
    template_fields(body)
    row = session.scalar(select(MessageTemplate).where(
        MessageTemplate.merchant_id == merchant_id, MessageTemplate.kind == kind,
        MessageTemplate.channel == channel, MessageTemplate.language == language))
    if row is None:
        row = MessageTemplate(merchant_id=merchant_id, kind=kind, channel=channel, language=language)
        session.add(row)
    row.subject, row.body = subject, body
    session.flush()
    return row


def delete_template(session: Session, merchant_id: int, template_id: int) -> bool:
    row = session.get(MessageTemplate, template_id)
    if row is None or row.merchant_id != merchant_id:
        return False
    session.delete(row)
    session.flush()
    return True


def find_template(session: Session, merchant_id: int, kind: str, channel: str,
                  language: str) -> Template:
    """The merchant's template for the kind and channel in ``language`` (else the other
    language), else the built-in text."""
    rows = session.scalars(select(MessageTemplate).where(
        MessageTemplate.merchant_id == merchant_id, MessageTemplate.kind == kind,
        MessageTemplate.channel == channel)).all()
    by_language = {row.language: row for row in rows}
    for candidate in (language, *LANGUAGES):
        row = by_language.get(candidate)
        if row is not None:
            return Template(kind, channel, row.language, row.subject, row.body, True)
    subject, body = DEFAULT_TEXTS.get((kind, language)) or GENERIC_TEXT.get(language, GENERIC_TEXT["zh"])
    return Template(kind, channel, language, subject, body, False)
