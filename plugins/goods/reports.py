"""The goods reports of the catalogue: ``low_stock`` (G1) and ``stock_movements``."""
from __future__ import annotations

from sqlalchemy import select

from core.clock import MERCHANT_TZ
from core.reports import Report, count, text
from core.reports.member_purchases import period_instants
from core.reports.money_common import store_names

from .common import PLUGIN_ID
from .models import Product, StockMovement
from .stock import levels

KIND_NAMES = {"receive": "入库", "sale": "销售", "return": "退货", "transfer_out": "调出",
              "transfer_in": "调入", "adjust": "盘点调整"}


def _low_rows(session, query):
    threshold = query.config.settings_for(PLUGIN_ID)["default_low_stock_threshold"]
    stores = store_names(session, query.merchant_id)
    for row in levels(session, query.merchant_id, store_id=query.store_id, low_only=True,
                      default_threshold=threshold):
        yield {**row, "store": stores.get(row["store_id"], "")}


def _movement_rows(session, query):
    start, end = period_instants(query.start, query.end)
    stores = store_names(session, query.merchant_id)
    statement = (select(StockMovement, Product.sku, Product.name)
                 .join(Product, Product.id == StockMovement.product_id)
                 .where(StockMovement.merchant_id == query.merchant_id,
                        StockMovement.created_at >= start, StockMovement.created_at < end)
                 .order_by(StockMovement.id))
    if query.store_id is not None:
        statement = statement.where(StockMovement.store_id == query.store_id)
    for movement, sku, name in session.execute(statement):
        yield {"at": movement.created_at.astimezone(MERCHANT_TZ).strftime("%Y-%m-%d %H:%M:%S"),
               "store": stores.get(movement.store_id, ""), "sku": sku, "name": name,
               "kind": KIND_NAMES.get(movement.kind, movement.kind), "quantity": movement.quantity,
               "checkout_id": str(movement.checkout_id or ""), "note": movement.note}


LOW_STOCK = Report(
    "low_stock", {"zh-CN": "低库存商品", "en": "Low stock"},
    [text("store", "门店", "Store"), text("sku", "商品编码", "SKU"), text("name", "商品", "Product"),
     text("unit", "单位", "Unit"), count("quantity", "库存", "In stock", total=False),
     count("low_stock_threshold", "预警数量", "Threshold", total=False)],
    _low_rows, period=False)

MOVEMENTS = Report(
    "stock_movements", {"zh-CN": "库存流水", "en": "Stock movements"},
    [text("at", "时间", "Time"), text("store", "门店", "Store"), text("sku", "商品编码", "SKU"),
     text("name", "商品", "Product"), text("kind", "类型", "Kind"),
     count("quantity", "数量", "Quantity"), text("checkout_id", "销售单号", "Checkout"),
     text("note", "备注", "Note")],
    _movement_rows)


def reports() -> list[Report]:
    return [LOW_STOCK, MOVEMENTS]
