"""Earning points at checkout (P1, P2, P3) and spending them as cash (P4).

Both run inside the checkout pipeline's single transaction (core/checkout.py): the core calls
``checkout_earn`` with the priced lines (and again with the kept lines on a return, P8) and
``checkout_payment`` for each tender.
"""
from __future__ import annotations

from core import ledger
from core.builtin_hooks import CASH_ASSET
from core.checkout import CheckoutState, Earning, PaymentResult, PricedLine
from core.errors import Invalid, problem
from core.ledger import Posting
from core.merchant_config import MerchantConfig

from .common import (ASSET, ISSUED, PLUGIN_ID, POINTS_AS_CASH, REDEEMED, card_points,
                     expiry_date, merchant_points)


def rate_for(settings: dict, tier_key: str | None) -> tuple[int, int]:
    """(earn_unit_fen, points_per_unit) for a card of ``tier_key``: its tier_rates row or the default."""
    for rate in settings.get("tier_rates", []):
        if rate["tier_key"] == tier_key:
            return rate["earn_unit_fen"], rate["points_per_unit"]
    return settings["earn_unit_fen"], settings["points_per_unit"]


def earning_basis(lines: list[PricedLine]) -> int:
    """The paid fen that earn points: each line's paid amount x its points rule, rounded down once."""
    return sum(line.paid_fen * line.points_permille for line in lines) // 1000


def points_for(paid_fen: int, earn_unit_fen: int, points_per_unit: int) -> int:
    """P1: points per *full* unit, the remainder dropped (500 -> 50, 550 -> 55, 559 -> 55)."""
    if paid_fen <= 0:
        return 0
    return paid_fen // earn_unit_fen * points_per_unit


def earn(checkout: CheckoutState, lines: list[PricedLine], config: MerchantConfig) -> list[Earning]:
    if checkout.card is None:  # walk-ins never earn (C7); the core filters them out already
        return []
    kind = checkout.card_kind
    if kind is not None and not kind.get("earns_points", True):
        return []  # P3: a purchase card (or any kind set not to earn) earns nothing
    settings = config.settings_for(PLUGIN_ID)
    tier_key = checkout.tier.key if checkout.tier else None
    unit, per_unit = rate_for(settings, tier_key)
    # P2: special-price lines are in the paid total like any other line; a catalogue
    # product's points rule counts its paid amount x points_permille (0: none, 2000: double).
    basis = earning_basis(lines)
    amount = points_for(basis, unit, per_unit)
    if amount <= 0:
        return []
    session = checkout.session
    expires_on = expiry_date(settings, checkout.today)
    postings = [
        Posting(card_points(session, checkout.merchant_id, checkout.card.id), amount,
                expires_on=expires_on),
        Posting(merchant_points(session, checkout.merchant_id, ISSUED), -amount),
    ]
    receipt = {"basis_fen": basis, "earn_unit_fen": unit, "points_per_unit": per_unit,
               "expires_on": expires_on.isoformat() if expires_on else None}
    return [Earning(plugin=PLUGIN_ID, asset=ASSET, amount=amount, postings=postings, receipt=receipt)]


PAYMENT_KEYS = {"method", "points", "amount_fen"}


def pay_with_points(checkout: CheckoutState, payment: dict, config: MerchantConfig) -> PaymentResult:
    """P4 points as cash: ``cash_points`` points pay ``cash_value_fen`` fen, oldest lots first."""
    settings = config.settings_for(PLUGIN_ID)
    if not settings["cash_enabled"]:
        raise Invalid("this merchant does not take points as cash (P4)", code="points_cash_disabled",
                      details=[problem("/payments", "points: turned off in the points settings")])
    if checkout.card is None:
        raise Invalid("paying with points needs the member's card (P4)",
                      details=[problem("/card_number", "present the card whose points pay")])
    problems = [problem("/payments", f"points: unknown property {key!r}")
                for key in sorted(set(payment) - PAYMENT_KEYS)]
    step, step_fen = settings["cash_points"], settings["cash_value_fen"]
    points = payment.get("points")
    if type(points) is not int or points < 1 or points % step:
        problems.append(problem("/payments", f"points: a whole multiple of {step} points "
                                             f"({step} points pay {step_fen} fen)"))
        raise Invalid("the points payment is not valid; nothing was charged", details=problems)
    amount_fen = points // step * step_fen
    if "amount_fen" in payment and payment["amount_fen"] != amount_fen:
        problems.append(problem("/payments", f"points: {points} points pay {amount_fen} fen, "
                                             f"not {payment['amount_fen']!r}"))
    if problems:
        raise Invalid("the points payment is not valid; nothing was charged", details=problems)
    session, merchant_id = checkout.session, checkout.merchant_id
    postings = [
        # The ledger's guarded debit consumes the soonest-expiring unexpired lots first and
        # raises core.ledger.InsufficientBalance (409) when the card has too few.
        Posting(card_points(session, merchant_id, checkout.card.id), -points),
        Posting(merchant_points(session, merchant_id, REDEEMED), points),
        Posting(ledger.merchant_account(session, merchant_id, POINTS_AS_CASH, CASH_ASSET), amount_fen),
        Posting(ledger.merchant_account(session, merchant_id, "sales", CASH_ASSET), -amount_fen),
    ]
    return PaymentResult(amount_fen=amount_fen, postings=postings, receipt={"points": points})
