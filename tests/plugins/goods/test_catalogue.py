"""Categories and products over the API (G1): save by path or parent, upsert by SKU, search by
name, pinyin initials and barcode; every bad input is a 422 naming the field, nothing saved."""
from __future__ import annotations

from .conftest import CATALOGUE


def test_categories_by_path_and_by_parent_three_levels_at_most(shop):
    saved = shop.post("/categories", {"categories": [{"path": "食品/乳品/奶粉"}, {"path": "食品/粮油"}]},
                      idempotent=False)
    assert saved.status_code == 200, saved.json
    milk_powder, grain = saved.json["categories"]
    assert (milk_powder["level"], milk_powder["path"], grain["path"]) == (3, "食品/乳品/奶粉", "食品/粮油")
    again = shop.post("/categories", {"categories": [{"name": "乳品", "parent_id": grain["parent_id"],
                                                      "code": "dairy"}]}, idempotent=False)
    assert again.json["categories"][0]["code"] == "dairy"  # found, not doubled
    listed = shop.get("/categories", role="cashier").json["categories"]
    assert [c["path"] for c in listed] == ["食品", "食品/乳品", "食品/粮油", "食品/乳品/奶粉"]
    too_deep = shop.post("/categories", {"categories": [{"name": "四级", "parent_id": milk_powder["id"]}]},
                         idempotent=False)
    assert too_deep.status_code == 422
    assert too_deep.json["error"]["details"][0]["pointer"] == "/categories/0/parent_id"
    bad_path = shop.post("/categories", {"categories": [{"path": "a/b/c/d"}, {"path": "x//y"}]},
                         idempotent=False)
    assert [d["pointer"] for d in bad_path.json["error"]["details"]] == ["/categories/0/path",
                                                                         "/categories/1/path"]
    assert len(shop.get("/categories").json["categories"]) == 4
    assert shop.post("/categories", {"categories": [{"path": "x"}]}, role="cashier",
                     idempotent=False).status_code == 403


def test_products_are_saved_by_sku_and_updated_in_place(shop):
    products = shop.products()
    milk = products["MILK-POWDER"]
    assert milk["category"] == "食品/乳品/奶粉" and milk["initials"] == "nnf"
    assert milk["member_prices"] == {"gold": 8500} and milk["stock"] == 0
    updated = shop.products([{"sku": "MILK-POWDER", "price_fen": 9900}])["MILK-POWDER"]
    assert (updated["id"], updated["price_fen"], updated["name"], updated["member_prices"]) == \
        (milk["id"], 9900, "牛奶粉", {"gold": 8500})
    assert len(shop.search("limit=200")) == len(CATALOGUE)


def test_product_errors_name_the_field_and_save_nothing(shop):
    shop.products()
    response = shop.post("/products", {"products": [
        {"sku": "NEW", "name": "新品"},  # no price
        {"sku": "B2", "name": "条码重复", "price_fen": 100, "barcode": "6900000000011"},
        {"sku": "B3", "name": "会员价", "price_fen": 100, "member_prices": {"platinum": 90}},
        {"sku": "B4", "name": "会员价太高", "price_fen": 100, "member_prices": {"gold": 101}},
        {"sku": "B5", "name": "分类", "price_fen": 100, "category_id": 999999},
    ]}, idempotent=False)
    assert response.status_code == 422
    assert [d["pointer"] for d in response.json["error"]["details"]] == [
        "/products/0/price_fen", "/products/1/barcode", "/products/2/member_prices/platinum",
        "/products/3/member_prices/gold", "/products/4/category_id"]
    shape = shop.post("/products", {"products": [{"sku": "有空格 ", "price_fen": 1.5}]}, idempotent=False)
    assert shape.status_code == 422
    assert {d["pointer"] for d in shape.json["error"]["details"]} == {"/products/0/sku",
                                                                     "/products/0/price_fen"}
    assert len(shop.search("limit=200")) == len(CATALOGUE)
    assert shop.post("/products", {"products": [{"sku": "X", "name": "x", "price_fen": 1}]},
                     role="cashier", idempotent=False).status_code == 403


def test_search_by_name_pinyin_initials_barcode_and_category(shop):
    products = shop.products()
    assert shop.search("q=nnf") == ["MILK-POWDER"]
    assert shop.search("q=NN") == ["MILK-POWDER"]  # initials prefix, any case
    assert set(shop.search("q=n")) >= {"MILK-POWDER", "YOGURT"}  # 老酸奶: lsn contains n
    assert shop.search("q=奶") == ["YOGURT", "MILK-POWDER"]  # pinyin order: lsn, nnf
    assert shop.search("q=6900000000028") == ["YOGURT"]
    assert shop.search("barcode=6900000000035") == ["RICE-5KG"]
    assert shop.search("barcode=TISSUE") == ["TISSUE"]  # a SKU scans too
    assert shop.search("barcode=69000") == []  # a scan is exact
    assert shop.search("q=%25") == [] and shop.search("q=_") == []  # LIKE wildcards are literal
    dairy = products["YOGURT"]["category_id"]
    assert shop.search(f"category={dairy}") == ["YOGURT", "MILK-POWDER"]  # and the level below
    assert shop.search("favourite=true") == ["TISSUE"]
    shop.products([{"sku": "TISSUE", "active": False}])
    assert shop.search("q=cz") == [] and shop.search("q=cz&include_inactive=true") == ["TISSUE"]
    assert shop.get("/products?limit=0").status_code == 422
    assert shop.get("/products?q=" + "x" * 61).status_code == 422
    detail = shop.get(f"/products/{products['YOGURT']['id']}").json
    assert detail["stock_by_store"] == {str(shop.merchant.store_ids[0]): 0}
    assert shop.get("/products/999999").status_code == 404


def test_names_and_paths_that_cannot_be_stored_are_refused(shop):
    response = shop.post("/products", {"products": [
        {"sku": "A1", "name": "  ", "price_fen": 100},
        {"sku": "A2", "name": "换\n行", "price_fen": 100},
        {"sku": "A3", "name": "四级", "price_fen": 100, "category": "a/b/c/d"},
        {"sku": "A4", "name": "长", "price_fen": 100, "category": "食品/" + "长" * 41},
        {"sku": "A5", "name": "单位", "price_fen": 100, "unit": "\u200b"}]}, idempotent=False)
    assert response.status_code == 422
    assert [d["pointer"] for d in response.json["error"]["details"]] == [
        "/products/0/name", "/products/1/name", "/products/2/category", "/products/3/category",
        "/products/4/unit"]
    names = shop.post("/categories", {"categories": [{"name": "a/b"}, {"name": " "}]}, idempotent=False)
    assert [d["pointer"] for d in names.json["error"]["details"]] == ["/categories/0/name",
                                                                      "/categories/1/name"]
    assert shop.get("/categories").json["categories"] == [] and shop.search("limit=200") == []
