"""Messages to members (issue 14, item 4): templates, the outbox, senders, dispatch.

- ``enqueue`` (enqueue.py) writes outbox rows in the caller's transaction;
- templates.py: texts per (merchant, kind, channel, language) with checked ``{variables}``;
- policy.py: quiet hours, the daily cap, opt-outs;
- senders.py: the ``register_message_senders`` hook's contract (``MessageSender``);
- dispatch.py: ``dispatch_due`` claims due rows, sends each once, retries, dead-letters.

docs/messages.md is the owner's and operator's guide.
"""
from .enqueue import enqueue, member_address
from .policy import set_opt_out
from .templates import render, save_template

__all__ = ["enqueue", "member_address", "render", "save_template", "set_opt_out"]
