"""Checkout and quote lines from the catalogue: by product_id or barcode, the member price of
the card's tier instead of the tier discount (C2), special price with no discount but points
(P2), walk-ins at the list price (C7); typed lines exactly as before."""
from __future__ import annotations


def quote(shop, lines, card=None):
    body = {"lines": lines, **({"card_number": card} if card else {})}
    response = shop.post("/checkout/quote", body, role="cashier", idempotent=False)
    assert response.status_code == 200, response.json
    return response.json


def test_a_line_by_product_id_or_barcode_is_filled_from_the_catalogue(shop):
    products = shop.products()
    answer = quote(shop, [{"product_id": products["YOGURT"]["id"], "quantity": 2},
                          {"barcode": "6900000000011"}])
    yogurt, milk = answer["lines"]
    assert (yogurt["sku"], yogurt["name"], yogurt["unit_price_fen"], yogurt["category"],
            yogurt["paid_fen"], yogurt["product_id"]) == ("YOGURT", "老酸奶", 800, "乳品", 1600,
                                                           products["YOGURT"]["id"])
    assert (milk["sku"], milk["category"], milk["paid_fen"]) == ("MILK-POWDER", "奶粉", 10000)
    assert "member_price_fen" not in milk  # a walk-in pays the list price (C7)
    assert answer["walk_in"] and answer["due_fen"] == 11600


def test_member_price_replaces_the_tier_discount_and_promotion_still_multiplies(shop):
    shop.products()
    gold, silver = shop.card("gold"), shop.card("silver")
    lines = [{"barcode": "6900000000011"}, {"barcode": "6900000000028"},
             {"barcode": "6900000000035"}]
    milk, yogurt, rice = quote(shop, lines, gold)["lines"]
    assert (milk["member_price_fen"], milk["tier_permille"], milk["paid_fen"]) == (8500, 1000, 8500)
    assert (yogurt["tier_permille"], yogurt["paid_fen"]) == (880, 704)  # no member price: 8.8折
    assert (rice["special_price"], rice["tier_permille"], rice["paid_fen"]) == (True, 1000, 5000)
    milk_silver = quote(shop, lines[:1], silver)["lines"][0]
    assert "member_price_fen" not in milk_silver and milk_silver["paid_fen"] == 9500  # silver 9.5折
    promoted = quote(shop, [{"barcode": "6900000000011", "quantity": 3, "promotion_permille": 800}],
                     gold)["lines"][0]
    assert promoted["paid_fen"] == 20400  # 3 x 85.00 x 8折
    special = quote(shop, [{"barcode": "6900000000035", "promotion_permille": 800}], gold)["lines"][0]
    assert special["paid_fen"] == 5000  # 特价: no promotion either (C2)


def test_special_price_earns_points_and_a_no_points_product_does_not(shop):
    shop.products()
    card = shop.card("gold")
    receipt = shop.checkout([{"barcode": "6900000000035"}], card=card)  # 50.00 特价
    assert receipt.status_code == 201, receipt.json
    assert receipt.json["earned"][0]["amount"] == 5  # P2: 1 point per full 10 yuan
    tissue = shop.checkout([{"barcode": "TISSUE", "quantity": 3}], card=card)  # points_permille 0
    assert tissue.status_code == 201 and tissue.json["earned"] == []
    shop.verify()


def test_unknown_products_and_mixed_lines_are_named(shop):
    shop.products()
    response = shop.post("/checkout/quote", {"lines": [
        {"product_id": 999999}, {"barcode": "nope"}, {"barcode": "6900000000011", "unit_price_fen": 1},
        {"product_id": 1, "barcode": "6900000000011"}, {"sku": "TYPED", "unit_price_fen": 300}]},
        role="cashier", idempotent=False)
    assert response.status_code == 422
    assert [d["pointer"] for d in response.json["error"]["details"]] == [
        "/lines/2/unit_price_fen", "/lines/3/product_id", "/lines/0/product_id", "/lines/1/barcode"]


def test_typed_lines_are_priced_as_before(shop):
    shop.products()
    card = shop.card("gold")
    line = quote(shop, [{"sku": "MILK-POWDER", "unit_price_fen": 10000, "name": "手输"}], card)["lines"][0]
    assert (line["paid_fen"], line["tier_permille"], line["name"]) == (8800, 880, "手输")
    assert "product_id" not in line and "member_price_fen" not in line
    forged = shop.post("/checkout/quote", {"card_number": card, "lines": [
        {"sku": "A", "unit_price_fen": 100, "member_prices": {"gold": 1}}]}, role="cashier",
        idempotent=False)
    assert forged.status_code == 422  # only the catalogue sets member prices
