"""The core's own reminder kinds, served through the ``register_reminder_kinds`` hook."""
from __future__ import annotations

from .anniversary import anniversary_kind
from .birthday import birthday_kind
from .dormant import dormant_kind


def core_kinds() -> list:
    return [birthday_kind(), anniversary_kind(), dormant_kind()]
