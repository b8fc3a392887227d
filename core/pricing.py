"""Line pricing (C2): promotion x tier discount multiply; special-price lines get neither.

Rates are integer per-mille; the product of two rates is exact in integers, and the final
amount is rounded to the fen, half up, once per line. 8折 then 8.8折: 800 x 880 = 704,000
per million = 70.4 % of the list price.
"""
from __future__ import annotations

PERMILLE = 1000


def round_half_up_div(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for non-negative integers."""
    quotient, remainder = divmod(numerator, denominator)
    return quotient + (1 if 2 * remainder >= denominator else 0)


def line_price(list_fen: int, promotion_permille: int, tier_permille: int, special_price: bool) -> int:
    if special_price:
        return list_fen
    return round_half_up_div(list_fen * promotion_permille * tier_permille, PERMILLE * PERMILLE)


def proportional_share(total: int, part: int, whole: int) -> int:
    """floor(total x part / whole): cumulative use makes repeated partial refunds add up exactly."""
    if whole == 0:
        return 0
    return total * part // whole


def paid_share_permille(paid_fen: int, list_fen: int) -> int | None:
    """The share of the list price paid, as a receipt states it: per-mille rounded half up to
    one decimal of 折 (a multiple of 10‰), from integer fen. None when nothing was taken off.

    8800 of 10000 -> 880 (8.8折); 8850 of 10000 -> 890 (8.85 rounds up to 8.9折). Any real
    discount shows, however small: 9990 of 10000 is 990 (9.9折), never 1000 (10折); 0 is free.
    """
    if list_fen <= 0 or paid_fen >= list_fen:
        return None
    if paid_fen <= 0:
        return 0
    percent = round_half_up_div(paid_fen * 100, list_fen)
    return min(max(percent, 1), 99) * 10
