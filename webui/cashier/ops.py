"""Running operations for the staff member at the till, and what the published config offers.

Every action that moves money or changes a card goes through ``webui.api.handlers.execute``,
exactly as the JSON API does: same roles, plugin-enabled check and idempotency. Plugin
operations are looked up at run time (by operationId, or by rule and method) and plugins are
never imported here, so a missing plugin just means a missing button.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError

from core.config_versions import published_config
from core.db import is_busy
from core.errors import Busy, HuikaError, NotFound
from core.merchant_config import MerchantConfig

from ..api.errors import STATUS_BY_ERROR
from ..errors_i18n import error_texts
from ..api.handlers import Outcome, execute
from ..auth import current_staff
from ..busy import run_again_when_busy
from ..extension import huika
from ..i18n import label
from ..money import yuan

# Plugin ids and asset keys the cashier screens know how to present (data, not imports).
STORED_VALUE = "stored_value"
POINTS = "points"
SV_PRINCIPAL, SV_BONUS, SV_PENDING = "stored_value_principal", "stored_value_bonus", "stored_value_pending"

RECHARGE = ("rechargeStoredValue", "/cards/<card_number>/recharge", "POST")
REDEEM = ("redeemMallItem", "/cards/<card_number>/redeem", "POST")
MALL_ITEMS = ("listMallItems", "/points/mall/items", "GET")
SPIN = ("spinWheel", "/cards/<card_number>/wheel/spin", "POST")
PRIZES = ("listWheelPrizes", "/points/wheel/prizes", "GET")
HAND_WRITTEN = {RECHARGE[0], REDEEM[0], SPIN[0]}  # screens with a page of their own here

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,100}\Z")


@dataclass(frozen=True)
class WebCaller:
    """The signed-in staff member as ``execute`` wants a caller."""

    staff_id: int
    merchant_id: int
    role: str
    store_id: int | None


def caller() -> WebCaller:
    staff = current_staff()
    return WebCaller(staff.id, staff.merchant_id, staff.role, staff.store_id)


def new_key() -> str:
    """A fresh idempotency key for one rendered form (a retry of that form reuses it)."""
    return "web-" + uuid.uuid4().hex


def find_operation(operation_id: str, rule: str | None = None, method: str = "POST"):
    """The ApiOperation by operationId, else by rule + method; None if no plugin declares it."""
    handlers = huika().handlers
    op = handlers.get(operation_id)
    if op is None and rule is not None:
        op = next((o for o in handlers.values() if o.rule == rule and o.method == method), None)
    return op


def allowed(spec: tuple, role: str) -> bool:
    op = find_operation(*spec)
    return op is not None and role in op.roles


def run(spec, *, params: dict | None = None, body: dict | None = None, query: dict | None = None,
        key: str | None = None) -> Outcome:
    """Execute an operation (``spec`` = operationId or (operationId, rule, method)) as the staff."""
    operation_id, rule, method = (spec, None, "POST") if isinstance(spec, str) else spec
    op = find_operation(operation_id, rule, method)
    if op is None:
        raise NotFound(_("This action is not installed on this system."), code="not_installed")
    try:
        return run_again_when_busy(lambda: execute(op, caller(), params=params or {}, body=body or {},
                                                   query=query or {}, idempotency_key=key))
    except OperationalError as error:
        if is_busy(error):  # still busy past the retry deadline (webui/busy.py)
            raise Busy(_("The database is busy; submit again in a moment.")) from error
        raise


def status_of(error: HuikaError) -> int:
    return next((status for cls, status in STATUS_BY_ERROR if isinstance(error, cls)), 400)


def error_messages(error: HuikaError) -> list[str]:
    """The domain error's message followed by each detail's, in the cashier's language
    (webui/errors_i18n.py: money in yuan)."""
    return error_texts(error)


def config_for_staff() -> MerchantConfig:
    with huika().db.read() as session:
        return published_config(session, current_staff().merchant_id, huika().plugins)


@dataclass
class Features:
    """What the merchant's published configuration turns on at the till."""

    config: MerchantConfig
    role: str
    stored_value_payment: bool = False
    points_payment: bool = False
    cash_points: int = 0
    cash_value_fen: int = 0
    recharge: bool = False
    redeem: bool = False
    wheel: bool = False
    sv_settings: dict = field(default_factory=dict)
    points_settings: dict = field(default_factory=dict)


def operation_enabled(config: MerchantConfig, spec: tuple, role: str) -> bool:
    op = find_operation(*spec)
    return op is not None and role in op.roles and (not op.plugin or config.is_enabled(op.plugin))


