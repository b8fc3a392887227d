"""Stock per store (G1, G3): received, sold, returned, transferred, counted; movements are
appended and the level is always their sum; a retried checkout or return never moves stock
twice; the low-stock list and its report."""
from __future__ import annotations

import uuid

from .conftest import CATALOGUE




def receive(shop, sku, quantity, **extra):
    response = shop.post("/stock/movements", {"movements": [
        {"kind": "receive", "sku": sku, "quantity": quantity, **extra}]})
    assert response.status_code == 201, response.json
    return response


def test_sale_return_and_retries_move_stock_once(shop):
    shop.products()
    receive(shop, "YOGURT", 10)
    card = shop.card("gold")
    key = {"Idempotency-Key": uuid.uuid4().hex}
    sale = shop.checkout([{"barcode": "6900000000028", "quantity": 3},
                          {"sku": "YOGURT", "unit_price_fen": 800}], card=card, headers=key)
    assert sale.status_code == 201, sale.json
    assert shop.stock("YOGURT") == 7  # the typed line moves no stock
    again = shop.checkout([{"barcode": "6900000000028", "quantity": 3},
                           {"sku": "YOGURT", "unit_price_fen": 800}], card=card, headers=key)
    assert again.json["checkout_id"] == sale.json["checkout_id"] and shop.stock("YOGURT") == 7
    checkout_id = sale.json["checkout_id"]
    back_key = {**shop.headers("cashier"), "Idempotency-Key": uuid.uuid4().hex}
    back = shop.client.post(f"/api/v1/checkouts/{checkout_id}/returns",
                            json={"lines": [{"line_no": 1, "quantity": 2}]}, headers=back_key)
    assert back.status_code == 201, back.json
    replay = shop.client.post(f"/api/v1/checkouts/{checkout_id}/returns",
                              json={"lines": [{"line_no": 1, "quantity": 2}]}, headers=back_key)
    assert replay.json["return_id"] == back.json["return_id"]
    assert shop.stock("YOGURT") == 9
    last = shop.post(f"/checkouts/{checkout_id}/returns", {"lines": [{"line_no": 1, "quantity": 1},
                                                                     {"line_no": 2, "quantity": 1}]},
                     role="cashier")
    assert last.status_code == 201 and shop.stock("YOGURT") == 10
    too_many = shop.post(f"/checkouts/{checkout_id}/returns", {"lines": [{"line_no": 1, "quantity": 1}]},
                         role="cashier")
    assert too_many.status_code == 409 and shop.stock("YOGURT") == 10
    kinds = [(m["kind"], m["quantity"]) for m in shop.get("/stock/movements").json["movements"]]
    assert kinds == [("return", 1), ("return", 2), ("sale", -3), ("receive", 10)]
    shop.verify()


def test_a_sale_without_stock_is_not_refused_and_goes_below_zero(shop):
    shop.products()
    assert shop.checkout([{"barcode": "TISSUE", "quantity": 2}]).status_code == 201
    assert shop.stock("TISSUE") == -2
    shop.verify()


def test_transfer_stocktake_and_adjustment(shop, hk):
    from core import tenancy

    shop.products()
    with hk.db.write() as session:
        east = tenancy.create_store(session, shop.id, code="east", name="东区").id
    main = shop.merchant.store_ids[0]
    receive(shop, "RICE-5KG", 20, reference="入库单-001")
    assert shop.post("/stock/movements", {"movements": [
        {"kind": "receive", "sku": "RICE-5KG", "quantity": 20, "reference": "入库单-001"}]}).status_code == 409
    moved = shop.post("/stock/movements", {"movements": [
        {"kind": "transfer", "sku": "RICE-5KG", "quantity": 8, "to_store_id": east},
        {"kind": "stocktake", "sku": "RICE-5KG", "counted": 11, "note": "盘点"},
        {"kind": "adjust", "sku": "RICE-5KG", "store_id": east, "quantity": -1, "note": "破损"}]})
    assert moved.status_code == 201, moved.json
    assert [(m["kind"], m["store_id"], m["quantity"]) for m in moved.json["movements"]] == [
        ("transfer_out", main, -8), ("transfer_in", east, 8), ("adjust", main, -1), ("adjust", east, -1)]
    assert (shop.stock("RICE-5KG", main), shop.stock("RICE-5KG", east)) == (11, 7)
    shop.verify()


def test_bad_movements_name_the_field_and_record_nothing(shop):
    shop.products()
    response = shop.post("/stock/movements", {"movements": [
        {"kind": "receive", "sku": "NOPE", "quantity": 1},
        {"kind": "receive", "sku": "TISSUE", "quantity": 0},
        {"kind": "transfer", "sku": "TISSUE", "quantity": 1},
        {"kind": "stocktake", "sku": "TISSUE", "quantity": 3},
        {"kind": "adjust", "sku": "TISSUE", "store_id": 999999, "quantity": 1},
        {"kind": "receive", "product_id": 1, "sku": "TISSUE", "quantity": 1}]})
    assert response.status_code == 422
    assert [d["pointer"] for d in response.json["error"]["details"]] == [
        "/movements/0/sku", "/movements/1/quantity", "/movements/2/to_store_id",
        "/movements/3/counted", "/movements/4/store_id", "/movements/5/product_id"]
    shape = shop.post("/stock/movements", {"movements": [{"kind": "steal", "sku": "TISSUE"}]})
    assert shape.status_code == 422 and shape.json["error"]["details"][0]["pointer"] == "/movements/0/kind"
    assert shop.get("/stock/movements").json["movements"] == []
    assert shop.post("/stock/movements", {"movements": [{"kind": "receive", "sku": "TISSUE", "quantity": 1}]},
                     role="cashier").status_code == 403
    assert shop.post("/stock/movements", {"movements": [{"kind": "receive", "sku": "TISSUE", "quantity": 1}]},
                     idempotent=False).status_code == 428


