"""``reminders_for``: the reminders of the merchant-local day ``on``, kind by kind."""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from .catalogue import available_kinds, kind_entry
from .types import Reminder


def enabled_kinds(config, kinds=None) -> list:
    """The merchant's enabled kinds, limited to the ids in ``kinds`` when given."""
    found = []
    for kind in available_kinds(config).values():
        if kinds is not None and kind.id not in kinds:
            continue
        if kind_entry(config, kind)["enabled"]:
            found.append(kind)
    return found


def reminders_for(session: Session, config, merchant_id: int, on: date, kinds=None,
                  store_id: int | None = None) -> list[Reminder]:
    """Every reminder of the enabled kinds (all, or those in ``kinds``) due on ``on``,
    for one store (``store_id``: the member's registered store) or the whole merchant.

    Settings come from ``config``'s ``reminders`` section; each kind's in member order.
    """
    found: list[Reminder] = []
    for kind in enabled_kinds(config, kinds):
        entry = kind_entry(config, kind)
        settings = {key: value for key, value in entry.items() if key != "enabled"}
        found += kind.scan(session=session, config=config, merchant_id=merchant_id, on=on,
                           settings=settings, store_id=store_id)
    return found
