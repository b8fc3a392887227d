"""Reminders (issue 14, item 1): members to remind of something on a day.

Kinds are registered by the ``register_reminder_kinds`` hook: the core's birthday, join
anniversary and dormant (``core.reminders.builtin``), plugins' low balance, points, package and
voucher expiry, purchase cycles. ``reminders_for`` runs the merchant's enabled kinds for a
merchant-local day with the settings of the configuration's ``reminders`` section. The staff
inbox and the message jobs read it; ``GET /api/v1/reminders`` serves it. docs/plugins.md.
"""
from .catalogue import available_kinds, entry_schema, implemented_kinds, kind_entry, kind_settings  # noqa: F401
from .engine import enabled_kinds, reminders_for  # noqa: F401
from .cards import package_settings, voucher_settings  # noqa: F401
from .types import Reminder, ReminderKind, days_setting, settings_object  # noqa: F401
