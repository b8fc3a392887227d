"""The catalogue from Excel (G1): dry run names every bad cell and changes nothing; the real
run saves the products with categories, member prices and opening stock; a SKU imported
before is skipped, so opening stock is never doubled; the template imports as it is."""
from __future__ import annotations

from tests.imports.helpers import post_file, xlsx_bytes

HEADER = ["商品编码*", "商品名称*", "售价(元)*", "条码", "分类", "单位", "会员价(元)", "特价", "积分规则",
          "常用", "库存预警", "期初库存"]
GOOD = [
    ["MILK-1L", "纯牛奶 1L", 12, "6901234500011", "食品/乳品", "盒", "金卡 10.50", "否", "正常", "是", 5, 40],
    ["RICE-5KG", "东北大米 5kg", "49.90", "6901234500042", "食品/粮油", "袋", None, "是", None, None, None, 10],
    ["WATER", "矿泉水", 2, None, "食品/饮料", "瓶", None, None, "不积分", "是", None, None],
    ["SOAP", "香皂", "5.5", None, None, None, "silver:5；金卡 4.80", None, "2倍", None, None, 3],
]


def test_dry_run_then_real_run_then_skip(client, hk, shop):
    bad = xlsx_bytes(HEADER, [
        GOOD[0],
        ["BAD SKU", "x", 1, None, None, None, None, None, None, None, None, None],
        ["P2", "价格", "1.234", None, None, None, None, None, None, None, None, None],
        ["P3", "会员价", 10, None, None, None, "铂金卡 5", None, None, None, None, None],
        ["P4", "条码重复", 10, "6901234500011", None, None, None, None, None, None, None, None],
        ["P5", "分类太深", 10, None, "a/b/c/d", None, None, "也许", "3.3333倍", None, None, None],
    ])
    dry = post_file(client, shop.merchant, "goods_catalogue", bad, dry_run=True, name="goods.xlsx")
    assert dry.status_code == 200, dry.json
    assert {(p["row"], p["column"]) for p in dry.json["problems"]} == {
        (3, "sku"), (4, "price_fen"), (5, "member_prices"), (6, "barcode"), (7, "category"),
        (7, "special_price"), (7, "points_permille")}
    assert shop.search("limit=200") == []
    refused = post_file(client, shop.merchant, "goods_catalogue", bad, name="goods.xlsx")
    assert refused.status_code == 422 and shop.search("limit=200") == []

    good = xlsx_bytes(HEADER, GOOD)
    assert post_file(client, shop.merchant, "goods_catalogue", good, dry_run=True).json["rows_valid"] == 4
    done = post_file(client, shop.merchant, "goods_catalogue", good, name="goods.xlsx")
    assert done.status_code == 201, done.json
    products = {p["sku"]: p for p in shop.get("/products?limit=200").json["products"]}
    assert set(products) == {"MILK-1L", "RICE-5KG", "WATER", "SOAP"}
    milk, rice, water, soap = (products[k] for k in ("MILK-1L", "RICE-5KG", "WATER", "SOAP"))
    assert (milk["price_fen"], milk["member_prices"], milk["category"], milk["favourite"],
            milk["low_stock_threshold"], milk["stock"]) == (1200, {"gold": 1050}, "食品/乳品", True, 5, 40)
    assert rice["special_price"] and rice["price_fen"] == 4990 and rice["stock"] == 10
    assert water["points_permille"] == 0 and water["barcode"] is None and water["stock"] == 0
    assert soap["member_prices"] == {"silver": 500, "gold": 480} and soap["points_permille"] == 2000
    again = xlsx_bytes(HEADER, [GOOD[0], ["NEW", "新品", 3, None, None, None, None, None, None, None, None, 7]])
    second = post_file(client, shop.merchant, "goods_catalogue", again, name="more.xlsx")
    assert second.status_code == 201 and second.json["rows_skipped"] == 1
    assert shop.stock("MILK-1L") == 40 and shop.stock("NEW") == 7  # never doubled
    shop.verify()


def test_the_template_imports_as_it_is(client, hk, shop):
    template = client.get("/api/v1/imports/templates/goods_catalogue.xlsx", headers=shop.headers())
    assert template.status_code == 200 and template.data[:2] == b"PK"
    response = post_file(client, shop.merchant, "goods_catalogue", template.data, name="t.xlsx",
                         dry_run=True)
    assert response.status_code == 200 and response.json["problems"] == []
