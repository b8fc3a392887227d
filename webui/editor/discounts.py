"""Discounts as owners say them: 8.8折 typed and shown, integer per mille (880) stored.

``parse_zhe("8.5") == 850``, ``parse_zhe("8.85折") == 885``, ``zhe_number(880) == "8.8"``.
The text is parsed as a decimal string, never through a float, so every value is exact;
0.1折 to 10折 (10折 = no discount), at most two decimals (one per mille).
"""
from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _

__all__ = ["ZheError", "parse_zhe", "zhe_number"]

_ZHE = re.compile(r"^(\d*)(?:\.(\d*))?\Z")


class ZheError(ValueError):
    """A discount typed in 折 that is not 0.1–10 with at most two decimals."""


def parse_zhe(text: str) -> int | None:
    """Per mille from a discount typed in 折: "8.8" -> 880, "9.05折" -> 905, "" -> None."""
    typed = unicodedata.normalize("NFKC", str(text or "")).strip().replace(" ", "")
    if not typed:
        return None
    cleaned = typed.removesuffix("折").strip()
    match = _ZHE.match(cleaned)
    if not match or not (match.group(1) or match.group(2)):
        raise ZheError(_("Type the discount in 折 as a number, such as 8.8 (8.8折) or 9.5."))
    whole, fraction = match.group(1) or "0", match.group(2) or ""
    if len(fraction) > 2:
        raise ZheError(_("At most two decimals, such as 8.85折."))
    if len(whole.lstrip("0")) > 2:
        raise ZheError(_("A discount is between 0.1折 and 10折 (10折 = no discount); 8.8折 is typed 8.8."))
    permille = int(whole) * 100 + int(fraction.ljust(2, "0"))
    if not 10 <= permille <= 1000:
        raise ZheError(_("A discount is between 0.1折 and 10折 (10折 = no discount); 8.8折 is typed 8.8."))
    return permille


def zhe_number(permille: int | None) -> str:
    """Per mille as the number typed before 折: 880 -> "8.8", 905 -> "9.05", 1000 -> "10"."""
    if permille is None:
        return ""
    whole, rest = divmod(int(permille), 100)
    return str(whole) if rest == 0 else f"{whole}.{f'{rest:02d}'.rstrip('0')}"
