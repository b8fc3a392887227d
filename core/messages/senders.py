"""The sender contract of the ``register_message_senders`` hook.

A sender delivers one ``Message`` through one gateway and says what came of it:

- ``sent``: the gateway accepted it (``provider_message_id`` if it gave one);
- ``retry``: it certainly was not delivered (connection refused, a 5xx or a busy answer
  before the gateway took it): tried again later with backoff;
- ``failed``: refused for good (a bad number, a bad signature): not tried again;
- ``unknown``: it may have been delivered (a timeout waiting for the answer). An
  ``idempotent`` sender (the gateway drops a second request with the same
  ``Message.idempotency_key``) is tried again; any other one is not, and the row is
  ``failed`` with the reason, so a member never gets a message twice.

``send`` runs outside any database transaction and must not raise for gateway trouble
(an exception counts as ``unknown``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OUTCOMES = ("sent", "retry", "failed", "unknown")


@dataclass(frozen=True)
class SettingField:
    """One setting of a sender, shown in the channel editor; ``secret`` ones are write-only."""

    key: str
    label: dict  # {"zh-CN", "en"}
    required: bool = False
    secret: bool = False
    type: str = "text"  # text, int, bool, json (an object)
    default: Any = None
    # For a text setting with a fixed set of values: ((value, {"zh-CN", "en"} label), ...);
    # the editor shows a list and save_channel refuses any other value.
    choices: tuple = ()


@dataclass(frozen=True)
class Message:
    id: int
    merchant_id: int
    channel: str
    recipient: str
    subject: str
    body: str
    kind: str | None = None
    template: str | None = None
    variables: dict = field(default_factory=dict)

    @property
    def idempotency_key(self) -> str:
        """The same for every try of one outbox row: the provider's out-id / dedup key."""
        return f"huika-outbox-{self.id}"


@dataclass(frozen=True)
class SendResult:
    outcome: str
    provider_message_id: str | None = None
    error: str | None = None

    def __post_init__(self):
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}")


class MessageSender:
    """Base for senders: set ``id``, ``channel``, ``title``, ``fields``; write ``send``."""

    id: str = ""
    channel: str = ""  # sms, email, wechat, console
    title: dict = {}
    fields: tuple[SettingField, ...] = ()
    idempotent: bool = False
    plugin: str = ""

    def send(self, message: Message, settings: dict) -> SendResult:  # pragma: no cover
        raise NotImplementedError


def message_senders(registry, enabled_plugins=None) -> dict[str, MessageSender]:
    """Registered senders by id: the core's, then those of plugins (of ``enabled_plugins``
    only, when given: a merchant uses a plugin's sender only while it enables the plugin).
    A plugin cannot replace a built-in id."""
    plugin_modules = [info.module for info in registry.plugins.values()]
    core = registry.pm.subset_hook_caller("register_message_senders", remove_plugins=plugin_modules)
    senders: dict[str, MessageSender] = {}
    for group in core():
        for sender in group or []:
            sender.plugin = "core"
            senders.setdefault(sender.id, sender)
    for sender in registry._tagged("register_message_senders"):
        if enabled_plugins is None or sender.plugin in enabled_plugins:
            senders.setdefault(sender.id, sender)
    return senders
