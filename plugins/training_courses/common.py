"""Names shared by the training plugin's modules: assets, ledger accounts, settings, body checks."""
from __future__ import annotations


from sqlalchemy.orm import Session

from core import ledger
from core.models import Account

PLUGIN_ID = "training_courses"
SESSIONS = "course_sessions"
MINUTES = "course_minutes"
CNY = "cny"
UNIT_ASSET = {"count": SESSIONS, "metered": MINUTES}  # a period pass has no units

# Merchant counterparts of the unit assets (double entry: what a card holds was sold and not
# yet attended, lapsed or returned).
SOLD = "course_sold"
ATTENDED = "course_attended"
LAPSED = "course_lapsed"
RETURNED = "course_returned"
# The cny side (T3). Checkout payments credit "sales"; a package's paid amount moves on to
# "course_deferred" and from there to "course_income" as it is used, or to "course_breakage"
# when a package expires unused.
SALES = "sales"
DEFERRED = "course_deferred"
INCOME = "course_income"
BREAKAGE = "course_breakage"

PLAN_SKU_PREFIX = "course_plan."
TIME_SKU_PREFIX = "course_time."


def settings_of(config) -> dict:
    return config.settings_for(PLUGIN_ID)


def teachers(config) -> dict[str, str]:
    """Teacher key -> name, from the merchant's settings."""
    return {t["key"]: t["name"] for t in settings_of(config)["teachers"]}


def card_units(session: Session, merchant_id: int, card_id: int, asset: str) -> Account:
    return ledger.card_account(session, merchant_id, card_id, asset)


def merchant(session: Session, merchant_id: int, purpose: str, asset: str) -> Account:
    return ledger.merchant_account(session, merchant_id, purpose, asset)


