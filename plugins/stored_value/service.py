"""Stored value's money moves: recharge (S1), cheques (S4), purchase-card fee (C3), paying
with the card and PIN (S2, S3, C6), withdrawal and refund (S1).

Everything goes through ``core.ledger.post``, one balanced transaction per request. The
accounts (see docs/plugins/stored_value.md for the full table):

card accounts (never below zero)
    ``stored_value_principal``  what the member paid in, one lot per recharge
    ``stored_value_bonus``      recharge bonuses (充1000送100), never paid out in cash
    ``stored_value_pending``    principal + bonus of a cheque recharge not cleared yet (S4)
merchant accounts, per (purpose, asset)
    ("issued", each asset)            minus what is outstanding on cards
    ("redeemed", principal / bonus)   spent in checkouts
    ("forfeited", bonus)              bonus given up on a withdrawal or refund
    ("cash_drawer" | "external_<channel>", "cny")  money in the till / at the provider
    ("cheques_receivable", "cny")     cheques taken, not cleared; ("external_cheque", "cny") cleared
    ("stored_value_sold", "cny")      money received for principal not spent yet (liability)
    ("sales", "cny")                  revenue, as for cash sales (core)
    ("stored_value_bonus_cost", "cny")  revenue paid for by bonus: a marketing cost
    ("card_fees", "cny")              purchase-card fees (C3)

Transactions that load principal (the S3 new-card day) are recharges and cheque clearings.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import ledger
from core.cards import get_card
from core.checkout import CheckoutState, PaymentResult, usable_card
from core.clock import local_date, local_day_bounds
from core.errors import Conflict, Forbidden, Invalid, NotFound, problem
from core.ledger import InsufficientBalance, Posting, card_account, merchant_account
from core.merchant_config import MerchantConfig
from core.models import Account, AccountOwner, Card, Entry, LedgerTransaction, Lot
from core.operations import OperationContext
from core.pins import verify_pin
from core.tiers import upgrade_card_tier
from core.weak_pins import PIN_PATTERN

PLUGIN_ID = "stored_value"
PRINCIPAL = "stored_value_principal"
BONUS = "stored_value_bonus"
PENDING = "stored_value_pending"
CNY = "cny"
CHANNELS = ("wechat", "alipay", "unionpay", "other")
MAX_AMOUNT_FEN = 1_000_000_000  # 10 million yuan in one go: a guard against typos

TX_RECHARGE = "stored_value_recharge"
TX_CHEQUE_CLEAR = "stored_value_cheque_clear"
TX_CHEQUE_BOUNCE = "stored_value_cheque_bounce"
TX_PURCHASE_FEE = "stored_value_purchase_fee"
TX_WITHDRAWAL = "stored_value_withdrawal"
TX_REFUND = "stored_value_refund"
LOAD_TYPES = (TX_RECHARGE, TX_CHEQUE_CLEAR)  # transactions that put principal on a card (S3)
SPEND_TYPES = ("checkout", "return")  # core's: stored value spent in sales, net of returns


def settings_of(config: MerchantConfig) -> dict:
    return config.settings_for(PLUGIN_ID)


def yuan(fen: int) -> str:
    """Fen as yuan text for messages (integers only: 50000 -> '500.00')."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


# -- reading ---------------------------------------------------------------------------

def balances(session: Session, card: Card) -> dict:
    """Principal, bonus and pending on one card; ``total_fen`` is what can be spent."""
    raw = ledger.card_balances(session, card.id)
    principal, bonus, pending = raw.get(PRINCIPAL, 0), raw.get(BONUS, 0), raw.get(PENDING, 0)
    return {"principal_fen": principal, "bonus_fen": bonus, "pending_fen": pending,
            "total_fen": principal + bonus}


def summary(session: Session, config: MerchantConfig, card: Card) -> dict:
    """A card's stored value, its pending cheques and the low-balance flag (S6)."""
    settings = settings_of(config)
    amounts = balances(session, card)
    threshold = settings["low_balance_reminder_fen"]
    return {"card_number": card.number, "balances": amounts,
            "low_balance": bool(threshold) and amounts["total_fen"] < threshold,
            "pending_cheques": pending_cheques(session, card)}