def features(config: MerchantConfig, role: str) -> Features:
    result = Features(config=config, role=role)
    if config.is_enabled(STORED_VALUE):
        result.sv_settings = config.settings_for(STORED_VALUE)
        result.stored_value_payment = True
        result.recharge = operation_enabled(config, RECHARGE, role)
    if config.is_enabled(POINTS):
        settings = config.settings_for(POINTS)
        result.points_settings = settings
        result.cash_points = int(settings.get("cash_points") or 0)
        result.cash_value_fen = int(settings.get("cash_value_fen") or 0)
        result.points_payment = bool(settings.get("cash_enabled")) and result.cash_points > 0
        result.redeem = operation_enabled(config, REDEEM, role)
        result.wheel = bool(settings.get("wheel_enabled")) and operation_enabled(config, SPIN, role)
    return result


# -- showing balances -------------------------------------------------------------------

def asset_info(asset: str) -> dict:
    return huika().plugins.asset_kinds().get(asset, {"key": asset, "unit": "", "title": asset})


def amount_text(unit: str, value: int) -> str:
    if unit == "fen":
        return "¥" + yuan(value)
    if unit == "session":
        return _("%(n)s sessions", n=value)
    if unit == "minute":
        return _("%(n)s minutes", n=value)
    if unit == "voucher":
        return _("%(n)s vouchers", n=value)
    return str(value)


def balance_rows(balances: dict) -> list[dict]:
    """Balances per asset for people: stored value as one total (principal + bonus)."""
    rows = []
    if SV_PRINCIPAL in balances or SV_BONUS in balances:
        principal, bonus = balances.get(SV_PRINCIPAL, 0), balances.get(SV_BONUS, 0)
        rows.append({"asset": "stored_value", "title": _("Stored value"),
                     "text": "¥" + yuan(principal + bonus),
                     "detail": _("principal ¥%(principal)s + bonus ¥%(bonus)s",
                                 principal=yuan(principal), bonus=yuan(bonus)),
                     "value": principal + bonus})
    for asset in sorted(balances):
        if asset in (SV_PRINCIPAL, SV_BONUS):
            continue
        value = balances[asset]
        if asset == SV_PENDING and not value:
            continue
        info = asset_info(asset)
        rows.append({"asset": asset, "title": label(info.get("title")) or asset,
                     "text": amount_text(info.get("unit", ""), value), "detail": "", "value": value})
    return rows


def change_text(asset: str, amount: int) -> str:
    info = asset_info(asset)
    if info.get("unit") == "fen":
        return ("+" if amount > 0 else "") + ("-" if amount < 0 else "") + "¥" + yuan(abs(amount))
    return f"{amount:+d}"


TRANSACTION_TYPES = {
    "checkout": lambda: _("Purchase"),
    "return": lambda: _("Return"),
    "card_replacement": lambda: _("Card replaced"),
    "stored_value_recharge": lambda: _("Recharge"),
    "stored_value_cheque_clear": lambda: _("Cheque cleared"),
    "stored_value_cheque_bounce": lambda: _("Cheque bounced"),
    "stored_value_withdrawal": lambda: _("Withdrawal"),
    "stored_value_refund": lambda: _("Card refund"),
    "stored_value_purchase_fee": lambda: _("Card fee"),
    "wheel_spin": lambda: _("Lucky wheel"),
    "points_redemption": lambda: _("Points mall"),
    "points_adjustment": lambda: _("Points adjusted"),
    "points_expiry": lambda: _("Points expired"),
}


def transaction_title(kind: str) -> str:
    maker = TRANSACTION_TYPES.get(kind)
    return maker() if maker else kind.replace("_", " ")


def history_rows(items: list[dict]) -> list[dict]:
    """getCardHistory items for people: local time, a title, the changes per asset."""
    from ..money import local_time

    rows = []
    for item in items:
        changes = [{"title": label(asset_info(asset).get("title")) or asset,
                    "text": change_text(asset, amount), "negative": amount < 0}
                   for asset, amount in sorted(item.get("amounts", {}).items()) if amount]
        memo = item.get("memo") or {}
        rows.append({"id": item["transaction_id"], "when": local_time(item["created_at"]),
                     "title": transaction_title(item["type"]), "changes": changes,
                     "checkout_id": memo.get("checkout_id"),
                     "note": memo.get("item_name") or memo.get("reason") or ""})
    return rows

