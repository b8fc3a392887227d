"""The checkout's value types: what pricing, payment and earning hooks receive and return.

Kept apart from the pipeline (core/checkout.py) so the built-in hooks and plugins can name
them without importing the pipeline, which would close an import circle through the
plugin registry.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from .clock import local_date
from .ledger import Posting
from .models import Card, Member, Tier

if TYPE_CHECKING:
    from .merchant_config import MerchantConfig


@dataclass
class PricedLine:
    line_no: int
    sku: str
    name: str
    category: str
    quantity: int
    unit_price_fen: int
    special_price: bool
    promotion_permille: int
    tier_permille: int = 1000
    paid_fen: int = 0
    # A catalogue line (checkout_resolve_lines): its product, the member price per tier key
    # (fen, replaces the tier discount: C2, C7), the member price applied, and the share of
    # its paid amount that earns points (permille: 0 none, 1000 normal, 2000 double).
    product_id: int | None = None
    member_prices: dict | None = None
    member_price_fen: int | None = None
    points_permille: int = 1000
    # What later pricing hooks took off paid_fen (a coupon): [{"kind", "code", "fen"}], shown
    # on the receipt line; the discount is already in paid_fen, so returns share it (G3).
    adjustments: list = field(default_factory=list)
    no_coupons: bool = False  # a pricing hook says no coupon may lower this line (H3)

    @property
    def list_fen(self) -> int:
        return self.unit_price_fen * self.quantity

    def json(self) -> dict:
        return {"line_no": self.line_no, "sku": self.sku, "name": self.name,
                "category": self.category, "quantity": self.quantity,
                "unit_price_fen": self.unit_price_fen, "special_price": self.special_price,
                "promotion_permille": self.promotion_permille, "tier_permille": self.tier_permille,
                "list_fen": self.list_fen, "paid_fen": self.paid_fen, **self._catalogue_json(),
                **({"adjustments": self.adjustments} if self.adjustments else {})}

    def _catalogue_json(self) -> dict:
        """Only what differs from a typed line, so typed lines read exactly as before."""
        extra = {}
        if self.product_id is not None:
            extra["product_id"] = self.product_id
        if self.member_price_fen is not None:
            extra["member_price_fen"] = self.member_price_fen
        if self.points_permille != 1000:
            extra["points_permille"] = self.points_permille
        return extra


@dataclass
class PaymentResult:
    """What a payment method did: the fen it covers, its ledger postings, a receipt line."""

    amount_fen: int
    postings: list[Posting]
    receipt: dict = field(default_factory=dict)


@dataclass
class Earning:
    """What an earning rule gives the card: ``amount`` of ``asset`` via ``postings``."""

    plugin: str
    asset: str
    amount: int
    postings: list[Posting]
    receipt: dict = field(default_factory=dict)


@dataclass
class CheckoutState:
    """Everything the hooks see about the checkout being built."""

    session: Session
    config: MerchantConfig
    merchant_id: int
    store_id: int | None
    staff_id: int | None
    now: datetime
    card: Card | None
    member: Member | None
    tier: Tier | None
    lines: list[PricedLine]
    card_held: bool = False  # this transaction holds the card (locked, accounts loaded)
    # C4: the card's (member's) net spend per tier period start, read with the held card
    spent_before: dict | None = None
    body: dict = field(default_factory=dict)  # the request, for plugins' own keys ("coupons")
    # Discounts taken after the stacked discount, for the whole basket (coupons): dicts with
    # "plugin", "kind", "discount_fen"; on the quote and the receipt.
    adjustments: list = field(default_factory=list)

    @property
    def walk_in(self) -> bool:
        """散客: no card presented, so no member price and no earning (C7)."""
        return self.card is None

    @property
    def card_kind(self) -> dict | None:
        return self.config.card_kind(self.card.kind) if self.card else None

    @property
    def list_total_fen(self) -> int:
        return sum(line.list_fen for line in self.lines)

    @property
    def due_fen(self) -> int:
        return sum(line.paid_fen for line in self.lines)

    @property
    def today(self):
        return local_date(self.now)


@dataclass
class CheckoutRecord:
    """The checkout row just written, as the after_checkout hooks see it (the columns of
    core.models.Checkout; the pipeline writes the row with Core and builds no ORM object)."""

    id: int
    merchant_id: int
    transaction_id: int
    card_id: int | None
    member_id: int | None
    store_id: int | None
    staff_id: int | None
    tier_key: str | None
    list_total_fen: int
    due_total_fen: int
    earned: dict
    receipt: dict
    created_at: datetime