def pending_cheques(session: Session, card: Card) -> list[dict]:
    account = _existing_account(session, card, PENDING)
    if account is None:
        return []
    recharges = session.scalars(
        select(LedgerTransaction).join(Entry, Entry.transaction_id == LedgerTransaction.id)
        .where(Entry.account_id == account.id, Entry.amount > 0,
               LedgerTransaction.type == TX_RECHARGE)
        .order_by(LedgerTransaction.id)).all()
    return [_cheque_json(tx) for tx in recharges
            if ledger.find_by_idempotency_key(session, card.merchant_id, _settle_key(tx.id)) is None]


def _cheque_json(tx: LedgerTransaction) -> dict:
    memo = tx.memo or {}
    return {"transaction_id": tx.id, "amount_fen": memo.get("principal_fen", 0),
            "bonus_fen": memo.get("bonus_fen", 0), "reference": memo.get("reference", ""),
            "created_at": tx.created_at.isoformat()}


def _lineage(session: Session, card: Card) -> list[int]:
    """This card and every card it replaced (C5), newest first."""
    ids, current = [card.id], card.id
    while (previous := session.scalar(select(Card.id).where(Card.replaced_by_id == current))) is not None:
        if previous in ids:
            break
        ids.append(previous)
        current = previous
    return ids


def _account_ids(session: Session, card_ids: list[int], asset: str) -> list[int]:
    return list(session.scalars(select(Account.id).where(
        Account.owner == AccountOwner.CARD.value, Account.card_id.in_(card_ids), Account.asset == asset)))


def _existing_account(session: Session, card: Card, asset: str) -> Account | None:
    return session.scalar(select(Account).where(
        Account.owner == AccountOwner.CARD.value, Account.card_id == card.id, Account.asset == asset))


# -- input -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Tender:
    """How money came in or goes out: cash, an external channel, or a cheque (S4)."""

    method: str
    channel: str | None = None
    reference: str = ""

    @property
    def purpose(self) -> str:
        """The merchant's cny account the money is in."""
        if self.method == "cash":
            return "cash_drawer"
        if self.method == "external":
            return f"external_{self.channel}"
        return "cheques_receivable"

    def json(self, amount_fen: int) -> dict:
        data = {"method": self.method, "amount_fen": amount_fen}
        if self.channel:
            data["channel"] = self.channel
        if self.reference:
            data["reference"] = self.reference
        return data


def _unknown(body: dict, allowed: set[str], at: str = "") -> list[dict]:
    return [problem(f"{at}/{key}", "unknown property") for key in sorted(set(body) - allowed)]


def _amount(value, at: str, problems: list, *, minimum: int = 1):
    if type(value) is not int or not minimum <= value <= MAX_AMOUNT_FEN:
        problems.append(problem(at, f"whole fen from {minimum} to {MAX_AMOUNT_FEN} (no decimals)"))
        return None
    return value


def _tender(raw, methods: tuple[str, ...], problems: list, at: str = "/payment") -> Tender | None:
    if not isinstance(raw, dict):
        problems.append(problem(at, "an object: {method, channel?, reference?}"))
        return None
    problems += _unknown(raw, {"method", "channel", "reference"}, at)
    method = raw.get("method")
    if method not in methods:
        problems.append(problem(f"{at}/method", "one of: " + ", ".join(methods)))
        return None
    channel = raw.get("channel")
    if method == "external":
        if channel not in CHANNELS:
            problems.append(problem(f"{at}/channel", "one of: " + ", ".join(CHANNELS)))
    elif channel is not None:
        problems.append(problem(f"{at}/channel", "only for external payments"))
    reference = raw.get("reference", "")
    if not isinstance(reference, str) or len(reference.strip()) > 60:
        problems.append(problem(f"{at}/reference", "text of at most 60 characters"))
        reference = ""
    reference = reference.strip()
    if method == "cheque" and not reference:
        problems.append(problem(f"{at}/reference", "the cheque number (S4)"))
    return Tender(method=method, channel=channel if method == "external" else None,
                  reference=reference)


