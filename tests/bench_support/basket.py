"""The bench's basket and checkout request body (the same for every path measured)."""
from __future__ import annotations

LINES = [
    {"sku": "MILK-1L", "name": "纯牛奶 1L", "category": "dairy", "unit_price_fen": 1299, "quantity": 2},
    {"sku": "BREAD", "name": "全麦面包", "category": "bakery", "unit_price_fen": 550},
    {"sku": "EGGS-12", "name": "鸡蛋 12 枚", "category": "fresh", "unit_price_fen": 1890,
     "promotion_permille": 900},
]


def due_fen(tier_permille: int) -> int:
    from core.pricing import line_price

    return sum(line_price(line["unit_price_fen"] * line.get("quantity", 1),
                          line.get("promotion_permille", 1000), tier_permille,
                          line.get("special_price", False)) for line in LINES)


def checkout_body(number: str, method: str, amount: int) -> dict:
    return {"card_number": number, "lines": LINES,
            "payments": [{"method": method, "amount_fen": amount}]}
