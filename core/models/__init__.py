"""SQLAlchemy 2 typed models. Money is integer fen, points integer; never floats."""
from .base import Base
from .tenancy import ApiToken, Merchant, Staff, StaffRole, Store
from .members import Card, CardStatus, Member, Tier
from .ledger import (
    Account,
    AccountOwner,
    Entry,
    IdempotencyRecord,
    LedgerTransaction,
    Lot,
    LotMovement,
)
from .checkout import CardSpendDay, Checkout, CheckoutLine, CheckoutPayment, CheckoutReturn
from .config import ConfigDraft, ConfigVersion
from .jobs import JobRun
from .audit import AuditEntry
from .imports import ImportBatch, ImportKey
from .messaging import LoginCode, MessageAttempt, OutboxMessage
from .messages import MessageChannel, MessageOptOut, MessagePolicy, MessageTemplate
from .rate_limits import RateLimitCounter
from .rollups import LedgerDay, RollupState, SalesDay
from .shifts import Shift, ShiftCount, ShiftNote

__all__ = [
    "Account",
    "AccountOwner",
    "ApiToken",
    "AuditEntry",
    "Base",
    "Card",
    "Checkout",
    "CheckoutLine",
    "CheckoutPayment",
    "CheckoutReturn",
    "CardSpendDay",
    "CardStatus",
    "ConfigDraft",
    "ConfigVersion",
    "Entry",
    "JobRun",
    "IdempotencyRecord",
    "ImportBatch",
    "ImportKey",
    "LedgerDay",
    "LedgerTransaction",
    "Lot",
    "LoginCode",
    "MessageAttempt",
    "MessageChannel",
    "MessageOptOut",
    "MessagePolicy",
    "MessageTemplate",
    "LotMovement",
    "Member",
    "Merchant",
    "OutboxMessage",
    "RateLimitCounter",
    "RollupState",
    "SalesDay",
    "Shift",
    "ShiftCount",
    "ShiftNote",
    "Staff",
    "StaffRole",
    "Store",
    "Tier",
]