def _pin(raw, at: str, problems: list) -> str | None:
    if not isinstance(raw, str) or not PIN_PATTERN.match(raw):
        problems.append(problem(at, "the card's 6-digit PIN (C6)"))
        return None
    return raw


def _check_pin(session: Session, card: Card, pin: str, settings: dict, now: datetime) -> None:
    verify_pin(session, card, pin, max_attempts=settings["pin_max_attempts"],
               lock_minutes=settings["pin_lock_minutes"],
               block_after=settings["pin_block_after_failures"], now=now)


def lock_card(session: Session, card: Card) -> None:
    """Take the card's row lock (PostgreSQL; SQLite's write transaction already serialises).

    Every stored-value move on a card takes it first, so concurrent requests on one card run
    one after the other: two payments cannot both pass the S3 cap check, nor two cheque
    clearings both pass the "once" check, and the lock is always taken before the card's
    ledger accounts (one order, no deadlock between these requests).
    """
    session.execute(select(Card.id).where(Card.id == card.id).with_for_update())


# -- postings --------------------------------------------------------------------------

def _move(debit: Account, credit: Account, amount: int) -> list[Posting]:
    """``amount`` from ``debit`` to ``credit`` (nothing for 0)."""
    if amount == 0:
        return []
    return [Posting(debit, -amount), Posting(credit, amount)]


class Books:
    """The accounts a move on one card touches, and the usual pairs of postings."""

    def __init__(self, session: Session, card: Card) -> None:
        self.session, self.card = session, card

    def on_card(self, asset: str) -> Account:
        return card_account(self.session, self.card.merchant_id, self.card.id, asset)

    def merchant(self, purpose: str, asset: str) -> Account:
        return merchant_account(self.session, self.card.merchant_id, purpose, asset)

    def load(self, asset: str, amount: int) -> list[Posting]:
        """Onto the card, out of the merchant's ("issued", asset)."""
        return _move(self.merchant("issued", asset), self.on_card(asset), amount)

    def unload(self, asset: str, purpose: str, amount: int) -> list[Posting]:
        """Off the card (consuming lots) into the merchant's (purpose, asset)."""
        return _move(self.on_card(asset), self.merchant(purpose, asset), amount)

    def cny(self, debit: str, credit: str, amount: int) -> list[Posting]:
        """Money (cny) between two merchant accounts."""
        return _move(self.merchant(debit, CNY), self.merchant(credit, CNY), amount)


# -- S1 recharge and S4 cheques --------------------------------------------------------

def bonus_for(settings: dict, amount: int) -> int:
    """The bonus of the highest tier whose threshold the amount reaches (S1), once."""
    reached = [tier for tier in settings["bonus_tiers"] if tier["threshold_fen"] <= amount]
    return max(reached, key=lambda tier: tier["threshold_fen"])["bonus_fen"] if reached else 0


def recharge(context: OperationContext) -> dict:
    """S1: load ``amount_fen`` plus its bonus; paid by cheque it stays pending (S4)."""
    session, merchant_id, now = context.session, context.merchant_id, context.now
    card = usable_card(session, merchant_id, context.params["card_number"], now)
    lock_card(session, card)
    settings = settings_of(context.config)
    body = context.body
    problems = _unknown(body, {"amount_fen", "payment"})
    amount = _amount(body.get("amount_fen"), "/amount_fen", problems)
    tender = _tender(body.get("payment"), ("cash", "external", "cheque"), problems)
    if problems:
        raise Invalid("the recharge is not valid; nothing was charged", details=problems)
    minimum = settings["min_recharge_fen"]
    if amount < minimum:
        raise Invalid(f"a recharge is at least {yuan(minimum)} yuan (S1)",
                      code="below_minimum_recharge",
                      details=[problem("/amount_fen", f"at least {minimum} fen")])
    bonus = bonus_for(settings, amount)
    cheque = tender.method == "cheque"
    books = Books(session, card)
    money = books.cny("stored_value_sold", tender.purpose, amount)
    if cheque:  # S4: nothing spendable (and no stored_amount upgrade) before it clears
        value = books.load(PENDING, amount + bonus)
    else:
        value = books.load(PRINCIPAL, amount) + books.load(BONUS, bonus)
    memo = {"card_id": card.id, "card_number": card.number, "method": tender.method,
            "principal_fen": amount, "bonus_fen": bonus, "reference": tender.reference}
    transaction = ledger.post(session, merchant_id, TX_RECHARGE, value + money,
                              store_id=context.store_id, staff_id=context.staff_id, memo=memo, now=now)
    if not cheque:
        _upgrade(session, context.config, card, now)
    return {
        "card_number": card.number,
        "transaction_id": transaction.id,
        "status": "pending" if cheque else "loaded",
        "loaded": {"principal_fen": 0 if cheque else amount, "bonus_fen": 0 if cheque else bonus,
                   "pending_fen": amount + bonus if cheque else 0},
        "payment": tender.json(amount),
        "balances": balances(session, card),
        "tier": card.tier.key if card.tier else None,
    }


