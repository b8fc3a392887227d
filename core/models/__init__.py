"""SQLAlchemy 2 typed models. Money is integer fen, points integer; never floats."""
from .base import Base
from .tenancy import ApiToken, Merchant, Staff, StaffRole, Store
from .members import Card, CardStatus, Member, Tier
from .ledger import Account, AccountOwner, Entry, LedgerTransaction
from .config import ConfigDraft, ConfigVersion

__all__ = [
    "Account",
    "AccountOwner",
    "ApiToken",
    "Base",
    "Card",
    "CardStatus",
    "ConfigDraft",
    "ConfigVersion",
    "Entry",
    "LedgerTransaction",
    "Member",
    "Merchant",
    "Staff",
    "StaffRole",
    "Store",
    "Tier",
]
