"""The checkout pipeline, in one database transaction (DESIGN.md "Checkout pipeline").

identify card (C7) -> price lines (C2) -> payments -> earning -> ledger -> receipt.
Pricing, payments and earning are hooks: the core's own behaviour (C2 pricing, cash and
external payments, tier upgrades) is the built-in implementation in core/builtin_hooks.py,
and plugins add payment methods (stored value, points as cash) and earning rules (points).
"""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from . import ledger
from .accounts import card_balances_known, load_card_accounts
from .checkout_card import card_for_checkout, usable
from .clock import now_utc
from .direct_sql import DirectStatement
from .errors import Invalid, problem
from .faults import fault_point
from .ledger import Posting
from .checkout_types import (CheckoutRecord, CheckoutState, Earning, PaymentResult,  # noqa: F401 (API)
                             PricedLine)
from .merchant_config import MerchantConfig
from .models import Card, Checkout, CheckoutLine, CheckoutPayment
from .pins import pin_in

MAX_LINES = 200
MAX_UNIT_PRICE_FEN = 100_000_000  # 1,000,000 yuan
MAX_QUANTITY = 10_000
SKU_PATTERN = re.compile(r"^[0-9A-Za-z_.\-]{1,60}\Z")


def usable_card(session: Session, merchant_id: int, number: str, now: datetime, *,
                pin: str | None = None) -> Card:
    """An active, unexpired card of this merchant, or a clear error (C5, C7).

    ``pin``: the PIN the request carries, if any; an unknown card then gets the wrong-PIN
    answer instead of a 404, so a PIN route does not tell which numbers exist (C6).
    """
    card = session.scalar(select(Card).where(Card.merchant_id == merchant_id, Card.number == number))
    return usable(card, number, now, pin)


def build(session: Session, config: MerchantConfig, merchant_id: int, body: dict, *,
          store_id: int | None, staff_id: int | None, now: datetime | None = None) -> CheckoutState:
    """Identify the card and price the lines (no writes): the quote."""
    if not isinstance(body, dict):
        raise Invalid("the checkout must be a JSON object")
    now = now or now_utc()
    lines = _parse_lines(_resolve_lines(session, config, merchant_id, store_id, body.get("lines")))
    card = member = tier = None
    held, spent = False, None
    number = body.get("card_number")
    if number is not None:
        if not isinstance(number, str) or not number.strip():
            raise Invalid("card_number must be text", details=[problem("/card_number", "a card number")])
        card, held, spent = card_for_checkout(session, config, merchant_id, number.strip(), now,
                                               pin_in(body))
        member = card.member
        tier = card.tier
    state = CheckoutState(session=session, config=config, merchant_id=merchant_id,
                          store_id=store_id, staff_id=staff_id, now=now, card=card, member=member,
                          tier=tier, lines=lines, card_held=held, spent_before=spent, body=body)
    config.hook("checkout_price_lines")(checkout=state)
    _refuse_unpriced_coupons(state)
    return state


def _refuse_unpriced_coupons(state: CheckoutState) -> None:
    """Coupons sent but taken by no pricing hook (no plugin enabled for them) are an error,
    never a sale at full price the customer did not agree to."""
    sent = state.body.get("coupons")
    if sent is None or sent == []:
        return
    if not any(adjustment.get("kind") == "coupon" for adjustment in state.adjustments):
        raise Invalid("coupons are not accepted here: the coupon plugin is not enabled",
                      code="coupons_not_enabled",
                      details=[problem("/coupons", "enable coupons, or send the basket without")])


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
        **({"adjustments": state.adjustments} if state.adjustments else {}),
        "earn": [{"plugin": e.plugin, "asset": e.asset, "amount": e.amount, **e.receipt}
                 for e in earnings(state, state.lines)],
    }


_checkouts = Checkout.__table__
_NEW_CHECKOUT = DirectStatement(insert(_checkouts).returning(_checkouts.c.id))
_NEW_LINES = DirectStatement(insert(CheckoutLine.__table__))
_NEW_PAYMENTS = DirectStatement(insert(CheckoutPayment.__table__))
_NEW_RECEIPT = DirectStatement(update(_checkouts).where(_checkouts.c.id == bindparam("checkout"))
                               .values(receipt=bindparam("receipt")))


