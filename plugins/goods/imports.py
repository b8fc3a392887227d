"""Importing the catalogue from Excel or CSV (G1): one product per row, with its category
path, prices in yuan, member prices per tier, the special-price flag, the points rule and an
optional opening stock for the importing staff's store (the merchant's first store for an
owner). The natural key is the SKU: a SKU imported before is skipped, so a file sent again
never doubles opening stock; change prices later with POST /api/v1/products or the editor.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from core.imports import CellError, Column, ImportKind, RowProblem, message
from core.imports.kinds import as_text, choice, text, whole, yuan

from .catalogue import save_products, split_path
from .common import PLUGIN_ID
from .stock import first_store_id, move

KIND = "goods_catalogue"
_SKU = re.compile(r"^[0-9A-Za-z_.\-]{1,60}\Z")
_BARCODE = re.compile(r"^[0-9A-Za-z\-]{1,32}\Z")
_PAIR = re.compile(r"^\s*(\S+?)\s*[:：=]?\s*[¥￥]?\s*([0-9]+(?:\.[0-9]{1,2})?)\s*元?\s*$")
YES_NO = {"是": True, "否": False, "yes": True, "no": False, "y": True, "n": False, "1": True,
          "0": False, "true": True, "false": False, "√": True, "×": False}


def sku(value) -> str:
    result = as_text(value)
    if not _SKU.match(result):
        raise CellError("商品编码为 1 到 60 位字母、数字或 _ . -", "1 to 60 letters, digits, _ . -")
    return result


def barcode(value) -> str:
    result = as_text(value)
    if not _BARCODE.match(result):
        raise CellError("条码为 1 到 32 位数字或字母", "1 to 32 digits or letters")
    return result


def category_path(value) -> str:
    result = as_text(value).replace("＞", "/").replace(">", "/").replace("／", "/")
    names = split_path(result)
    if names is None:
        raise CellError("分类最多三级，用 / 分隔，如 食品/乳品/奶粉",
                        "at most three levels split by /, e.g. 食品/乳品/奶粉")
    return "/".join(names)


def member_prices(value) -> dict:
    """"黄金卡 85.00；钻石卡 80" (tier names or keys, yuan) -> {"黄金卡": 8500, "钻石卡": 8000}."""
    prices = {}
    for part in re.split(r"[;；,，\n]+", as_text(value)):
        if not part.strip():
            continue
        found = _PAIR.match(part)
        if found is None:
            raise CellError("会员价写作 等级 价格，多个用分号隔开，如 黄金卡 85.00；钻石卡 80",
                            "tier and price, separated by semicolons: 黄金卡 85.00; 钻石卡 80")
        prices[found.group(1)] = int(Decimal(found.group(2)) * 100)
    return prices


def points_rule(value) -> int:
    """正常/是 -> 1000, 不积分/否 -> 0, 2倍/双倍/2 -> 2000, 1.5倍 -> 1500 (permille)."""
    raw = as_text(value).replace(" ", "")
    named = {"正常": 1000, "是": 1000, "积分": 1000, "否": 0, "不积分": 0, "无": 0, "双倍": 2000}
    if raw in named:
        return named[raw]
    try:
        times = Decimal(raw.removesuffix("倍"))
    except InvalidOperation:
        times = None
    if times is None or not times.is_finite() or not 0 <= times <= 10 or (times * 1000) % 1:
        raise CellError("积分规则：正常、不积分，或倍数如 2倍", "正常 (normal), 不积分 (none) or a multiple: 2倍")
    return int(times * 1000)


COLUMNS = (
    Column("sku", message("商品编码", "SKU"), sku, required=True, example="MILK-1L",
           hint=message("本店唯一，字母数字", "unique in the shop")),
    Column("name", message("商品名称", "Name"), text(120), required=True, example="纯牛奶 1L"),
    Column("price_fen", message("售价(元)", "Price (yuan)"), yuan, required=True, example="12.00"),
    Column("barcode", message("条码", "Barcode"), barcode, example="6901234500011"),
    Column("category", message("分类", "Category"), category_path, example="食品/乳品",
           hint=message("最多三级，用 / 分隔", "up to three levels, split by /")),
    Column("unit", message("单位", "Unit"), text(10), example="盒"),
    Column("member_prices", message("会员价(元)", "Member prices (yuan)"), member_prices,
           example="黄金卡 10.50；钻石卡 9.90",
           hint=message("等级名称 价格，多个用分号隔开", "tier name and price; several split by ;")),
    Column("special_price", message("特价", "Special price"),
           choice({key: "1" if flag else "0" for key, flag in YES_NO.items()}, "填 是 或 否", "yes or no"),
           example="否", hint=message("特价商品不打折也不享会员价，照常积分", "no discount or member price; earns points")),
    Column("points_permille", message("积分规则", "Points rule"), points_rule, example="正常",
           hint=message("正常、不积分，或 2倍", "正常, 不积分, or 2倍")),
    Column("favourite", message("常用", "Favourite"),
           choice({key: "1" if flag else "0" for key, flag in YES_NO.items()}, "填 是 或 否", "yes or no"),
           example="是", hint=message("是：显示在收银台的常用商品", "yes: on the till's favourites")),
    Column("low_stock_threshold", message("库存预警", "Low-stock threshold"), whole(0, 1_000_000),
           example="5"),
    Column("opening_stock", message("期初库存", "Opening stock"), whole(0, 1_000_000), example="50",
           hint=message("导入人所在门店的库存", "stock in the importing staff's store")),
)


def _tier_keys(config) -> dict[str, str]:
    """Tier key, and its Chinese and English names -> key."""
    names = {}
    for tier in config.tiers:
        names[tier["key"]] = tier["key"]
        for label in (tier.get("name") or {}).values():
            names.setdefault(label, tier["key"])
    return names


def check(context, rows) -> list[RowProblem]:
    tiers = _tier_keys(context.config)
    problems, barcodes = [], {}
    for row in rows:
        values = row.values
        resolved = {}
        for name, fen in (values.get("member_prices") or {}).items():
            if name not in tiers:
                problems.append(RowProblem(row.number, "member_prices", message(
                    f"没有叫 {name} 的会员等级", f"no tier called {name}")))
            elif fen > values["price_fen"]:
                problems.append(RowProblem(row.number, "member_prices", message(
                    f"{name} 的会员价高于售价", f"the {name} price is above the list price")))
            else:
                resolved[tiers[name]] = fen
        values["_member_prices"] = resolved
        code = values.get("barcode")
        if code:
            if code in barcodes:
                problems.append(RowProblem(row.number, "barcode", message(
                    f"条码与第 {barcodes[code]} 行重复", f"the same barcode as row {barcodes[code]}")))
            barcodes.setdefault(code, row.number)
    taken = _taken_barcodes(context, list(barcodes))
    for row in rows:
        code = row.values.get("barcode")
        if code and taken.get(code, row.values["sku"]) != row.values["sku"]:
            problems.append(RowProblem(row.number, "barcode", message(
                f"条码已用于商品 {taken[code]}", f"the barcode belongs to SKU {taken[code]}")))
    return problems


def _taken_barcodes(context, codes: list[str]) -> dict[str, str]:
    from sqlalchemy import select

    from .models import Product

    if not codes:
        return {}
    return dict(context.session.execute(select(Product.barcode, Product.sku).where(
        Product.merchant_id == context.merchant_id, Product.barcode.in_(codes))).all())


def post(context, rows) -> dict:
    items = []
    for row in rows:
        values = row.values
        item = {"sku": values["sku"], "name": values["name"], "price_fen": values["price_fen"],
                "member_prices": values["_member_prices"]}
        for key in ("barcode", "category", "unit", "low_stock_threshold", "points_permille"):
            if values.get(key) is not None:
                item[key] = values[key]
        for key in ("special_price", "favourite"):
            if values.get(key) is not None:
                item[key] = values[key] == "1"
        items.append(item)
    products = save_products(context.session, context.config, context.merchant_id, items,
                             context.now, pointer="/rows")
    store_id = context.store_id or first_store_id(context.session, context.merchant_id)
    opening = [] if store_id is None else [{"store_id": store_id, "product_id": product.id, "kind": "receive",
                "quantity": row.values["opening_stock"], "staff_id": context.staff_id,
                "note": f"期初库存（导入批次 {context.batch_id}）"}
               for product, row in zip(products, rows) if row.values.get("opening_stock")]
    move(context.session, context.merchant_id, opening, context.now)
    return {"products": len(products), "stock_rows": len(opening)}


def import_kinds() -> list[ImportKind]:
    return [ImportKind(
        KIND, message("商品目录", "Goods catalogue"), COLUMNS,
        natural_key=lambda values: values["sku"], check=check, post=post, plugin=PLUGIN_ID,
        description=message("商品、分类、售价、会员价、特价、积分规则和期初库存，每行一个商品。",
                            "Products with category, price, member prices, special price, points "
                            "rule and opening stock, one per row."))]
