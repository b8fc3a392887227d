"""Money as people type and read it: yuan text <-> integer fen, 折 <-> per-mille.

One module for every page, error message and file that shows money (the till, receipts,
shifts, the dashboard, error sentences, report files); the editor's own screen forms use
webui/screens/money.py, which shows whole yuan without ".00".

Everything here is string and integer arithmetic: a typed "12.35" is never a float on its way
to 1235 fen (odoo#111670: float residues). Full-width digits from a Chinese input method
(１２．５) are normalised first.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from core.clock import MERCHANT_TZ

MAX_FEN = 100_000_000_000  # 10亿 yuan: larger is a typing mistake, whatever the operation
_YUAN = re.compile(r"^([0-9]{1,10})(?:\.([0-9]{0,2}))?\Z")
_ZHE = re.compile(r"^([0-9]{1,2})(?:\.([0-9]{1,2}))?\Z")


class BadAmount(ValueError):
    """The text is not an amount; ``str(error)`` is a message for the cashier (translated)."""


def _normal(text) -> str:
    return unicodedata.normalize("NFKC", str(text or "")).strip().replace(",", "").replace(" ", "")


def parse_yuan(text, *, allow_zero: bool = True) -> int:
    """'12.5' -> 1250, '¥3' -> 300, '0.05' -> 5; more than two decimals or a sign is refused."""
    from flask_babel import gettext as _

    raw = _normal(text).lstrip("¥￥").removesuffix("元")
    match = _YUAN.match(raw)
    if not match:
        raise BadAmount(_("Type an amount in yuan, at most two decimals (e.g. 12.50)."))
    whole, cents = match.group(1), (match.group(2) or "").ljust(2, "0")
    fen = int(whole) * 100 + int(cents)
    if fen > MAX_FEN:
        raise BadAmount(_("That amount is too large."))
    if fen == 0 and not allow_zero:
        raise BadAmount(_("The amount must be more than zero."))
    return fen


def parse_zhe(text) -> int:
    """A store promotion typed as 折, to per-mille: '' or '10' -> 1000 (none), '8' -> 800,
    '8.8' -> 880, '8.85' -> 885, and the two-digit way of saying it: '88' -> 880, '95' -> 950."""
    from flask_babel import gettext as _

    raw = _normal(text).removesuffix("折")
    if raw == "":
        return 1000
    match = _ZHE.match(raw)
    if not match:
        raise BadAmount(_("Type the discount in 折: 8 for 8折, 8.8 or 88 for 8.8折; leave it empty for none."))
    whole, decimals = int(match.group(1)), match.group(2)
    if decimals is not None:
        permille = whole * 100 + int(decimals.ljust(2, "0"))
    elif whole <= 10:
        permille = whole * 100
    else:
        permille = whole * 10  # 88折 = 8.8折
    if not 1 <= permille <= 1000:
        raise BadAmount(_("A discount is between 0.01折 and 10折 (no discount)."))
    return permille


def zhe(permille: int) -> str:
    """880 -> '8.8', 800 -> '8', 885 -> '8.85', 1000 -> '' (no discount): what parse_zhe reads."""
    if permille is None or permille >= 1000:
        return ""
    whole, rest = divmod(int(permille), 100)
    return f"{whole}.{rest:02d}".rstrip("0").rstrip(".") if rest else str(whole)


def yuan(fen, *, sign: bool = False) -> str:
    """1234567 -> '12,345.67'; integers only."""
    if fen is None:
        return ""
    fen = int(fen)
    prefix = "-" if fen < 0 else ("+" if sign and fen > 0 else "")
    whole, cents = divmod(abs(fen), 100)
    return f"{prefix}{whole:,}.{cents:02d}"


def yuan_mark(fen) -> str:
    """7744 -> '¥77.44', -5 -> '-¥0.05': an amount inside a sentence (never fen)."""
    fen = int(fen)
    return f"{'-' if fen < 0 else ''}¥{plain_yuan(abs(fen))}"


def plain_yuan(fen) -> str:
    """1234567 -> '12345.67', the form parse_yuan reads back (no thousands separator)."""
    fen = int(fen or 0)
    whole, cents = divmod(abs(fen), 100)
    return f"{'-' if fen < 0 else ''}{whole}.{cents:02d}"


def local_time(value) -> str:
    """An ISO timestamp (UTC) as the merchant's local time, 'YYYY-MM-DD HH:MM'."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(MERCHANT_TZ).strftime("%Y-%m-%d %H:%M")


def mask_card(number: str | None) -> str:
    """For paper: only the last four digits of a card number."""
    if not number:
        return ""
    return "•••• " + number[-4:] if len(number) > 4 else number