def commit(state: CheckoutState, payments: list, *, idempotency_key: str | None = None) -> CheckoutRecord:
    """Take the payments, earn, post one ledger transaction and record the checkout."""
    session, config = state.session, state.config
    if state.card is not None and not state.card_held:
        _hold_card(state)
    if not isinstance(payments, list) or not payments:
        raise Invalid("at least one payment is needed", details=[problem("/payments", "a list of payments")])
    taken: list[tuple[dict, PaymentResult]] = []
    pay = config.hook("checkout_payment")
    for index, payment in enumerate(payments):
        if not isinstance(payment, dict) or not isinstance(payment.get("method"), str):
            raise Invalid("each payment needs a method", details=[problem(f"/payments/{index}/method", "a payment method")])
        result = pay(session=session, checkout=state, payment=payment, config=config)
        if result is None:
            raise Invalid(f"payment method {payment['method']!r} is not available",
                          details=[problem(f"/payments/{index}/method", "cash, external, or a method of an enabled plugin")])
        taken.append((payment, result))
    paid = sum(result.amount_fen for _payment, result in taken)
    if paid != state.due_fen:
        raise Invalid(f"payments add up to {paid} fen but {state.due_fen} fen is due",
                      code="payment_mismatch", details=[problem("/payments", f"must add up to {state.due_fen}")],
                      params={"paid_fen": paid, "due_fen": state.due_fen})
    earned = earnings(state, state.lines)
    postings = [p for _payment, result in taken for p in result.postings]
    postings += [p for earning in earned for p in earning.postings]
    # Not atomic: any error from here on rolls the caller's whole transaction back.
    posted = ledger.post(
        session, state.merchant_id, "checkout",
        postings or _zero_postings(state),  # a free basket still leaves a ledger trace
        store_id=state.store_id, staff_id=state.staff_id, idempotency_key=idempotency_key,
        memo={"card_number": state.card.number if state.card else None}, now=state.now,
        atomic=False, shared_rows_last=True)
    record = _record(state, posted.id, taken, earned)
    # The merchant's balance updates (rows every checkout of the merchant shares) stay
    # pending until the commit, a read of a balance, an ORM query or the next post: on
    # PostgreSQL their row locks are then held for the last statements only, not through
    # the after_checkout hooks and the idempotency record as well.
    posts_before, tier_before = ledger.posts_in(session), state.card and state.card.tier_id
    config.hook("after_checkout")(session=session, checkout=state, record=record, config=config)
    if ledger.posts_in(session) != posts_before or (state.card and state.card.tier_id != tier_before):
        # A plugin moved money or the card's tier after the sale: the receipt shows the result.
        record.receipt = _receipt(state, taken, earned, fresh_balances=True)
        _NEW_RECEIPT.scalar(session.connection(), {"checkout": record.id, "receipt": record.receipt})
    if earned:
        fault_point("after_points")  # testing only: core/faults.py
    return record


def _hold_card(state: CheckoutState) -> None:
    """Lock the card built in another transaction, and check it again now that we hold it."""
    session = state.session
    session.execute(select(Card.id).where(Card.id == state.card.id).with_for_update())
    session.refresh(state.card)
    usable(state.card, state.card.number, state.now, None)
    load_card_accounts(session, state.card.id)
    state.card_held = True


