"""With the hotel plugin: the birthday 折 comes after the card's room rate (H1) — the hotel's
pricing rewrites a room line's price, so a birthday discount taken before it would be lost —
and skips the lines the hotel closes to later discounts (H3: group-buy deals, and discounted
rooms unless the hotel combines them with coupons)."""
from __future__ import annotations

import uuid

from tests.plugins.hotel_rooms.conftest import Hotel, hotel_document
from tests.support.factories import make_merchant

from .conftest import birthday_adjustment

ROOM = {"sku": "KING", "category": "room", "unit_price_fen": 50000}
DEAL = {"sku": "DEAL", "category": "group_buy", "unit_price_fen": 20000}
DINNER = {"sku": "DINNER", "category": "food", "unit_price_fen": 10000}


def _hotel(client, hk, combines: bool) -> Hotel:
    document = hotel_document(discount_combines_with_coupons=combines)
    document["plugins"].append({"id": "birthday_benefits", "settings": {"rules": [
        {"window": "day", "discount_permille": 900}]}})
    return Hotel(client, hk, make_merchant(hk, f"酒店-{uuid.uuid4().hex[:6]}", document))


def _quote(hotel, card, lines) -> dict:
    response = hotel.client.post("/api/v1/checkout/quote", headers=hotel.headers("cashier"),
                                 json={"card_number": card, "lines": lines})
    assert response.status_code == 200, response.json
    return response.json


def _birthday_fen(line: dict) -> int:
    return sum(a["fen"] for a in line.get("adjustments", []) if a["kind"] == "birthday")


def test_the_birthday_discount_comes_after_the_room_rate(client, hk, clock):
    hotel = _hotel(client, hk, combines=True)
    card = hotel.card("shareholder", birthday="1980-03-10")  # room rate 7折
    room, dinner = _quote(hotel, card, [ROOM, DINNER])["lines"]
    assert room["tier_permille"] == 700
    assert _birthday_fen(room) == 3500 and room["paid_fen"] == 50000 * 700 // 1000 - 3500
    assert _birthday_fen(dinner) == dinner["paid_fen"] // 9  # 10 % of what it cost before


def test_lines_the_hotel_closes_to_later_discounts_get_no_birthday_discount(client, hk, clock):
    hotel = _hotel(client, hk, combines=False)
    card = hotel.card("shareholder", birthday="1980-03-10")
    quote = _quote(hotel, card, [ROOM, DEAL, DINNER])
    room, deal, dinner = quote["lines"]
    assert _birthday_fen(room) == 0 and room["paid_fen"] == 35000  # a discounted room (H3)
    assert _birthday_fen(deal) == 0 and deal["paid_fen"] == 20000  # a group-buy deal (H3)
    assert birthday_adjustment(quote)["discount_fen"] == _birthday_fen(dinner) > 0
