"""What every part of the coupon plugin shares: its id, codes, yuan text, input checks.

The plugin imports only the core (DESIGN.md: webui -> plugins -> core), never another plugin.
"""
from __future__ import annotations

import secrets

PLUGIN_ID = "coupons"

# 31 symbols with no look-alikes (no 0/O, 1/I/L): a 10-symbol code is ~49 bits, far beyond
# guessing at a till, and short enough to read out and type.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
MAX_CODES_PER_CHECKOUT = 10
MAX_ISSUE_QUANTITY = 500

KIND_NAMES = {"cash": {"zh-CN": "代金券", "en": "Cash coupon"},
              "discount": {"zh-CN": "折扣券", "en": "Discount coupon"},
              "threshold": {"zh-CN": "满减券", "en": "Spend-and-save coupon"}}
STATUS_NAMES = {"issued": "可用", "redeemed": "已使用", "voided": "已作废", "expired": "已过期"}


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw) -> str | None:
    """The code as stored, from what a cashier typed or a scanner sent: case, spaces and
    dashes do not matter; None when it cannot be a code at all."""
    if not isinstance(raw, str):
        return None
    code = raw.upper().replace("-", "").replace(" ", "").strip()
    if not code or len(code) > 16 or any(symbol not in ALPHABET for symbol in code):
        return None
    return code


def yuan(fen: int) -> str:
    """¥12.50: money in an error message the cashier reads (never fen)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}¥{whole}.{cents:02d}"


def zhe(permille: int) -> str:
    """850 -> 8.5折, 800 -> 8折."""
    whole, rest = divmod(permille, 100)
    return (str(whole) if rest == 0 else f"{whole}.{f'{rest:02d}'.rstrip('0')}") + "折"