def _record(state: CheckoutState, transaction_id: int, taken, earned) -> CheckoutRecord:
    """Insert the checkout, its lines and payments with Core."""
    session = state.session
    connection = session.connection()
    values = dict(
        merchant_id=state.merchant_id, transaction_id=transaction_id,
        card_id=state.card.id if state.card else None,
        member_id=state.member.id if state.member else None,
        store_id=state.store_id, staff_id=state.staff_id,
        tier_key=state.tier.key if state.tier else None,
        list_total_fen=state.list_total_fen, due_total_fen=state.due_fen,
        earned={e.asset: e.amount for e in earned}, created_at=state.now)
    # The receipt names the checkout's own id and time when it is read (receipt_of).
    receipt = _receipt(state, taken, earned)
    checkout_id = _NEW_CHECKOUT.scalar(connection, {**values, "receipt": receipt})
    _NEW_LINES.execute_many(connection, [
        {"checkout_id": checkout_id, "line_no": line.line_no, "sku": line.sku, "name": line.name,
         "category": line.category, "quantity": line.quantity,
         "unit_price_fen": line.unit_price_fen, "special_price": line.special_price,
         "promotion_permille": line.promotion_permille, "tier_permille": line.tier_permille,
         "points_permille": line.points_permille,
         "list_fen": line.list_fen, "paid_fen": line.paid_fen, "returned_quantity": 0}
        for line in state.lines])
    _NEW_PAYMENTS.execute_many(connection, [
        {"checkout_id": checkout_id, "method": payment["method"], "amount_fen": result.amount_fen,
         "postings": [{"account_id": p.account.id, "amount": p.amount} for p in result.postings],
         "refunded_fen": 0}
        for payment, result in taken])
    return CheckoutRecord(id=checkout_id, receipt=receipt, **values)


def receipt_of(record: Checkout | CheckoutRecord) -> dict:
    """The receipt as stored, with the checkout's own id and time."""
    return {"checkout_id": record.id, "created_at": record.created_at.isoformat(),
            **(record.receipt or {})}


def _zero_postings(state: CheckoutState) -> list[Posting]:
    account = ledger.merchant_account(state.session, state.merchant_id, "sales", "cny")
    return [Posting(account, 0)]


def _receipt(state, taken, earned, *, fresh_balances: bool = False) -> dict:
    """What the customer's receipt shows, but for the checkout's own id and time (receipt_of)."""
    card = state.card
    if card is None:
        balances = {}
    elif fresh_balances:
        balances = ledger.card_balances(state.session, card.id)
    else:
        balances = card_balances_known(state.session, card.id)
    return {
        "card_number": card.number if card else None,
        "config_version": state.config.version,
        "member_name": state.member.name if state.member else None,
        "tier": state.tier.key if state.tier else None,
        "tier_after": card.tier.key if card and card.tier else None,
        "lines": [line.json() for line in state.lines],
        "list_total_fen": state.list_total_fen,
        "due_fen": state.due_fen,
        "discount_fen": state.list_total_fen - state.due_fen,
        **({"adjustments": state.adjustments} if state.adjustments else {}),
        "payments": [{"method": payment["method"], "amount_fen": result.amount_fen, **result.receipt}
                     for payment, result in taken],
        "earned": [{"plugin": e.plugin, "asset": e.asset, "amount": e.amount, **e.receipt}
                   for e in earned],
        "balances": balances,
    }


# What a catalogue line brings besides the typed fields (core.checkout_types.PricedLine).
CATALOGUE_KEYS = ("product_id", "member_prices", "points_permille")


class _ResolvedLine(dict):
    """A line a plugin filled from its catalogue: only these may carry CATALOGUE_KEYS."""


def _resolve_lines(session: Session, config: MerchantConfig, merchant_id: int,
                   store_id: int | None, raw):
    """The basket with catalogue lines (a product id or barcode, no sku) filled in by the
    enabled plugins (checkout_resolve_lines); typed lines and anything unknown stay as sent."""
    if not isinstance(raw, list) or not raw or len(raw) > MAX_LINES:
        return raw
    if not any(isinstance(item, dict) and "sku" not in item for item in raw):
        return raw  # typed lines only: no plugin is asked
    resolved: dict = {}
    for answer in config.hook("checkout_resolve_lines")(session=session, config=config,
                                                      merchant_id=merchant_id, store_id=store_id,
                                                      lines=raw):
        resolved.update({index: _ResolvedLine(line) for index, line in (answer or {}).items()})
    return [resolved.get(index, item) for index, item in enumerate(raw)]


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
        if isinstance(item, _ResolvedLine):
            unknown -= set(CATALOGUE_KEYS)
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
                                promotion_permille=promotion,
                                **{key: item[key] for key in CATALOGUE_KEYS if key in item}))
    if problems:
        raise Invalid("the basket is not valid; nothing was charged", details=problems)
    return lines
