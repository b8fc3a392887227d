"""Exact money and discount text for screens and editor forms: yuan typed in, fen stored.

``parse_yuan("88.5") == 8850`` (decimal strings, never floats; more than two decimals is
refused with ``MoneyError``), ``format_yuan(8850) == "88.50"``, ``format_zhe(880) == "8.8折"``.
"""
from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _

__all__ = ["MAX_YUAN_DIGITS", "MoneyError", "format_yuan", "format_zhe", "parse_yuan"]


class MoneyError(ValueError):
    """An amount typed in yuan that is not exactly a number of fen."""


_AMOUNT = re.compile(r"^(\d*)(?:\.(\d*))?\Z")
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d*)?\Z")
MAX_YUAN_DIGITS = 10  # 9,999,999,999.99 yuan is more than any membership card holds


def parse_yuan(text: str) -> int:
    """Integer fen from an amount typed in yuan, exactly: "88.5" -> 8850, "1,000" -> 100000.

    Decimal strings only, never floats. Accepts full-width digits, a leading ¥ and a trailing
    元; refuses negative amounts, more than two decimals and anything else with ``MoneyError``.
    """
    cleaned = unicodedata.normalize("NFKC", str(text)).strip().replace(" ", "")
    cleaned = cleaned.removeprefix("¥").removesuffix("元").strip()
    if _THOUSANDS.match(cleaned):
        cleaned = cleaned.replace(",", "")
    match = _AMOUNT.match(cleaned)
    if not cleaned or not match or not (match.group(1) or match.group(2)):
        raise MoneyError(_("Enter an amount in yuan, such as 88 or 88.50."))
    whole, fraction = match.group(1) or "0", match.group(2) or ""
    if len(fraction) > 2:
        raise MoneyError(_("At most two decimals: the smallest unit is one fen (0.01 yuan)."))
    if len(whole.lstrip("0")) > MAX_YUAN_DIGITS:
        raise MoneyError(_("This amount is too large."))
    return int(whole) * 100 + int(fraction.ljust(2, "0"))


def format_yuan(fen: int | None) -> str:
    """Fen as yuan text: 8850 -> "88.50", 10000 -> "100" (no thousands separators)."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole}" if cents == 0 else f"{sign}{whole}.{cents:02d}"


def format_zhe(permille: int | None) -> str:
    """A discount rate as Chinese 折: 880 -> "8.8折", 905 -> "9.05折", 1000 -> no discount."""
    if permille is None or permille >= 1000:
        return _("no discount")
    whole, rest = divmod(int(permille), 100)
    text = str(whole) if rest == 0 else f"{whole}.{f'{rest:02d}'.rstrip('0')}"
    return f"{text}折"
