"""The console sender: writes the message to the log (development, demos, a till with no gateway)."""
from __future__ import annotations

import logging

from ...messaging import mask_phone
from ..senders import Message, MessageSender, SendResult

log = logging.getLogger("huika.messages.console")


class ConsoleSender(MessageSender):
    id = "console"
    channel = "any"  # may stand in for any channel
    title = {"zh-CN": "控制台（仅记录，不实际发送）", "en": "Console (logged, not delivered)"}
    idempotent = True  # nothing leaves the machine

    def send(self, message: Message, settings: dict) -> SendResult:
        recipient = mask_phone(message.recipient) if message.recipient.isdigit() else message.recipient
        log.info("message %s (%s) to %s: %s", message.id, message.channel, recipient, message.body)
        return SendResult("sent", provider_message_id=message.idempotency_key)
