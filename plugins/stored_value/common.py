"""What stored value's modules share: the assets, accounts and transaction types, settings,
balances, reading a request's amounts, tenders and PIN (C6), the card lock, and the postings.

The money moves are in their own modules: ``recharge`` (S1, C4), ``cheques`` (S4),
``purchase_fee`` (C3), ``payouts`` (S1 withdrawal and refund), ``payment`` (S2, S3, C6:
paying at checkout); ``summary`` reads a card (S4, S6). Each imports this module, never the
reverse. Everything goes through ``core.ledger.post``, one balanced transaction per request. The
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

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import ledger
from core.errors import problem
from core.ledger import Posting, card_account, merchant_account
from core.merchant_config import MerchantConfig
from core.models import Account, Card
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


def balances(session: Session, card: Card) -> dict:
    """Principal, bonus and pending on one card; ``total_fen`` is what can be spent."""
    raw = ledger.card_balances(session, card.id)
    principal, bonus, pending = raw.get(PRINCIPAL, 0), raw.get(BONUS, 0), raw.get(PENDING, 0)
    return {"principal_fen": principal, "bonus_fen": bonus, "pending_fen": pending,
            "total_fen": principal + bonus}


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


def unknown_properties(body: dict, allowed: set[str], at: str = "") -> list[dict]:
    return [problem(f"{at}/{key}", "unknown property") for key in sorted(set(body) - allowed)]


def parse_amount(value, at: str, problems: list, *, minimum: int = 1):
    if type(value) is not int or not minimum <= value <= MAX_AMOUNT_FEN:
        problems.append(problem(at, f"whole fen from {minimum} to {MAX_AMOUNT_FEN} (no decimals)"))
        return None
    return value


def parse_tender(raw, methods: tuple[str, ...], problems: list, at: str = "/payment") -> Tender | None:
    if not isinstance(raw, dict):
        problems.append(problem(at, "an object: {method, channel?, reference?}"))
        return None
    problems += unknown_properties(raw, {"method", "channel", "reference"}, at)
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


def parse_pin(raw, at: str, problems: list) -> str | None:
    if not isinstance(raw, str) or not PIN_PATTERN.match(raw):
        problems.append(problem(at, "the card's 6-digit PIN (C6)"))
        return None
    return raw


def check_pin(session: Session, card: Card, pin: str, settings: dict, now: datetime) -> None:
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


def upgrade_tier(session: Session, config: MerchantConfig, card: Card, now: datetime) -> None:
    """C4 ``stored_amount``: the principal on the card now (bonus and pending do not count)."""
    upgrade_card_tier(session, card, config, stored_amount_fen=balances(session, card)["principal_fen"],
                      now=now)
