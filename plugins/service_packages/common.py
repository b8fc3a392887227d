"""Names shared by the plugin's modules: the asset, ledger accounts, settings and plans."""
from __future__ import annotations

from sqlalchemy.orm import Session

from core import ledger
from core.errors import Invalid, problem
from core.models import Account

PLUGIN_ID = "service_packages"
SESSIONS = "service_sessions"
CNY = "cny"
SKU_PREFIX = "service_package."

# Merchant counterparts of the sessions a card holds (double entry: sold and not yet used,
# lapsed or returned).
SOLD = "package_sold"
USED = "package_used"
LAPSED = "package_lapsed"
RETURNED = "package_returned"
# The cny side: checkout payments credit "sales"; a package's paid amount moves on to
# "package_deferred", and from there to "package_income" as it is used (or, for a period
# card, day by day) or to "package_breakage" when it expires unused.
SALES = "sales"
DEFERRED = "package_deferred"
INCOME = "package_income"
BREAKAGE = "package_breakage"

PIN_MAX_ATTEMPTS = 5
PIN_LOCK_MINUTES = 15


def settings_of(config) -> dict:
    return config.settings_for(PLUGIN_ID)


def plans(config) -> list[dict]:
    """The plans of the published settings, each with its defaults filled in."""
    return [{"sessions": 0, "max_per_day": 0, "active": True, **plan}
            for plan in settings_of(config).get("plans", [])]


def plan_by_key(config, key: str) -> dict | None:
    return next((plan for plan in plans(config) if plan["key"] == key), None)


def find_plan(config, wanted: str, pointer: str) -> dict:
    """An active plan by key or by name (what a cashier types), or a 422 naming the field."""
    folded = wanted.strip().casefold()
    for plan in plans(config):
        if plan["active"] and folded in (plan["key"].casefold(), plan["name"].casefold()):
            return plan
    names = "、".join(p["name"] for p in plans(config) if p["active"]) or "—"
    raise Invalid(f"there is no package plan {wanted!r} on offer",
                  details=[problem(pointer, f"one of: {names}")])


def card_sessions(session: Session, merchant_id: int, card_id: int) -> Account:
    return ledger.card_account(session, merchant_id, card_id, SESSIONS)


def merchant(session: Session, merchant_id: int, purpose: str, asset: str = CNY) -> Account:
    return ledger.merchant_account(session, merchant_id, purpose, asset)
