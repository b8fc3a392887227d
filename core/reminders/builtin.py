"""The core's own reminder kinds, served through the ``register_reminder_kinds`` hook."""
from __future__ import annotations

from .birthday import birthday_kind


def core_kinds() -> list:
    return [birthday_kind()]
