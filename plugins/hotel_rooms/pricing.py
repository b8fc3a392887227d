"""Prices and the e-voucher payment (H1 prices, H3 no stacking).

Lines are recognised by their ``category`` against the settings ``room_categories``,
``ticket_categories`` and ``group_buy_categories`` (the till sends the category it sells).

- Room rate (H1): on a room line the card kind's ``room_rate_permille`` (股东卡 shareholder
  rate) replaces the tier discount when it is lower: the better of the two, never both.
- Ticket price (H1): a ticket line costs at most the card kind's ``ticket_price_fen`` each.
- Group-buy deals (H3): a group-buy line keeps the deal's price (its promotion) and gets no
  tier or card discount, unless ``discount_combines_with_coupons`` is on.
- E-vouchers (H3, H4): payment method ``e_voucher`` takes one of the card's e-vouchers (300
  or 100 yuan) by its code; it is refused (409 ``discount_not_combinable``) when a room line
  of the basket is sold below its list price (a room promotion, the card's room rate or a
  tier discount), unless ``discount_combines_with_coupons``.
  An e-voucher pays at most what is due and gives no change.
"""
from __future__ import annotations

from sqlalchemy import func, select, update

from core import ledger
from core.checkout import CheckoutState, PaymentResult
from core.errors import Conflict, Invalid, problem
from core.ledger import Posting
from core.models import Account, AccountOwner, Entry, LedgerTransaction
from core.pricing import line_price

from . import vouchers
from .card_benefits import benefits_of
from .common import (ASSET, E_VOUCHER_PAYMENTS, PLUGIN_ID, REDEEMED, card_vouchers,
                     merchant_vouchers)
from .models import RoomVoucher

CASH_ASSET = "cny"
PAYMENT_KEYS = {"method", "code", "amount_fen"}


def price_lines(checkout: CheckoutState) -> None:
    settings = checkout.config.settings_for(PLUGIN_ID)
    entry = benefits_of(checkout.config, checkout.card.kind) if checkout.card else None
    for line in checkout.lines:
        if line.special_price:
            continue
        if line.category in settings["group_buy_categories"]:
            if not settings["discount_combines_with_coupons"]:
                line.tier_permille = 1000
                line.paid_fen = line_price(line.list_fen, line.promotion_permille, 1000, False)
            continue
        if entry is None:
            continue
        if line.category in settings["room_categories"] and \
                entry["room_rate_permille"] < line.tier_permille:
            line.tier_permille = entry["room_rate_permille"]
            line.paid_fen = line_price(line.list_fen, line.promotion_permille, line.tier_permille, False)
        if line.category in settings["ticket_categories"] and entry["ticket_price_fen"] > 0:
            line.paid_fen = min(line.paid_fen, entry["ticket_price_fen"] * line.quantity)
    if not settings["discount_combines_with_coupons"]:
        # H3: a discounted room and a group-buy deal take no coupon (the coupon plugin, whose
        # pricing runs last, reads the flag; the e-voucher payment checks the same lines).
        for line in checkout.lines:
            if line.category in settings["group_buy_categories"] or (
                    line.category in settings["room_categories"] and line.paid_fen < line.list_fen):
                line.no_coupons = True


def discounted_room_lines(checkout: CheckoutState, settings: dict) -> list[int]:
    """Line numbers of room lines sold below their list price: a room promotion, the card's
    room rate or a tier discount, any of which is a room discount (H3)."""
    return [line.line_no for line in checkout.lines
            if line.category in settings["room_categories"] and line.paid_fen < line.list_fen]


