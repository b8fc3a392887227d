"""``huika demo`` ships a small catalogue the till can sell from at once."""
from __future__ import annotations

from core.demo import load_demo
from plugins.goods.demo import NO_POINTS, PRODUCTS, SPECIAL


def test_the_demo_has_a_catalogue_with_stock_member_prices_and_a_special(client, hk):
    with hk.db.write() as session:
        result = load_demo(session, hk.plugins, member_count=6)
    headers = {"Authorization": f"Bearer {result.tokens['cashier']}"}
    products = client.get("/api/v1/products?limit=200", headers=headers).json["products"]
    assert len(products) == len(PRODUCTS) >= 12
    by_sku = {p["sku"]: p for p in products}
    assert by_sku[SPECIAL]["special_price"] and by_sku[NO_POINTS]["points_permille"] == 0
    assert sum(p["favourite"] for p in products) >= 6 and all(p["barcode"] for p in products)
    assert by_sku["MILK-POWDER"]["member_prices"] == {"silver": 15800, "gold": 14800, "diamond": 13800}
    assert all(p["stock"] > 0 for p in products)  # received in the cashier's store
    assert len({p["category"].split("/")[0] for p in products}) == 3
    assert [p["sku"] for p in client.get("/api/v1/products?q=nnf", headers=headers).json["products"]] \
        == ["MILK-POWDER"]
    low = client.get("/api/v1/stock/low", headers=headers).json["stock"]
    assert {row["sku"] for row in low} == {"MILK-POWDER"}
    card = result.cards[0][0]
    sale = client.post("/api/v1/checkout", json={
        "card_number": card, "lines": [{"barcode": by_sku["COLA-330"]["barcode"], "quantity": 2}],
        "payments": [{"method": "cash", "amount_fen": client.post(
            "/api/v1/checkout/quote", json={"card_number": card, "lines": [
                {"barcode": by_sku["COLA-330"]["barcode"], "quantity": 2}]},
            headers=headers).json["due_fen"]}]},
        headers={**headers, "Idempotency-Key": "demo-cola"})
    assert sale.status_code == 201, sale.json