def test_low_stock_list_and_report(shop):
    shop.products([*CATALOGUE,
                   {"sku": "GUM", "name": "口香糖", "price_fen": 500, "low_stock_threshold": 20}])
    for sku, quantity in (("MILK-POWDER", 30), ("YOGURT", 5), ("RICE-5KG", 6), ("TISSUE", 9), ("GUM", 20)):
        receive(shop, sku, quantity)
    low = shop.get("/stock/low", role="cashier").json["stock"]
    assert [(row["sku"], row["quantity"], row["low_stock_threshold"]) for row in low] == [
        ("GUM", 20, 20), ("YOGURT", 5, 5)]  # threshold: the product's, else the setting (5)
    assert [row["sku"] for row in shop.get("/stock?low=true").json["stock"]] == ["GUM", "YOGURT"]
    report = shop.get("/reports/low_stock")
    assert report.status_code == 200, report.json
    assert [row["sku"] for row in report.json["rows"]] == ["GUM", "YOGURT"]
    movements = shop.get("/reports/stock_movements")
    assert movements.status_code == 200 and len(movements.json["rows"]) == 5
    assert movements.json["rows"][0]["kind"] == "入库"
    xlsx = shop.client.get("/api/v1/reports/low_stock?format=xlsx", headers=shop.headers())
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_concurrent_sales_and_a_stocktake_keep_the_level_the_sum_of_movements(app, shop):
    from tests.support.concurrency import concurrently

    shop.products()
    receive(shop, "YOGURT", 20)
    sale = {"lines": [{"barcode": "6900000000028", "quantity": 2}, {"barcode": "TISSUE"}],
            "payments": [{"method": "cash", "amount_fen": 3600}]}
    reverse = {**sale, "lines": list(reversed(sale["lines"]))}  # the other lock order
    requests = [("POST", "/api/v1/checkout", body, shop.headers("cashier", idempotent=True))
                for body in (sale, reverse, sale, reverse)]
    requests.append(("POST", "/api/v1/stock/movements",
                     {"movements": [{"kind": "receive", "sku": "YOGURT", "quantity": 5}]},
                     shop.headers("owner", idempotent=True)))
    responses = concurrently(app, requests)
    assert [r.status_code for r in responses] == [201, 201, 201, 201, 201], [r.json for r in responses]
    assert shop.stock("YOGURT") == 20 - 8 + 5 and shop.stock("TISSUE") == -4
    shop.verify()


def _merchant_rows_locked(hk, merchant_id, store_id, lines) -> bool:
    """Whether a checkout of ``lines`` has updated the merchant's sales account once its hooks
    ran (its transaction still open): another connection asks for the row as an update would
    (``FOR NO KEY UPDATE``, which the foreign-key checks' ``KEY SHARE`` does not block)."""
    from sqlalchemy import text

    from core import checkout
    from core.config_versions import published_config
    from core.db import Database

    other = Database.from_url(str(hk.db.engine.url.render_as_string(hide_password=False)))
    try:
        with hk.db.write() as session:
            config = published_config(session, merchant_id, hk.plugins)
            state = checkout.build(session, config, merchant_id, {"lines": lines},
                                   store_id=store_id, staff_id=None)
            checkout.commit(state, [{"method": "cash", "amount_fen": state.due_fen}])
            with other.engine.connect() as connection:
                try:
                    connection.execute(text(
                        "SELECT id FROM accounts WHERE merchant_id = :m AND owner = 'merchant' "
                        "AND purpose = 'sales' FOR NO KEY UPDATE NOWAIT"), {"m": merchant_id})
                    return False
                except Exception as error:  # LockNotAvailable
                    assert "could not obtain lock" in str(error)
                    return True
                finally:
                    connection.rollback()
    finally:
        other.dispose()


def test_a_sale_of_goods_locks_the_merchant_before_the_stock_level(shop, hk):
    """PostgreSQL lock order: a return posts (the merchant's accounts) before it puts goods
    back (the stock level), so a sale takes them in that order too, or two tills selling and
    returning one product would deadlock. A sale without catalogue lines leaves the merchant's
    rows to its last statement."""
    if hk.db.dialect != "postgresql":
        import pytest

        pytest.skip("row locks: PostgreSQL")
    shop.products()
    receive(shop, "YOGURT", 10)
    shop.checkout([{"sku": "TYPED", "unit_price_fen": 100}])  # the merchant's accounts exist
    store = shop.merchant.store_ids[0]
    assert _merchant_rows_locked(hk, shop.id, store, [{"barcode": "6900000000028", "quantity": 1}])
    assert not _merchant_rows_locked(hk, shop.id, store, [{"sku": "TYPED", "unit_price_fen": 100}])
    shop.verify()
