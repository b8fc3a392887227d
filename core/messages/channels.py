"""A merchant's gateways: which sender serves each channel, with its settings and secrets.

Settings live in ``message_channels``, not in the published configuration: the secrets
(passwords, API keys) are never published, exported or shown back — ``describe_channel``
says only which ones are set. Saving keeps a secret that is left empty.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import Invalid, problem
from ..models import MessageChannel
from .senders import MessageSender, message_senders
from .templates import CHANNELS

MAX_SETTING = 2000


def _value(field, raw, pointer):
    if field.type == "int":
        if type(raw) is str and raw.strip().isdigit():
            raw = int(raw.strip())
        if type(raw) is not int or raw < 0:
            raise Invalid(f"{field.key} is a whole number", details=[problem(pointer, "number")])
        return raw
    if field.type == "bool":
        if isinstance(raw, str):
            raw = raw.lower() in ("1", "true", "on", "yes")
        return bool(raw)
    if field.type == "json":
        if isinstance(raw, str):
            import json
            try:
                raw = json.loads(raw) if raw.strip() else {}
            except ValueError:
                raise Invalid(f"{field.key} is a JSON object", details=[problem(pointer, "JSON")]) from None
        if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
            raise Invalid(f"{field.key} is a JSON object of texts", details=[problem(pointer, "object")])
        return raw
    if not isinstance(raw, str) or len(raw) > MAX_SETTING:
        raise Invalid(f"{field.key} is a text of at most {MAX_SETTING} characters",
                      details=[problem(pointer, "text")])
    if field.choices:
        allowed = [value for value, _label in field.choices]
        if raw.strip().lower() not in allowed:
            raise Invalid(f"{field.key} must be one of: " + ", ".join(allowed),
                          details=[problem(pointer, "one of " + ", ".join(allowed))])
        return raw.strip().lower()
    return raw.strip()


def save_channel(session: Session, registry, merchant_id: int, channel: str, *, sender: str,
                 settings: dict, secrets: dict | None = None, enabled: bool = True) -> MessageChannel:
    """Set up ``channel`` with a registered sender; Invalid (nothing saved) for bad settings."""
    if channel not in CHANNELS:
        raise Invalid("channel must be one of: " + ", ".join(CHANNELS),
                      details=[problem("/channel", ", ".join(CHANNELS))])
    senders = message_senders(registry, _enabled_plugins(session, registry, merchant_id))
    chosen: MessageSender | None = senders.get(sender)
    if chosen is None or chosen.channel not in (channel, "any"):
        fitting = sorted(s.id for s in senders.values() if s.channel in (channel, "any"))
        raise Invalid(f"sender for {channel}: one of " + ", ".join(fitting),
                      details=[problem("/sender", ", ".join(fitting))])
    if not isinstance(settings, dict) or not isinstance(secrets or {}, dict):
        raise Invalid("settings and secrets are JSON objects")
    row = session.scalar(select(MessageChannel).where(MessageChannel.merchant_id == merchant_id,
                                                      MessageChannel.channel == channel))
    old_secrets = dict(row.secrets or {}) if row is not None and row.sender == sender else {}
    known = {field.key: field for field in chosen.fields}
    unknown = (set(settings) | set(secrets or {})) - set(known)
    if unknown:
        raise Invalid("unknown settings: " + ", ".join(sorted(map(str, unknown))),
                      details=[problem(f"/settings/{key}", "unknown") for key in sorted(map(str, unknown))])
    clean, hidden = {}, dict(old_secrets)
    for field in chosen.fields:
        source = secrets or {} if field.secret else settings
        raw = source.get(field.key, settings.get(field.key) if field.secret else None)
        pointer = f"/{'secrets' if field.secret else 'settings'}/{field.key}"
        if raw is None or raw == "":
            if field.secret:
                if field.required and not hidden.get(field.key):
                    raise Invalid(f"{field.key} is required", details=[problem(pointer, "required")])
                continue
            if field.required:
                raise Invalid(f"{field.key} is required", details=[problem(pointer, "required")])
            if field.default is not None:
                clean[field.key] = field.default
            continue
        value = _value(field, raw, pointer)
        if field.secret:
            hidden[field.key] = value
        else:
            clean[field.key] = value
    if row is None:
        row = MessageChannel(merchant_id=merchant_id, channel=channel)
        session.add(row)
    row.sender, row.settings, row.secrets, row.enabled = sender, clean, hidden, bool(enabled)
    session.flush()
    return row


def _enabled_plugins(session: Session, registry, merchant_id: int) -> set[str]:
    from ..config_versions import published_config

    return set(published_config(session, merchant_id, registry).enabled_plugins)


def channel_row(session: Session, merchant_id: int, channel: str) -> MessageChannel | None:
    return session.scalar(select(MessageChannel).where(MessageChannel.merchant_id == merchant_id,
                                                       MessageChannel.channel == channel))


def describe_channel(row: MessageChannel, registry) -> dict:
    """What a page or the API may show: settings, and only *whether* each secret is set."""
    sender = message_senders(registry).get(row.sender)
    secret_keys = [f.key for f in sender.fields if f.secret] if sender else []
    return {"channel": row.channel, "sender": row.sender, "enabled": row.enabled,
            "settings": dict(row.settings or {}),
            "secrets_set": {key: bool((row.secrets or {}).get(key)) for key in secret_keys}}


ENV_PREFIX = "env:"


def resolve_secrets(secrets: dict, environ=None) -> tuple[dict, str | None]:
    """Secrets as the sender needs them: a value ``env:NAME`` is read from the dispatcher's
    environment (so an operator can keep a key out of the database, as the installation's own
    secrets are kept, webui/instance_secrets.py). Returns (values, problem or None)."""
    import os

    environ = os.environ if environ is None else environ
    values = {}
    for key, value in (secrets or {}).items():
        if isinstance(value, str) and value.startswith(ENV_PREFIX):
            name = value[len(ENV_PREFIX):]
            if not environ.get(name):
                return {}, f"the secret {key} is to come from the environment variable {name}, which is not set"
            values[key] = environ[name]
        else:
            values[key] = value
    return values, None
