"""A preview of the till (收银台) as the cashier will see it with the DRAFT configuration.

A static render with a sample member and sample goods, priced with the draft's tiers through
``core.pricing.line_price`` (the checkout's own rule), with the enabled plugins' facts on the
member strip (their balances, from the manifests' assets, with sample amounts) and the payment
buttons those plugins bring. Nothing is saved and no member is read.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from core.merchant_config import MerchantConfig
from core.pricing import line_price

from ..screens import format_yuan, format_zhe
from .owner_text import owner_label

SAMPLE_AMOUNTS = {"fen": 50000, "point": 1280, "session": 8, "voucher": 2, "minute": 600, "day": 30}


@dataclass
class PreviewLine:
    name: str
    list_fen: int
    paid_fen: int
    special_price: bool = False


@dataclass
class CheckoutPreview:
    tier: dict | None
    tiers: list[dict]
    lines: list[PreviewLine]
    facts: list[tuple[str, str]] = field(default_factory=list)
    payments: list[str] = field(default_factory=list)

    @property
    def list_total(self) -> int:
        return sum(line.list_fen for line in self.lines)

    @property
    def due(self) -> int:
        return sum(line.paid_fen for line in self.lines)

    @property
    def saved(self) -> int:
        return self.list_total - self.due


def sample_lines() -> list[tuple[str, int, bool]]:
    return [(_("Sample item: wash and cut"), 8800, False), (_("Sample item: hair oil"), 12050, False),
            (_("Sample item: special offer (no discount)"), 1990, True)]


def _fact_text(unit: str, amount: int) -> str:
    if unit == "fen":
        return f"¥{format_yuan(amount)}"
    units = {"point": "%(n)s", "session": _("%(n)s sessions"), "voucher": _("%(n)s vouchers"),
             "minute": _("%(n)s minutes"), "day": _("%(n)s days")}
    return units.get(unit, "%(n)s") % {"n": amount}


def build_preview(document: dict, registry, tier_key: str | None) -> CheckoutPreview:
    """The till for a sample member of tier ``tier_key`` (default: the best tier) under ``document``."""
    config = MerchantConfig(document, registry)
    tiers = config.tiers
    tier = next((t for t in tiers if t["key"] == tier_key), tiers[-1] if tiers else None)
    rate = tier.get("discount_permille", 1000) if tier else 1000
    lines = [PreviewLine(name, fen, line_price(fen, 1000, rate, special), special)
             for name, fen, special in sample_lines()]
    preview = CheckoutPreview(tier=tier, tiers=tiers, lines=lines)
    payments = []
    for plugin_id in config.enabled_plugins:
        info = registry.get(plugin_id)
        if info is None:
            continue
        for asset in info.assets:
            if "pending" in asset["key"]:
                continue  # not spendable: the till does not show it
            amount = SAMPLE_AMOUNTS.get(asset.get("unit"), 1)
            preview.facts.append((owner_label(asset["title"]), _fact_text(asset.get("unit"), amount)))
        if plugin_id == "stored_value":
            payments.append(_("All from stored value"))
        if plugin_id == "points" and config.settings_for("points").get("cash_enabled", True):
            payments.append(_("Points as cash"))
    preview.payments = [*payments, _("Cash"), _("WeChat Pay"), _("Alipay"), _("Split")]
    return preview


def tier_rows(preview: CheckoutPreview) -> list[dict]:
    """What the sample basket costs in each tier of the draft: the owner compares the 折 at a glance."""
    rows = []
    for tier in preview.tiers:
        rate = tier.get("discount_permille", 1000)
        due = sum(line_price(fen, 1000, rate, special) for _name, fen, special in sample_lines())
        rows.append({"tier": tier, "zhe": format_zhe(rate), "due": due})
    return rows