def _upgrade(session: Session, config: MerchantConfig, card: Card, now: datetime) -> None:
    """C4 ``stored_amount``: the principal on the card now (bonus and pending do not count)."""
    upgrade_card_tier(session, card, config, stored_amount_fen=balances(session, card)["principal_fen"],
                      now=now)


def _settle_key(transaction_id: int) -> str:
    """A cheque is cleared or bounced once: this ledger key is unique per merchant."""
    return f"stored_value:cheque:{transaction_id}:settled"


def _current_card_id(session: Session, card_id: int) -> int:
    """Follow replacements (C5) to the card that holds a card's balances now."""
    seen = set()
    while card_id not in seen:
        seen.add(card_id)
        successor = session.scalar(select(Card.replaced_by_id).where(Card.id == card_id))
        if successor is None:
            return card_id
        card_id = successor
    return card_id


def settle_cheque(context: OperationContext, action: str) -> dict:
    """S4: ``clear`` moves a cheque recharge from pending into principal and bonus; ``bounce``
    reverses it. Either happens once per cheque."""
    session, merchant_id, now = context.session, context.merchant_id, context.now
    card = get_card(session, merchant_id, context.params["card_number"])
    transaction_id = context.params["transaction_id"]
    cheque = session.get(LedgerTransaction, transaction_id)
    memo = (cheque.memo or {}) if cheque is not None else {}
    if (cheque is None or cheque.merchant_id != merchant_id or cheque.type != TX_RECHARGE
            or memo.get("method") != "cheque"
            or _current_card_id(session, memo.get("card_id")) != card.id):
        raise NotFound(f"card {card.number} has no cheque recharge {transaction_id}")
    lock_card(session, card)
    settled = ledger.find_by_idempotency_key(session, merchant_id, _settle_key(cheque.id))
    if settled is not None:
        done = "cleared" if settled.type == TX_CHEQUE_CLEAR else "bounced"
        raise Conflict(f"cheque recharge {cheque.id} was already {done}",
                       code="cheque_already_settled", details={"settled_by": settled.id, "status": done})
    principal, bonus = memo["principal_fen"], memo["bonus_fen"]
    books = Books(session, card)
    # This cheque's own pending lot first (another cheque may be pending on the card).
    out_of_pending = [Posting(books.on_card(PENDING), -(principal + bonus), prefer_lots_of=cheque.id),
                      Posting(books.merchant("issued", PENDING), principal + bonus)]
    if action == "clear":
        postings = (out_of_pending + books.load(PRINCIPAL, principal) + books.load(BONUS, bonus)
                    + books.cny("cheques_receivable", "external_cheque", principal))
        kind, reverses = TX_CHEQUE_CLEAR, None
    else:
        postings = out_of_pending + books.cny("cheques_receivable", "stored_value_sold", principal)
        kind, reverses = TX_CHEQUE_BOUNCE, cheque.id
    posted = ledger.post(session, merchant_id, kind, postings, store_id=context.store_id,
                         staff_id=context.staff_id, idempotency_key=_settle_key(cheque.id),
                         reverses_id=reverses, now=now,
                         memo={"card_id": card.id, "card_number": card.number,
                               "cheque_transaction_id": cheque.id,
                               "reference": memo.get("reference", "")})
    if action == "clear":
        _upgrade(session, context.config, card, now)
    return {
        "card_number": card.number,
        "cheque_transaction_id": cheque.id,
        "transaction_id": posted.id,
        "status": "cleared" if action == "clear" else "bounced",
        "loaded": {"principal_fen": principal if action == "clear" else 0,
                   "bonus_fen": bonus if action == "clear" else 0,
                   "pending_fen": -(principal + bonus)},
        "balances": balances(session, card),
        "tier": card.tier.key if card.tier else None,
    }