def pay_with_e_voucher(checkout: CheckoutState, payment: dict, config) -> PaymentResult:
    settings = config.settings_for(PLUGIN_ID)
    problems = [problem("/payments", f"e_voucher: unknown property {key!r}")
                for key in sorted(set(payment) - PAYMENT_KEYS)]
    code = payment.get("code")
    if not isinstance(code, str) or not code.strip():
        problems.append(problem("/payments", "e_voucher: the code of the e-voucher (scan it)"))
    if problems:
        raise Invalid("the e-voucher payment is not valid; nothing was charged", details=problems)
    if checkout.card is None:
        raise Invalid("paying with an e-voucher needs the member's card",
                      details=[problem("/card_number", "present the card holding the e-voucher")])
    session, merchant_id = checkout.session, checkout.merchant_id
    voucher = vouchers.find(session, merchant_id, code)
    if voucher.card_id != checkout.card.id:
        raise Conflict("this e-voucher belongs to another card", code="voucher_not_on_card")
    if voucher.kind != "e_voucher":
        raise Conflict("a room voucher is redeemed at the desk, not paid with",
                       code="not_an_e_voucher")
    vouchers.check_usable(voucher, checkout.today)
    if not settings["discount_combines_with_coupons"]:
        lines = discounted_room_lines(checkout, settings)
        if lines:
            raise Conflict("room discounts do not combine with e-vouchers or coupons (H3): "
                           f"line(s) {', '.join(map(str, lines))} already carry a room discount",
                           code="discount_not_combinable",
                           details=[problem(f"/lines/{n - 1}", "a discounted room") for n in lines])
    amount_fen = min(voucher.face_value_fen, checkout.due_fen)
    if amount_fen == 0:  # spent for nothing, and a return (a share of 0 fen) never gives it back
        raise Invalid("nothing is due: the e-voucher would be spent for nothing",
                      details=[problem("/payments", "e_voucher: only when something is due")])
    if "amount_fen" in payment and payment["amount_fen"] != amount_fen:
        raise Invalid(f"this e-voucher pays {amount_fen} fen here",
                      details=[problem("/payments", f"e_voucher: amount_fen {amount_fen}")])
    # The one-use guard now; the checkout's ledger transaction id is filled in after_checkout.
    vouchers.take(session, voucher, None, checkout.now)
    postings = [
        Posting(card_vouchers(session, merchant_id, checkout.card.id), -1),
        Posting(merchant_vouchers(session, merchant_id, REDEEMED), 1),
        Posting(ledger.merchant_account(session, merchant_id, E_VOUCHER_PAYMENTS, CASH_ASSET), amount_fen),
        Posting(ledger.merchant_account(session, merchant_id, "sales", CASH_ASSET), -amount_fen),
    ]
    return PaymentResult(amount_fen=amount_fen, postings=postings,
                         receipt={"code": voucher.code, "face_value_fen": voucher.face_value_fen})


def link_payments(session, checkout: CheckoutState, record) -> None:
    """after_checkout: e-vouchers taken by this checkout point at its ledger transaction."""
    if checkout.card is None:
        return
    session.execute(update(RoomVoucher).where(
        RoomVoucher.merchant_id == checkout.merchant_id, RoomVoucher.card_id == checkout.card.id,
        RoomVoucher.kind == "e_voucher", RoomVoucher.status == "redeemed",
        RoomVoucher.used_transaction_id.is_(None))
        .values(used_transaction_id=record.transaction_id)
        .execution_options(synchronize_session=False))


def reactivate_returned(session, record) -> int:
    """after_checkout_return: the core gave e-vouchers back to the card on the ledger (a return
    reverses each payment in proportion, so a voucher comes back when the whole bill does);
    make that many of this checkout's e-voucher rows usable again. Returns how many."""
    if record.card_id is None:
        return 0
    # Any card's account: after a replacement (C5) the core gives back to the current card.
    restored = session.scalar(
        select(func.coalesce(func.sum(Entry.amount), 0))
        .join(LedgerTransaction, LedgerTransaction.id == Entry.transaction_id)
        .join(Account, Account.id == Entry.account_id)
        .where(LedgerTransaction.merchant_id == record.merchant_id,
               LedgerTransaction.reverses_id == record.transaction_id,
               Account.owner == AccountOwner.CARD.value, Account.asset == ASSET))
    used = list(session.scalars(select(RoomVoucher).where(
        RoomVoucher.merchant_id == record.merchant_id, RoomVoucher.kind == "e_voucher",
        RoomVoucher.used_transaction_id == record.transaction_id).order_by(RoomVoucher.id)))
    reactivated = [v for v in used if v.status == "active"]
    due = int(restored) - len(reactivated)
    for voucher in [v for v in used if v.status == "redeemed"][:max(due, 0)]:
        voucher.status = "active"
        voucher.used_at = None
    session.flush()
    return max(due, 0)
