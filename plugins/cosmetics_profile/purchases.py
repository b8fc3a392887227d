"""Members' purchases as the cosmetics plugin counts them (K2-K4), read from the core's
``Checkout`` / ``CheckoutLine`` / ``CheckoutReturn`` rows, net of returns.

A purchase is one checkout of a member; what was returned does not count: its spend is what
was paid less what was refunded, and a line counts for what is still kept (the paid amount
of the kept units, cumulative like core.returns, so the parts add up to what was paid). A
checkout whose every unit came back is no purchase at all (no visit, no cycle).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import local_date
from core.models import Checkout, CheckoutLine, CheckoutReturn
from core.pricing import proportional_share


@dataclass
class KeptLine:
    category: str
    quantity: int
    paid_fen: int


@dataclass
class Purchase:
    checkout_id: int
    member_id: int
    day: date  # the merchant's local date
    net_fen: int  # paid less refunded
    lines: list[KeptLine] = field(default_factory=list)


def purchases(session: Session, merchant_id: int, *, since: datetime | None = None,
              until: datetime | None = None) -> dict[int, list[Purchase]]:
    """Each member's kept purchases in [since, until], oldest first, by member id."""
    query = select(Checkout.id, Checkout.member_id, Checkout.created_at, Checkout.due_total_fen) \
        .where(Checkout.merchant_id == merchant_id, Checkout.member_id.is_not(None))
    if since is not None:
        query = query.where(Checkout.created_at >= since)
    if until is not None:
        query = query.where(Checkout.created_at <= until)
    found = {row.id: Purchase(row.id, row.member_id, local_date(row.created_at), row.due_total_fen)
             for row in session.execute(query.order_by(Checkout.created_at, Checkout.id))}
    if not found:
        return {}
    ids = list(found)
    for chunk in _chunks(ids):
        refunds = session.execute(
            select(CheckoutReturn.checkout_id, func.sum(CheckoutReturn.refund_fen))
            .where(CheckoutReturn.checkout_id.in_(chunk)).group_by(CheckoutReturn.checkout_id))
        for checkout_id, refunded in refunds:
            found[checkout_id].net_fen -= int(refunded)
        for line in session.scalars(select(CheckoutLine).where(CheckoutLine.checkout_id.in_(chunk))):
            kept = line.quantity - line.returned_quantity
            if kept > 0:
                paid = line.paid_fen - proportional_share(line.paid_fen, line.returned_quantity,
                                                          line.quantity)
                found[line.checkout_id].lines.append(
                    KeptLine(line.category.strip().lower(), kept, paid))
    by_member: dict[int, list[Purchase]] = defaultdict(list)
    for purchase in found.values():
        if purchase.lines:  # everything returned: no purchase
            by_member[purchase.member_id].append(purchase)
    return dict(by_member)


def category_groups(settings: dict) -> dict[str, str]:
    """Checkout category (lower case) -> product group key, from the settings (K3, K4)."""
    mapping = {}
    for group in settings["product_groups"]:
        for category in group["categories"]:
            mapping.setdefault(category.strip().lower(), group["key"])
    return mapping


def group_spend(purchases_of_member: list[Purchase], mapping: dict[str, str]) -> dict[str, int]:
    """Kept spend per product group (categories in no group are left out)."""
    spend: dict[str, int] = defaultdict(int)
    for purchase in purchases_of_member:
        for line in purchase.lines:
            if line.category in mapping:
                spend[mapping[line.category]] += line.paid_fen
    return dict(spend)


def _chunks(ids: list[int], size: int = 500):
    for start in range(0, len(ids), size):
        yield ids[start:start + size]