# -- C3 purchase-card fee --------------------------------------------------------------

def _fee_key(card: Card) -> str:
    return f"stored_value:purchase_fee:{card.id}"


def purchase_fee(context: OperationContext) -> dict:
    """C3: a purchase card (a kind that earns no points, P3) pays its card fee once; the fee
    buys the card and loads nothing on it."""
    session, merchant_id, now = context.session, context.merchant_id, context.now
    card = usable_card(session, merchant_id, context.params["card_number"], now)
    kind = context.config.card_kind(card.kind)
    if kind is None or kind.get("earns_points", True):
        raise Conflict(f"card {card.number} is not a purchase card: only card kinds that earn no "
                       "points pay a card fee (C3)", code="not_a_purchase_card")
    problems = _unknown(context.body, {"payment"})
    tender = _tender(context.body.get("payment"), ("cash", "external"), problems)
    if problems:
        raise Invalid("the card fee payment is not valid; nothing was charged", details=problems)
    lock_card(session, card)
    paid = ledger.find_by_idempotency_key(session, merchant_id, _fee_key(card))
    if paid is not None:
        raise Conflict(f"the card fee of card {card.number} was already paid",
                       code="purchase_fee_already_paid", details={"transaction_id": paid.id})
    fee = settings_of(context.config)["purchase_card_fee_fen"]
    books = Books(session, card)  # explicit postings: a fee of 0 still leaves its "paid" trace
    postings = [Posting(books.merchant(tender.purpose, CNY), fee),
                Posting(books.merchant("card_fees", CNY), -fee)]
    transaction = ledger.post(session, merchant_id, TX_PURCHASE_FEE, postings,
                              store_id=context.store_id, staff_id=context.staff_id,
                              idempotency_key=_fee_key(card), now=now,
                              memo={"card_id": card.id, "card_number": card.number,
                                    "card_kind": card.kind, "method": tender.method})
    return {"card_number": card.number, "card_kind": card.kind, "transaction_id": transaction.id,
            "fee_fen": fee, "payment": tender.json(fee), "balances": balances(session, card)}


# -- S1 withdrawal and refund ----------------------------------------------------------

