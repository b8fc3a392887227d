"""Messages in the editor (issue 14, item 4): templates, channels and sending rules, the log.

Templates and the log are for owners and managers; gateway settings (with their secrets)
for owners only. Secrets are write-only: the page says whether one is set, never its value,
and an empty secret field keeps the stored one.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core.errors import HuikaError, Invalid
from core.messages import log as message_log
from core.messages.channels import channel_row, describe_channel, save_channel
from core.messages.policy import policy_for, save_policy
from core.messages.senders import message_senders
from core.messages.templates import (CHANNELS, DEFAULT_TEXTS, LANGUAGES, VARIABLES, delete_template,
                                     save_template)
from core.models import MessageTemplate

from ..audit import record_here
from ..extension import huika
from .blueprint import bp
from .common import editor_required, merchant_id, owner_required


def channel_names() -> dict[str, str]:
    return {"sms": _("SMS"), "email": _("Email"), "wechat": _("WeChat"), "console": _("Console (log only)")}


def status_names() -> dict[str, str]:
    return {"queued": _("Waiting"), "sending": _("Sending"), "sent": _("Sent"),
            "failed": _("Failed"), "dead": _("Gave up after retries"),
            "suppressed": _("Not sent (opted out or no address)"), "capped": _("Over the daily limit")}


def kind_names() -> dict[str, str]:
    return {"birthday": _("Birthday"), "low_balance": _("Low balance"),
            "points_expiry": _("Points expiring"), "package_expiry": _("Package expiring"),
            "voucher_expiry": _("Voucher expiring"), "dormant": _("Dormant member"),
            "anniversary": _("Join anniversary"), "purchase_cycle": _("Purchase cycle"),
            "member_login": _("Login code"), "campaign": _("Campaign"),
            "event_signup": _("Event sign-up"), "event_waitlist": _("Event waiting list")}


def template_kinds() -> dict[str, str]:
    """The kinds a template can be written for, by name: the message kinds above and every
    reminder kind the installation has (a plugin's too); not login codes, whose text is fixed.
    A template under any other kind would never be used, so the form offers only these."""
    from flask_babel import get_locale

    from core.reminders.catalogue import implemented_kinds

    names = {kind: name for kind, name in kind_names().items() if kind != "member_login"}  # fixed text
    language = "zh-CN" if str(get_locale() or "zh").startswith("zh") else "en"
    for kind in implemented_kinds(huika().plugins):
        names.setdefault(kind.id, kind.title.get(language) or kind.id)
    return names


def variable_names() -> dict[str, str]:
    return {"name": _("member's name"), "merchant": _("merchant's name"), "store": _("store's name"),
            "balance": _("stored value balance (¥)"), "points": _("points"),
            "expires_on": _("expiry date"), "days_left": _("days left"), "amount": _("an amount (¥)"),
            "coupon": _("coupon or voucher"), "package": _("package or course"),
            "sessions": _("sessions left"), "event": _("event"), "starts_at": _("start time"),
            "date": _("a date"), "code": _("a code"), "link": _("a link"), "product": _("product")}


def error_note(text: str | None) -> str | None:
    """Why a message was not (yet) sent, in the reader's language where the core wrote it."""
    if not text:
        return None
    known = {"opted out": _("the member opted out of this channel"),
             "no address": _("the member has no address for this channel")}
    if text in known:
        return known[text]
    if text.startswith("daily cap"):
        return _("the daily limit was reached")
    if text.startswith("outcome unknown"):
        return _("the gateway may have sent it but did not answer: not sent again")
    if text.startswith("no gateway set up"):
        return _("no gateway is set up for this channel")
    return None


def template_parts(text: str) -> list[tuple[str, str | None]]:
    """(literal, variable) pieces of a template, so a page can mark the variables as code."""
    import string

    try:
        return [(literal, field) for literal, field, _spec, _conv in string.Formatter().parse(text or "")]
    except ValueError:
        return [(text, None)]


def _field_labels() -> dict[str, str]:
    """The pages' own words for the names the core's problems point at."""
    return {"quiet_start": _("Quiet hours start"), "quiet_end": _("Quiet hours end"),
            "daily_cap": _("Most messages a day (0: no limit)"), "max_attempts": _("Tries before giving up"),
            "language": _("Language of messages"), "member": _("Member id"), "campaign": _("Campaign"),
            "kind": _("Kind"), "channel": _("Message channel"), "status": _("Status"),
            "from": _("From (local date)"), "to": _("To (local date)"), "subject": _("Subject (email, WeChat)"),
            "body": _("Text"), "sender": _("Gateway")}


def _problem_phrase(message: str) -> str:
    """A core detail ("required", "1 to 20", "HH:MM") as the owner reads it."""
    import re

    known = {"required": _("Required."), "number": _("A whole number."), "JSON": _("A JSON object."),
             "object": _("A JSON object."), "text": _("Too long."), "HH:MM": _("A time of day such as 21:00."),
             "HH:MM, not the start": _("A time of day such as 09:00, not the same as the start."),
             "0 or more": _("0 or more."), "zh or en": _("Chinese or English."),
             "a member id": _("A member number (digits)."), "a campaign id": _("A campaign number (digits)."),
             "a date as YYYY-MM-DD (merchant's local date)": _("A date (year-month-day)."),
             "unknown": _("Not a known setting.")}
    if message in known:
        return known[message]
    span = re.fullmatch(r"(\d+) to (\d+)", message)
    if span:
        return _("From %(low)s to %(high)s.", low=span.group(1), high=span.group(2))
    if message.startswith("one of ") or message.startswith("a kind such as"):
        return _("Not one of the choices.")
    return message


def _problem_text(error: HuikaError, labels: dict[str, str] | None = None) -> str:
    """The core's problem in the page's words: each field by its label, each detail in Chinese
    (the core's details are English: "settings/appid: required")."""
    details = error.details or []
    if not details:
        return error.message
    names = {**_field_labels(), **(labels or {})}
    parts = []
    for detail in details:
        pointer = detail["pointer"].strip("/")
        key = pointer.split("/", 1)[1] if pointer.startswith("settings/") else pointer
        parts.append(f"{names.get(key, key)}：{_problem_phrase(detail['message'])}")
    return "；".join(parts)


# -- the log --------------------------------------------------------------------------

@bp.get("/messages")
@editor_required
def message_log_page():
    error = None
    try:
        filters = message_log.parse_filters(request.args)
    except Invalid as invalid:
        error, filters = _problem_text(invalid), {"limit": 50, "offset": 0}
    with huika().db.read() as session:
        page = message_log.search(session, merchant_id(), **filters)
        rows = [{**message_log.message_json(row, name), "created": row.created_at, "sent": row.sent_at,
                 "next": row.next_attempt_at, "note": error_note(row.last_error)}
                for row, name in page.items]
    args = {k: v for k, v in request.args.items() if k != "offset" and v}
    older = page.offset + page.limit < page.total
    return render_template(
        "editor/messages.html", rows=rows, page=page, error=error, values=request.args,
        channels=channel_names(), statuses=status_names(), kinds=kind_names(),
        newer_url=url_for("editor.message_log_page", **args, offset=max(page.offset - page.limit, 0))
        if page.offset else None,
        older_url=url_for("editor.message_log_page", **args, offset=page.offset + page.limit) if older else None,
    ), 422 if error else 200


# -- templates ------------------------------------------------------------------------

@bp.route("/messages/templates", methods=["GET", "POST"])
@editor_required
def message_templates():
    error, values, status = None, {}, 200
    if request.method == "POST":
        form = request.form
        try:
            with huika().db.write() as session:
                if form.get("action") == "delete":
                    raw = form.get("template_id", "")
                    if not raw.isdigit() or not delete_template(session, merchant_id(), int(raw)):
                        raise Invalid(_("No such template."))
                    record_here(session, "messages.template.delete", f"message_template:{raw}")
                    flash(_("Template removed: the built-in text is used again."), "success")
                else:
                    values = {key: form.get(key, "") for key in ("kind", "channel", "language", "subject", "body")}
                    if values["kind"].strip() not in template_kinds():
                        raise Invalid(_("Choose the kind of message from the list."), code="template_kind")
                    row = save_template(session, merchant_id(), kind=values["kind"].strip(),
                                        channel=values["channel"], language=values["language"],
                                        subject=values["subject"], body=values["body"])
                    record_here(session, "messages.template.save",
                                f"message_template:{row.kind}/{row.channel}/{row.language}",
                                after={"subject": row.subject, "body": row.body})
                    flash(_("Template saved."), "success")
            return redirect(url_for("editor.message_templates"))
        except HuikaError as problem:
            if problem.code == "unknown_variable":
                error = _("Unknown variable {%(variable)s}. Use one of the variables listed below.",
                          variable=problem.params.get("variable", ""))
            elif problem.code == "template_kind":
                error = problem.message
            elif problem.code == "template_malformed":
                error = _("The text has a stray brace or a variable that is not a plain name: write {name}, and {{ or }} for a brace.")
            else:
                error = _problem_text(problem)
            status = 422
    with huika().db.read() as session:
        stored = session.scalars(select(MessageTemplate).where(MessageTemplate.merchant_id == merchant_id())
                                 .order_by(MessageTemplate.kind, MessageTemplate.channel,
                                           MessageTemplate.language)).all()
        templates = [{"id": t.id, "kind": t.kind, "channel": t.channel, "language": t.language,
                      "subject": t.subject, "body": t.body} for t in stored]
    defaults = [{"kind": kind, "language": language, "subject": text[0], "body": text[1]}
                for (kind, language), text in sorted(DEFAULT_TEXTS.items())]
    return render_template(
        "editor/message_templates.html", templates=templates, defaults=defaults, error=error,
        values=values, channels=channel_names(), kinds=kind_names(), kind_choices=template_kinds(),
        languages=LANGUAGES,
        variables=[(name, variable_names().get(name, VARIABLES[name])) for name in VARIABLES],
        parts=template_parts,
    ), status


# -- channels and sending rules -------------------------------------------------------------

def _channel_forms(session) -> list[dict]:
    registry = huika().plugins
    senders = message_senders(registry)
    forms = []
    for channel in CHANNELS:
        row = channel_row(session, merchant_id(), channel)
        current = describe_channel(row, registry) if row is not None else None
        choices = [s for s in senders.values() if s.channel in (channel, "any")]
        if current is not None:  # the gateway by its name (腾讯云短信), not its id (tencent_sms)
            in_use = senders.get(current["sender"])
            current["sender_title"] = _sender_title(in_use) if in_use else current["sender"]
        forms.append({"channel": channel, "current": current, "senders": [
            {"id": s.id, "title": _sender_title(s),
             "fields": [{"key": f.key, "label": f.label.get("zh-CN") if _locale_zh() else f.label.get("en", f.key),
                         "secret": f.secret, "type": f.type, "required": f.required,
                         "choices": [(value, _label_text(label)) for value, label in f.choices],
                         "value": _shown(current, s.id, f)} for f in s.fields]} for s in choices]})
    return forms


def _label_text(label: dict) -> str:
    return label.get("zh-CN") if _locale_zh() else label.get("en", "")


def _sender_title(sender) -> str:
    return sender.title.get("zh-CN") if _locale_zh() else sender.title.get("en", sender.id)


def _setting_labels(sender_id: str) -> dict[str, str]:
    """A gateway's setting keys by their labels, for its problems (网关地址, not url)."""
    sender = message_senders(huika().plugins).get(sender_id)
    if sender is None:
        return {}
    language = "zh-CN" if _locale_zh() else "en"
    return {f.key: f.label.get(language) or f.key for f in sender.fields}


def _locale_zh() -> bool:
    from flask_babel import get_locale

    return str(get_locale() or "zh").startswith("zh")


def _shown(current, sender_id, field):
    if current is None or current["sender"] != sender_id or field.secret:
        return "" if field.default is None else str(field.default)
    value = current["settings"].get(field.key, "")
    if field.type == "json":
        import json
        return json.dumps(value, ensure_ascii=False) if value else ""
    if field.choices and isinstance(value, str):  # a value saved by hand as "SSL" still shows as chosen
        return value.strip().lower()
    return "" if value is None else str(value)


@bp.route("/messages/channels", methods=["GET", "POST"])
@owner_required
def message_channels():
    error, status = None, 200
    if request.method == "POST":
        form = request.form
        try:
            with huika().db.write() as session:
                if form.get("action") == "policy":
                    numbers = {}
                    for key in ("daily_cap", "max_attempts"):
                        raw = form.get(key, "").strip()
                        if not raw.isdigit() or len(raw) > 7:
                            raise Invalid(_("Daily limit and tries are whole numbers."))
                        numbers[key] = int(raw)
                    policy = save_policy(session, merchant_id(), {
                        "quiet_start": form.get("quiet_start", "").strip(),
                        "quiet_end": form.get("quiet_end", "").strip(),
                        "language": form.get("language", "zh"), **numbers})
                    record_here(session, "messages.policy.save", "message_policy", after={
                        "quiet_start": policy.quiet_start, "quiet_end": policy.quiet_end,
                        "daily_cap": policy.daily_cap, "max_attempts": policy.max_attempts,
                        "language": policy.language})
                    flash(_("Sending rules saved."), "success")
                else:
                    channel, sender_id = form.get("channel", ""), form.get("sender", "")
                    prefix = f"{sender_id}:"
                    settings = {key[len(prefix) + 8:]: value for key, value in form.items()
                                if key.startswith(prefix + "setting_")}
                    secrets = {key[len(prefix) + 7:]: value for key, value in form.items()
                               if key.startswith(prefix + "secret_") and value}
                    row = save_channel(session, huika().plugins, merchant_id(), channel, sender=sender_id,
                                       settings=settings, secrets=secrets, enabled=bool(form.get("enabled")))
                    record_here(session, "messages.channel.save", f"message_channel:{channel}", after={
                        "sender": row.sender, "enabled": row.enabled, "settings": row.settings,
                        "secrets_changed": sorted(secrets)})
                    flash(_("Channel saved."), "success")
            return redirect(url_for("editor.message_channels"))
        except HuikaError as problem:
            error, status = _problem_text(problem, _setting_labels(form.get("sender", ""))), 422
    with huika().db.read() as session:
        forms = _channel_forms(session)
        policy = policy_for(session, merchant_id())
        policy_values = {"quiet_start": policy.quiet_start, "quiet_end": policy.quiet_end,
                         "daily_cap": policy.daily_cap, "max_attempts": policy.max_attempts,
                         "language": policy.language}
    return render_template("editor/message_channels.html", forms=forms, policy=policy_values,
                           error=error, channels=channel_names(), languages=LANGUAGES), status
