"""The checkout pipeline, in one database transaction (DESIGN.md "Checkout pipeline").

identify card (C7) -> price lines (C2) -> payments -> earning -> ledger -> receipt.
Pricing, payments and earning are hooks: the core's own behaviour (C2 pricing, cash and
external payments, tier upgrades) is the built-in implementation in core/builtin_hooks.py,
and plugins add payment methods (stored value, points as cash) and earning rules (points).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import ledger
from .clock import local_date, now_utc
from .errors import Conflict, Invalid, NotFound, problem
from .faults import fault_point
from .ledger import Posting
from .merchant_config import MerchantConfig
from .models import Card, CardStatus, Checkout, CheckoutLine, CheckoutPayment, Member, Tier
from .pins import pin_in, refuse_unknown_card

MAX_LINES = 200
MAX_UNIT_PRICE_FEN = 100_000_000  # 1,000,000 yuan
MAX_QUANTITY = 10_000
SKU_PATTERN = re.compile(r"^[0-9A-Za-z_.\-]{1,60}\Z")


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

    @property
    def list_fen(self) -> int:
        return self.unit_price_fen * self.quantity

    def json(self) -> dict:
        return {"line_no": self.line_no, "sku": self.sku, "name": self.name,
                "category": self.category, "quantity": self.quantity,
                "unit_price_fen": self.unit_price_fen, "special_price": self.special_price,
                "promotion_permille": self.promotion_permille, "tier_permille": self.tier_permille,
                "list_fen": self.list_fen, "paid_fen": self.paid_fen}


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


def usable_card(session: Session, merchant_id: int, number: str, now: datetime, *,
                pin: str | None = None) -> Card:
    """An active, unexpired card of this merchant, or a clear error (C5, C7).

    ``pin``: the PIN the request carries, if any; an unknown card then gets the wrong-PIN
    answer instead of a 404, so a PIN route does not tell which numbers exist (C6).
    """
    card = session.scalar(select(Card).where(Card.merchant_id == merchant_id, Card.number == number))
    if card is None:
        if pin is not None:
            refuse_unknown_card(pin)
        raise NotFound(f"card {number} does not exist")
    if card.status != CardStatus.ACTIVE.value:
        raise Conflict(f"card {number} is {card.status} and cannot be used", code="card_not_usable")
    if card.expires_on is not None and card.expires_on < local_date(now):
        raise Conflict(f"card {number} expired on {card.expires_on}", code="card_expired")
    return card


def build(session: Session, config: MerchantConfig, merchant_id: int, body: dict, *,
          store_id: int | None, staff_id: int | None, now: datetime | None = None) -> CheckoutState:
    """Identify the card and price the lines (no writes): the quote."""
    if not isinstance(body, dict):
        raise Invalid("the checkout must be a JSON object")
    now = now or now_utc()
    lines = _parse_lines(body.get("lines"))
    card = member = tier = None
    number = body.get("card_number")
    if number is not None:
        if not isinstance(number, str) or not number.strip():
            raise Invalid("card_number must be text", details=[problem("/card_number", "a card number")])
        card = usable_card(session, merchant_id, number.strip(), now, pin=pin_in(body))
        member = card.member
        tier = card.tier
    state = CheckoutState(session=session, config=config, merchant_id=merchant_id,
                          store_id=store_id, staff_id=staff_id, now=now, card=card, member=member,
                          tier=tier, lines=lines)
    config.hook("checkout_price_lines")(checkout=state)
    return state


def earnings(state: CheckoutState, lines: list[PricedLine]) -> list[Earning]:
    if state.walk_in:
        return []
    results = state.config.hook("checkout_earn")(session=state.session, checkout=state,
                                                 lines=lines, config=state.config)
    return [earning for group in results for earning in (group or []) if earning.amount]


def quote(state: CheckoutState) -> dict:
    return {
        "card_number": state.card.number if state.card else None,
        "member_id": state.member.id if state.member else None,
        "tier": state.tier.key if state.tier else None,
        "walk_in": state.walk_in,
        "lines": [line.json() for line in state.lines],
        "list_total_fen": state.list_total_fen,
        "due_fen": state.due_fen,
        "discount_fen": state.list_total_fen - state.due_fen,
        "earn": [{"plugin": e.plugin, "asset": e.asset, "amount": e.amount, **e.receipt}
                 for e in earnings(state, state.lines)],
    }


def commit(state: CheckoutState, payments: list, *, idempotency_key: str | None = None) -> Checkout:
    """Take the payments, earn, post one ledger transaction and record the checkout."""
    session, config = state.session, state.config
    if state.card is not None:
        # Lock the card row first, as every plugin does before touching its accounts, so two
        # checkouts on one card queue instead of deadlocking (PostgreSQL; SQLite has one writer).
        session.execute(select(Card.id).where(Card.id == state.card.id).with_for_update())
        session.refresh(state.card)
        # Reported lost or replaced while we priced? Check again now that we hold the lock.
        usable_card(session, state.merchant_id, state.card.number, state.now)
    if not isinstance(payments, list) or not payments:
        raise Invalid("at least one payment is needed", details=[problem("/payments", "a list of payments")])
    taken: list[tuple[dict, PaymentResult]] = []
    for index, payment in enumerate(payments):
        if not isinstance(payment, dict) or not isinstance(payment.get("method"), str):
            raise Invalid("each payment needs a method", details=[problem(f"/payments/{index}/method", "a payment method")])
        result = config.hook("checkout_payment")(session=session, checkout=state,
                                                 payment=payment, config=config)
        if result is None:
            raise Invalid(f"payment method {payment['method']!r} is not available",
                          details=[problem(f"/payments/{index}/method", "cash, external, or a method of an enabled plugin")])
        taken.append((payment, result))
    paid = sum(result.amount_fen for _payment, result in taken)
    if paid != state.due_fen:
        raise Invalid(f"payments add up to {paid} fen but {state.due_fen} fen is due",
                      code="payment_mismatch", details=[problem("/payments", f"must add up to {state.due_fen}")])
    earned = earnings(state, state.lines)
    postings = [p for _payment, result in taken for p in result.postings]
    postings += [p for earning in earned for p in earning.postings]
    transaction = ledger.post(
        session, state.merchant_id, "checkout",
        postings or _zero_postings(state),  # a free basket still leaves a ledger trace
        store_id=state.store_id, staff_id=state.staff_id, idempotency_key=idempotency_key,
        memo={"card_number": state.card.number if state.card else None}, now=state.now)
    record = Checkout(
        merchant_id=state.merchant_id, transaction_id=transaction.id,
        card_id=state.card.id if state.card else None,
        member_id=state.member.id if state.member else None,
        store_id=state.store_id, staff_id=state.staff_id,
        tier_key=state.tier.key if state.tier else None,
        list_total_fen=state.list_total_fen, due_total_fen=state.due_fen,
        earned={e.asset: e.amount for e in earned}, created_at=state.now)
    session.add(record)
    session.flush()
    for line in state.lines:
        session.add(CheckoutLine(checkout_id=record.id, line_no=line.line_no, sku=line.sku,
                                 name=line.name, category=line.category, quantity=line.quantity,
                                 unit_price_fen=line.unit_price_fen, special_price=line.special_price,
                                 promotion_permille=line.promotion_permille,
                                 tier_permille=line.tier_permille, list_fen=line.list_fen,
                                 paid_fen=line.paid_fen))
    for payment, result in taken:
        session.add(CheckoutPayment(
            checkout_id=record.id, method=payment["method"], amount_fen=result.amount_fen,
            postings=[{"account_id": p.account.id, "amount": p.amount} for p in result.postings]))
    session.flush()
    tier_before = state.tier.key if state.tier else None
    config.hook("after_checkout")(session=session, checkout=state, record=record, config=config)
    record.receipt = _receipt(state, record, taken, earned, tier_before)
    session.flush()
    if earned:
        fault_point("after_points")  # testing only: core/faults.py
    return record


def _zero_postings(state: CheckoutState) -> list[Posting]:
    account = ledger.merchant_account(state.session, state.merchant_id, "sales", "cny")
    return [Posting(account, 0)]


def _receipt(state, record, taken, earned, tier_before) -> dict:
    card = state.card
    return {
        "checkout_id": record.id,
        "created_at": record.created_at.isoformat(),
        "card_number": card.number if card else None,
        "config_version": state.config.version,
        "member_name": state.member.name if state.member else None,
        "tier": tier_before,
        "tier_after": card.tier.key if card and card.tier else None,
        "lines": [line.json() for line in state.lines],
        "list_total_fen": state.list_total_fen,
        "due_fen": state.due_fen,
        "discount_fen": state.list_total_fen - state.due_fen,
        "payments": [{"method": payment["method"], "amount_fen": result.amount_fen, **result.receipt}
                     for payment, result in taken],
        "earned": [{"plugin": e.plugin, "asset": e.asset, "amount": e.amount, **e.receipt}
                   for e in earned],
        "balances": ledger.card_balances(state.session, card.id) if card else {},
    }


def _parse_lines(raw) -> list[PricedLine]:
    if not isinstance(raw, list) or not raw:
        raise Invalid("the basket needs at least one line", details=[problem("/lines", "a non-empty list")])
    if len(raw) > MAX_LINES:
        raise Invalid(f"at most {MAX_LINES} lines", details=[problem("/lines", f"at most {MAX_LINES}")])
    problems, lines = [], []
    for index, item in enumerate(raw):
        at = f"/lines/{index}"
        if not isinstance(item, dict):
            problems.append(problem(at, "a line object"))
            continue
        unknown = set(item) - {"sku", "name", "category", "quantity", "unit_price_fen",
                               "special_price", "promotion_permille"}
        problems += [problem(f"{at}/{key}", "unknown property") for key in sorted(unknown)]
        sku = item.get("sku")
        if not isinstance(sku, str) or not SKU_PATTERN.match(sku):
            problems.append(problem(f"{at}/sku", "1 to 60 letters, digits, _ . -"))
        name = item.get("name", sku if isinstance(sku, str) else "")
        if not isinstance(name, str) or len(name) > 120:
            problems.append(problem(f"{at}/name", "text of at most 120 characters"))
        category = item.get("category", "")
        if not isinstance(category, str) or len(category) > 60:
            problems.append(problem(f"{at}/category", "text of at most 60 characters"))
        quantity = item.get("quantity", 1)
        if type(quantity) is not int or not 1 <= quantity <= MAX_QUANTITY:
            problems.append(problem(f"{at}/quantity", f"a whole number from 1 to {MAX_QUANTITY}"))
        price = item.get("unit_price_fen")
        if type(price) is not int or not 0 <= price <= MAX_UNIT_PRICE_FEN:
            problems.append(problem(f"{at}/unit_price_fen", "whole fen from 0 (no floats)"))
        special = item.get("special_price", False)
        if not isinstance(special, bool):
            problems.append(problem(f"{at}/special_price", "true or false"))
        promotion = item.get("promotion_permille", 1000)
        if type(promotion) is not int or not 1 <= promotion <= 1000:
            problems.append(problem(f"{at}/promotion_permille", "1 to 1000 (800 = 8折)"))
        lines.append(PricedLine(line_no=index + 1, sku=sku, name=name, category=category,
                                quantity=quantity, unit_price_fen=price, special_price=special,
                                promotion_permille=promotion))
    if problems:
        raise Invalid("the basket is not valid; nothing was charged", details=problems)
    return lines