def withdraw(context: OperationContext) -> dict:
    """S1: pay principal out in cash (only if the merchant allows it); the bonus goes in the
    same proportion as the principal taken out, rounded up (all of it when all is taken)."""
    session, now = context.session, context.now
    settings = settings_of(context.config)
    if not settings["allow_withdrawal"]:
        raise Forbidden("this merchant does not pay stored value out in cash (不可兑换现金, S1)",
                        code="withdrawal_disabled")
    problems = _unknown(context.body, {"amount_fen", "pin", "payment"})
    amount = None
    if "amount_fen" in context.body:
        amount = _amount(context.body["amount_fen"], "/amount_fen", problems)
    pin = _pin(context.body.get("pin"), "/pin", problems)
    tender = _tender(context.body.get("payment"), ("cash", "external"), problems)
    if problems:
        raise Invalid("the withdrawal is not valid; nothing was paid out", details=problems)
    # The card after the input: an unknown card answers like a wrong PIN (C6).
    card = usable_card(session, context.merchant_id, context.params["card_number"], now, pin=pin)
    lock_card(session, card)
    _check_pin(session, card, pin, settings, now)
    amounts = balances(session, card)
    principal, bonus = amounts["principal_fen"], amounts["bonus_fen"]
    amount = principal if amount is None else amount
    if amount == 0 or amount > principal:
        raise InsufficientBalance(f"the card holds {yuan(principal)} yuan of principal; only principal "
                                  "is paid out (S1)", details={"asset": PRINCIPAL, "needed": amount,
                                                               "available": principal})
    forfeit = min(bonus, -(-bonus * amount // principal))  # ceiling of the same share
    return _pay_out(context, card, TX_WITHDRAWAL, amount, forfeit, tender)


def refund(context: OperationContext) -> dict:
    """S1 退卡: pay out all the principal (only if the merchant allows refunds); the bonus lapses."""
    session, now = context.session, context.now
    settings = settings_of(context.config)
    if not settings["allow_refund"]:
        raise Forbidden("this merchant does not refund stored-value cards (不可退卡, S1)",
                        code="refund_disabled")
    problems = _unknown(context.body, {"pin", "payment"})
    pin = _pin(context.body.get("pin"), "/pin", problems)
    tender = _tender(context.body.get("payment"), ("cash", "external"), problems)
    if problems:
        raise Invalid("the refund is not valid; nothing was paid out", details=problems)
    card = usable_card(session, context.merchant_id, context.params["card_number"], now, pin=pin)
    lock_card(session, card)
    _check_pin(session, card, pin, settings, now)
    amounts = balances(session, card)
    if amounts["pending_fen"]:
        raise Conflict("a cheque recharge on this card is still pending: clear or bounce it first (S4)",
                       code="cheque_pending")
    if amounts["total_fen"] == 0:
        raise Conflict(f"card {card.number} holds no stored value", code="nothing_to_refund")
    return _pay_out(context, card, TX_REFUND, amounts["principal_fen"], amounts["bonus_fen"],
                    tender)


def _pay_out(context: OperationContext, card: Card, kind: str, amount: int, forfeit: int,
             tender: Tender) -> dict:
    session, merchant_id = context.session, context.merchant_id
    books = Books(session, card)
    postings = (books.unload(PRINCIPAL, "issued", amount) + books.unload(BONUS, "forfeited", forfeit)
                + books.cny(tender.purpose, "stored_value_sold", amount))
    transaction = ledger.post(session, merchant_id, kind, postings, store_id=context.store_id,
                              staff_id=context.staff_id, now=context.now,
                              memo={"card_id": card.id, "card_number": card.number,
                                    "method": tender.method, "principal_fen": amount,
                                    "bonus_forfeited_fen": forfeit})
    return {"card_number": card.number, "transaction_id": transaction.id,
            "paid_out_fen": amount, "bonus_forfeited_fen": forfeit,
            "payment": tender.json(amount), "balances": balances(session, card)}


# -- S2 paying with the card and PIN ---------------------------------------------------

_PAID_CHECKOUTS = "stored_value.paid_checkouts"


def split(amount: int, principal: int, bonus: int, order: str) -> tuple[int, int]:
    """How much of ``amount`` comes from principal and from bonus; needs principal + bonus >= amount.

    ``principal_first`` (default; 先扣本金): principal, then bonus. ``bonus_first``: the other way.
    ``proportional`` (按比例): bonus in proportion to the balances, rounded down.
    """
    if order == "bonus_first":
        from_bonus = min(bonus, amount)
        return amount - from_bonus, from_bonus
    if order == "proportional":
        from_bonus = min(bonus, amount * bonus // (principal + bonus))
        from_principal = min(principal, amount - from_bonus)
        return from_principal, amount - from_principal
    from_principal = min(principal, amount)
    return from_principal, amount - from_principal


def pay(session: Session, checkout: CheckoutState, payment: dict, config: MerchantConfig) -> PaymentResult:
    """S2: pay ``amount_fen`` of a checkout from the card's balance, with its PIN (C6)."""
    if checkout.card is None:
        raise Invalid("paying from stored value needs the card: a walk-in sale (散客, C7) cannot",
                      details=[problem("/card_number", "the card to pay from")])
    problems = _unknown(payment, {"method", "amount_fen", "pin"}, "/payments")
    amount = _amount(payment.get("amount_fen"), "/payments", problems)
    pin = _pin(payment.get("pin"), "/payments", problems)
    if problems:
        raise Invalid("the stored-value payment is not valid; nothing was charged", details=problems)
    paid = session.info.setdefault(_PAID_CHECKOUTS, set())
    if id(checkout) in paid:
        raise Invalid("a checkout takes one stored-value payment",
                      details=[problem("/payments", "one payment with method stored_value")])
    settings = settings_of(config)
    card, now = checkout.card, checkout.now
    lock_card(session, card)
    _check_pin(session, card, pin, settings, now)  # before any balance is revealed
    amounts = balances(session, card)
    principal, bonus = amounts["principal_fen"], amounts["bonus_fen"]
    if amount > principal + bonus:
        raise InsufficientBalance(
            f"the card holds {yuan(principal + bonus)} yuan of stored value; {yuan(amount)} yuan is "
            "asked" + (f" ({yuan(amounts['pending_fen'])} yuan waits for a cheque to clear, S4)"
                       if amounts["pending_fen"] else ""),
            details={"asset": "stored_value", "needed": amount, "available": principal + bonus})
    check_new_card_cap(session, card, amount, settings["new_card_cap_permille"], now)
    from_principal, from_bonus = split(amount, principal, bonus, settings["spend_order"])
    # On the card accounts, so the core's returns (G3) give back to the very lots (restore_from).
    books = Books(session, card)
    postings = (books.unload(PRINCIPAL, "redeemed", from_principal)
                + books.cny("sales", "stored_value_sold", from_principal)
                + books.unload(BONUS, "redeemed", from_bonus)
                + books.cny("sales", "stored_value_bonus_cost", from_bonus))
    paid.add(id(checkout))
    return PaymentResult(amount_fen=amount, postings=postings, receipt={
        "card_number": card.number, "principal_fen": from_principal, "bonus_fen": from_bonus,
        "signature_required": True})  # S2: the holder signs the slip (签字)


def check_new_card_cap(session: Session, card: Card, amount: int, permille: int, now: datetime) -> None:
    """S3: on the local day a card's first principal was loaded, stored-value spending that day
    (net of returns) is at most ``permille`` of the principal loaded that day.

    A card replaced that day (C5) is the same purchase: its predecessors' loads and spending
    count too, so a same-day replacement does not lift the cap.
    """
    lineage = _lineage(session, card)
    principal_ids = _account_ids(session, lineage, PRINCIPAL)
    if not principal_ids:
        return
    start, end = local_day_bounds(local_date(now))
    loads = (select(Lot.amount).join(LedgerTransaction, LedgerTransaction.id == Lot.transaction_id)
             .where(Lot.account_id.in_(principal_ids), LedgerTransaction.type.in_(LOAD_TYPES)))
    if session.scalar(select(func.count()).select_from(
            loads.where(LedgerTransaction.created_at < start).subquery())):
        return  # the card was bought on an earlier day
    loaded = session.scalar(select(func.coalesce(func.sum(Lot.amount), 0))
                            .join(LedgerTransaction, LedgerTransaction.id == Lot.transaction_id)
                            .where(Lot.account_id.in_(principal_ids),
                                   LedgerTransaction.type.in_(LOAD_TYPES),
                                   LedgerTransaction.created_at >= start,
                                   LedgerTransaction.created_at < end))
    if not loaded:
        return
    accounts = principal_ids + _account_ids(session, lineage, BONUS)
    spent = -int(session.scalar(
        select(func.coalesce(func.sum(Entry.amount), 0))
        .join(LedgerTransaction, LedgerTransaction.id == Entry.transaction_id)
        .where(Entry.account_id.in_(accounts), LedgerTransaction.type.in_(SPEND_TYPES),
               LedgerTransaction.created_at >= start, LedgerTransaction.created_at < end)))
    cap = int(loaded) * permille // 1000
    if spent + amount > cap:
        left = max(cap - spent, 0)
        raise Conflict(
            f"a new card may spend at most {permille}‰ of the {yuan(int(loaded))} yuan loaded today: "
            f"{yuan(left)} yuan is left until tomorrow (S3)", code="new_card_cap",
            details={"loaded_today_fen": int(loaded), "cap_fen": cap, "spent_today_fen": spent,
                     "available_fen": left})
