"""The demo catalogue (``huika demo``): a small supermarket's shelf in three categories, with
barcodes, favourites for the till's grid, member prices for the higher tiers, one
special-price item and one that earns no points, and stock received in every store."""
from __future__ import annotations

from .catalogue import save_categories, save_products
from .stock import move

# (sku, barcode, name, unit, category path, price fen, favourite, member price per tier)
PRODUCTS = [
    ("MILK-1L", "6901234500011", "纯牛奶 1L", "盒", "食品/乳品", 1200, True, {"gold": 1050, "diamond": 990}),
    ("YOGURT-200", "6901234500028", "老酸奶 200g", "杯", "食品/乳品", 690, True, {}),
    ("MILK-POWDER", "6901234500035", "牛奶粉 900g", "罐", "食品/乳品/奶粉", 16800, False,
     {"silver": 15800, "gold": 14800, "diamond": 13800}),
    ("RICE-5KG", "6901234500042", "东北大米 5kg", "袋", "食品/粮油", 4990, True, {}),
    ("OIL-5L", "6901234500059", "花生油 5L", "桶", "食品/粮油", 8990, False, {"gold": 7990, "diamond": 7590}),
    ("BISCUIT", "6901234500066", "苏打饼干", "包", "食品/零食", 850, True, {}),
    ("COLA-330", "6901234500073", "可乐 330ml", "罐", "食品/饮料", 300, True, {}),
    ("WATER-550", "6901234500080", "矿泉水 550ml", "瓶", "食品/饮料", 200, True, {}),
    ("TISSUE", "6901234500097", "抽纸 3提装", "提", "日用/纸品", 2990, True, {"gold": 2590}),
    ("SHAMPOO", "6901234500103", "洗发水 500ml", "瓶", "日用/洗护", 4590, False,
     {"silver": 4290, "gold": 3990, "diamond": 3690}),
    ("TOOTHPASTE", "6901234500110", "牙膏 120g", "支", "日用/洗护", 1290, False, {}),
    ("FACE-CREAM", "6901234500127", "保湿面霜 50g", "瓶", "美妆/护肤", 12800, False,
     {"gold": 11500, "diamond": 10800}),
]
SPECIAL = "RICE-5KG"  # 特价: no member price or discount, still earns points (C2, P2)
NO_POINTS = "WATER-550"  # earns no points
LOW = "MILK-POWDER"  # stocked below its threshold, so the low-stock list shows something


def load(session, config, merchant_id: int, store_ids: list[int], staff_id: int, now) -> None:
    tiers = {tier["key"] for tier in config.tiers}
    save_categories(session, merchant_id, [{"path": path} for path in sorted(
        {row[4] for row in PRODUCTS})], now)
    items = []
    for sku, barcode, name, unit, category, price, favourite, member in PRODUCTS:
        items.append({"sku": sku, "barcode": barcode, "name": name, "unit": unit,
                      "category": category, "price_fen": price, "favourite": favourite,
                      "member_prices": {tier: fen for tier, fen in member.items() if tier in tiers},
                      "special_price": sku == SPECIAL,
                      "points_permille": 0 if sku == NO_POINTS else 1000,
                      "low_stock_threshold": 5 if sku == LOW else None})
    products = save_products(session, config, merchant_id, items, now)
    move(session, merchant_id, [
        {"store_id": store_id, "product_id": product.id, "kind": "receive",
         "quantity": 3 if product.sku == LOW else 50, "staff_id": staff_id, "note": "演示入库"}
        for store_id in store_ids for product in products], now)
