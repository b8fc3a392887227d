"""The goods plugin's API operations (served under /api/v1 by the web layer, tag ``goods``).

Bodies are checked against the documented schemas first (a 422 names each JSON pointer and
nothing changes), then against the merchant's data (tiers, categories, barcodes taken).
Reading the catalogue is for every role (the till searches it); changing the catalogue and
recording stock by hand is for owners and managers.
"""
from __future__ import annotations

from core.errors import Forbidden, Invalid, problem
from core.operations import ApiOperation, OperationContext

from . import catalogue, stock
from .common import MAX_PAGE, PLUGIN_ID

MANAGERS = frozenset({"owner", "manager"})
TAG = "goods"
SKU = {"type": "string", "pattern": r"^[0-9A-Za-z_.\-]{1,60}$",
       "description": "the product's own code, unique per merchant: 1 to 60 letters, digits, _ . -"}
BARCODE = {"type": ["string", "null"], "pattern": r"^[0-9A-Za-z\-]{0,32}$",
           "description": "EAN-13 or any code a scanner reads, unique per merchant; \"\" or null: none"}
FEN = {"type": "integer", "minimum": 0, "maximum": 100_000_000, "x-unit": "fen"}

CATEGORY_INPUT = {
    "type": "object", "additionalProperties": False,
    "description": "Either a path (\"食品/乳品/奶粉\": missing levels are created) or a name with an "
                   "optional parent_id. A category that exists is found, not doubled.",
    "properties": {
        "path": {"type": "string", "minLength": 1, "maxLength": 130},
        "name": {"type": "string", "minLength": 1, "maxLength": 40},
        "parent_id": {"type": ["integer", "null"], "minimum": 1},
        "code": {"type": "string", "pattern": r"^[0-9A-Za-z_.\-]{0,40}$",
                 "description": "what checkout lines carry as their category (other plugins match "
                                "on it); the name when empty"},
        "position": {"type": "integer", "minimum": 0, "maximum": 100000},
    },
}
CATEGORIES_INPUT = {"type": "object", "required": ["categories"], "additionalProperties": False,
                    "properties": {"categories": {"type": "array", "minItems": 1, "maxItems": 500,
                                                  "items": CATEGORY_INPUT}}}
CATEGORY = {"type": "object", "required": ["id", "name", "code", "parent_id", "level", "path"],
            "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                           "code": {"type": "string"}, "parent_id": {"type": ["integer", "null"]},
                           "level": {"type": "integer", "minimum": 1, "maximum": 3},
                           "path": {"type": "string"}, "position": {"type": "integer"}}}
CATEGORIES = {"type": "object", "required": ["categories"],
              "properties": {"categories": {"type": "array", "items": CATEGORY}}}

PRODUCT_INPUT = {
    "type": "object", "required": ["sku"], "additionalProperties": False,
    "description": "Saved by SKU: a new SKU needs name and price_fen; a known SKU is updated "
                   "with the fields given, the others kept.",
    "properties": {
        "sku": SKU, "barcode": BARCODE,
        "name": {"type": "string", "minLength": 1, "maxLength": 120},
        "unit": {"type": "string", "minLength": 1, "maxLength": 10, "description": "件, 瓶, 盒, kg …"},
        "category_id": {"type": ["integer", "null"], "minimum": 1},
        "category": {"type": "string", "minLength": 1, "maxLength": 130,
                     "description": "or a category path, created if missing: 食品/乳品"},
        "price_fen": {**FEN, "description": "list price per unit"},
        "member_prices": {"type": "object", "maxProperties": 50,
                          "additionalProperties": {**FEN, "description": "member price per unit"},
                          "description": "tier key -> member price in fen; replaces the tier "
                                         "discount for that tier (C2)"},
        "special_price": {"type": "boolean", "description": "特价: no member price, no discount, "
                                                            "no promotion, still earns points (C2, P2)"},
        "points_permille": {"type": "integer", "minimum": 0, "maximum": 10000,
                            "description": "share of the paid amount that earns points: 1000 "
                                           "normal, 0 none, 2000 double"},
        "favourite": {"type": "boolean", "description": "on the till's grid of favourites"},
        "low_stock_threshold": {"type": ["integer", "null"], "minimum": 0, "maximum": 1000000,
                                "description": "low stock at or below this; null: the setting"},
        "active": {"type": "boolean", "description": "false: hidden from the till, kept in history"},
    },
}
PRODUCTS_INPUT = {"type": "object", "required": ["products"], "additionalProperties": False,
                  "properties": {"products": {"type": "array", "minItems": 1, "maxItems": 1000,
                                              "items": PRODUCT_INPUT}}}
PRODUCT = {
    "type": "object",
    "required": ["id", "sku", "barcode", "name", "unit", "category_id", "price_fen",
                 "member_prices", "special_price", "points_permille", "favourite", "active"],
    "properties": {
        "id": {"type": "integer"}, "sku": {"type": "string"},
        "barcode": {"type": ["string", "null"]}, "name": {"type": "string"},
        "initials": {"type": "string", "description": "pinyin initials, searched by q"},
        "unit": {"type": "string"}, "category_id": {"type": ["integer", "null"]},
        "category": {"type": "string", "description": "the category path, \"\" without one"},
        "price_fen": {"type": "integer"},
        "member_prices": {"type": "object", "additionalProperties": {"type": "integer"}},
        "special_price": {"type": "boolean"}, "points_permille": {"type": "integer"},
        "favourite": {"type": "boolean"}, "low_stock_threshold": {"type": ["integer", "null"]},
        "active": {"type": "boolean"},
        "stock": {"type": ["integer", "null"],
                  "description": "in the caller's store; null for a caller without a store"},
    },
}
PRODUCTS = {"type": "object", "required": ["products"],
            "properties": {"products": {"type": "array", "items": PRODUCT}}}
PRODUCT_DETAIL = {**PRODUCT, "required": [*PRODUCT["required"], "stock_by_store"],
                  "properties": {**PRODUCT["properties"], "stock_by_store": {
                      "type": "object", "additionalProperties": {"type": "integer"},
                      "description": "store id -> units in stock"}}}

MOVEMENT_INPUT = {
    "type": "object", "required": ["kind"], "additionalProperties": False,
    "properties": {
        "kind": {"enum": list(stock.HAND_KINDS),
                 "description": "receive (入库), transfer (调拨, to_store_id), adjust (a signed "
                                "correction), stocktake (盘点: counted, the difference is recorded)"},
        "product_id": {"type": "integer", "minimum": 1}, "sku": SKU,
        "store_id": {"type": "integer", "minimum": 1, "description": "default: the caller's store"},
        "to_store_id": {"type": "integer", "minimum": 1, "description": "transfer: the receiving store"},
        "quantity": {"type": "integer", "minimum": -1000000, "maximum": 1000000},
        "counted": {"type": "integer", "minimum": 0, "maximum": 1000000},
        "reference": {"type": "string", "minLength": 1, "maxLength": 40,
                      "description": "e.g. the delivery note: the same reference twice is refused"},
        "note": {"type": "string", "maxLength": 200},
    },
}
MOVEMENTS_INPUT = {"type": "object", "required": ["movements"], "additionalProperties": False,
                   "properties": {"movements": {"type": "array", "minItems": 1, "maxItems": 500,
                                                "items": MOVEMENT_INPUT}}}
MOVEMENT = {"type": "object", "required": ["store_id", "product_id", "kind", "quantity"],
            "properties": {"id": {"type": "integer"}, "store_id": {"type": "integer"},
                           "product_id": {"type": "integer"},
                           "kind": {"enum": ["receive", "sale", "return", "transfer_out",
                                             "transfer_in", "adjust"]},
                           "quantity": {"type": "integer", "description": "+ in, - out"},
                           "checkout_id": {"type": ["integer", "null"]},
                           "line_no": {"type": ["integer", "null"]}, "note": {"type": "string"},
                           "created_at": {"type": "string"}}}
MOVEMENTS = {"type": "object", "required": ["movements"],
             "properties": {"movements": {"type": "array", "items": MOVEMENT}}}
LEVEL = {"type": "object", "required": ["product_id", "sku", "name", "store_id", "quantity"],
         "properties": {"product_id": {"type": "integer"}, "sku": {"type": "string"},
                        "name": {"type": "string"}, "unit": {"type": "string"},
                        "store_id": {"type": "integer"}, "quantity": {"type": "integer"},
                        "low_stock_threshold": {"type": "integer"}}}
LEVELS = {"type": "object", "required": ["stock"],
          "properties": {"stock": {"type": "array", "items": LEVEL}}}

PAGE_QUERY = [("limit", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "at most this many (50)"),
              ("offset", {"type": "integer", "minimum": 0}, "skip this many")]
ID_QUERY = {"type": "integer", "minimum": 1}


# -- query strings -----------------------------------------------------------------------------

def _int(query: dict, name: str, default: int | None, minimum: int, maximum: int) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not minimum <= int(raw) <= maximum:
        raise Invalid(f"{name} is a whole number from {minimum} to {maximum}",
                      details=[problem(f"/{name}", f"a whole number from {minimum} to {maximum}")])
    return int(raw)


def _flag(query: dict, name: str) -> bool | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    if raw not in ("true", "false", "1", "0"):
        raise Invalid(f"{name} is true or false", details=[problem(f"/{name}", "true or false")])
    return raw in ("true", "1")


def _text(query: dict, name: str, maximum: int) -> str:
    raw = (query.get(name) or "").strip()
    if len(raw) > maximum:
        raise Invalid(f"{name} is at most {maximum} characters",
                      details=[problem(f"/{name}", f"at most {maximum} characters")])
    return raw


def _tied_store(context: OperationContext) -> int | None:
    """The store a manager or cashier works in; None for the owner, who sees every store (A1)."""
    return context.store_id if context.role != "owner" else None


def _own_store(context: OperationContext, store_id: int | None) -> int | None:
    """A manager or cashier sees that store's stock only; the owner any store, or all (A1)."""
    tied = _tied_store(context)
    if tied is not None and store_id not in (None, tied):
        raise Forbidden("you can only see your own store's stock",
                        details=[problem("/store", "your own store")])
    if store_id is not None and store_id not in stock.store_ids(context.session, context.merchant_id):
        raise Invalid("the store is not one of this merchant's",
                      details=[problem("/store", "a store of this merchant")])
    return store_id if store_id is not None else tied


# -- handlers ----------------------------------------------------------------------------------

def list_categories(context: OperationContext) -> dict:
    return {"categories": catalogue.list_categories(context.session, context.merchant_id)}


def save_categories(context: OperationContext) -> dict:
    return {"categories": catalogue.save_categories(context.session, context.merchant_id,
                                                    context.body["categories"], context.now)}


def list_products(context: OperationContext) -> dict:
    query = context.query
    found = catalogue.search(
        context.session, context.merchant_id, q=_text(query, "q", 60),
        code=_text(query, "barcode", 60), category_id=_int(query, "category", None, 1, 2**62),
        favourite=_flag(query, "favourite"),
        include_inactive=bool(_flag(query, "include_inactive")),
        limit=_int(query, "limit", 50, 1, MAX_PAGE), offset=_int(query, "offset", 0, 0, 10**9))
    return {"products": catalogue.products_json(context.session, context.merchant_id, found,
                                                context.store_id)}


def save_products(context: OperationContext) -> dict:
    saved = catalogue.save_products(context.session, context.config, context.merchant_id,
                                    context.body["products"], context.now)
    return {"products": catalogue.products_json(context.session, context.merchant_id, saved,
                                                context.store_id)}


def get_product(context: OperationContext) -> dict:
    product = catalogue.get_product(context.session, context.merchant_id, context.params["product_id"])
    shown = catalogue.products_json(context.session, context.merchant_id, [product], context.store_id)[0]
    by_store = {str(row["store_id"]): row["quantity"]
                for row in stock.levels(context.session, context.merchant_id,
                                        store_id=_tied_store(context))
                if row["product_id"] == product.id}
    return {**shown, "stock_by_store": by_store}


def stock_levels(context: OperationContext) -> dict:
    store_id = _own_store(context, _int(context.query, "store", None, 1, 2**62))
    low = bool(_flag(context.query, "low"))
    threshold = context.config.settings_for(PLUGIN_ID)["default_low_stock_threshold"]
    return {"stock": stock.levels(context.session, context.merchant_id, store_id=store_id,
                                  low_only=low, default_threshold=threshold)}


def low_stock(context: OperationContext) -> dict:
    store_id = _own_store(context, _int(context.query, "store", None, 1, 2**62))
    threshold = context.config.settings_for(PLUGIN_ID)["default_low_stock_threshold"]
    return {"stock": stock.levels(context.session, context.merchant_id, store_id=store_id,
                                  low_only=True, default_threshold=threshold)}


def record_movements(context: OperationContext) -> dict:
    items = context.body["movements"]
    tied = _tied_store(context)
    for index, item in enumerate(items):
        if tied is not None and item.get("store_id", tied) != tied:
            raise Forbidden("you can only move your own store's stock",
                            details=[problem(f"/movements/{index}/store_id", "your own store")])
    return {"movements": stock.record_by_hand(context.session, context.merchant_id, items,
                                              store_id=context.store_id, staff_id=context.staff_id,
                                              now=context.now)}


def list_movements(context: OperationContext) -> dict:
    store_id = _own_store(context, _int(context.query, "store", None, 1, 2**62))
    return {"movements": stock.movements(
        context.session, context.merchant_id,
        product_id=_int(context.query, "product_id", None, 1, 2**62), store_id=store_id,
        limit=_int(context.query, "limit", 50, 1, MAX_PAGE),
        offset=_int(context.query, "offset", 0, 0, 10**9))}


def operations() -> list[ApiOperation]:
    invalid = {422: "Not valid (each problem named by JSON pointer); nothing was saved"}
    return [
        ApiOperation("/categories", "GET", "listGoodsCategories",
                     "The goods categories, three levels (G1)", list_categories, tag=TAG,
                     response_schema=CATEGORIES, read_only=True),
        ApiOperation("/categories", "POST", "saveGoodsCategories",
                     "Create categories by name or path; existing ones are found (G1)",
                     save_categories, tag=TAG, roles=MANAGERS, request_schema=CATEGORIES_INPUT,
                     response_schema=CATEGORIES, errors=invalid, audit="goods.categories"),
        ApiOperation("/products", "GET", "listProducts",
                     "Search the catalogue: name, pinyin initials, barcode or SKU (G1)",
                     list_products, tag=TAG, response_schema=PRODUCTS, read_only=True,
                     query=[("q", {"type": "string", "maxLength": 60},
                             "name substring, pinyin initials (nnf: 牛奶粉), exact barcode or SKU"),
                            ("barcode", {"type": "string", "maxLength": 60},
                             "exact barcode or SKU only (a scan)"),
                            ("category", ID_QUERY, "this category and those below it"),
                            ("favourite", {"type": "boolean"}, "only favourites (the till's grid)"),
                            ("include_inactive", {"type": "boolean"}, "also inactive products"),
                            *PAGE_QUERY]),
        ApiOperation("/products", "POST", "saveProducts",
                     "Create or update products by SKU (G1)", save_products, tag=TAG,
                     roles=MANAGERS, request_schema=PRODUCTS_INPUT, response_schema=PRODUCTS,
                     errors=invalid, audit="goods.products"),
        ApiOperation("/products/<int:product_id>", "GET", "getProduct",
                     "A product with its stock per store", get_product, tag=TAG,
                     response_schema=PRODUCT_DETAIL, read_only=True,
                     errors={404: "No such product for this merchant"}),
        ApiOperation("/stock", "GET", "listStock", "Stock per product and store (G1)",
                     stock_levels, tag=TAG, response_schema=LEVELS, read_only=True,
                     query=[("store", ID_QUERY, "one store (a store's staff: their own)"),
                            ("low", {"type": "boolean"}, "only products at or below their threshold")]),
        ApiOperation("/stock/low", "GET", "listLowStock",
                     "Products at or below their low-stock threshold (G1)", low_stock, tag=TAG,
                     response_schema=LEVELS, read_only=True,
                     query=[("store", ID_QUERY, "one store (a store's staff: their own)")]),
        ApiOperation("/stock/movements", "POST", "recordStockMovements",
                     "Receive, transfer, adjust or count stock (appended, never edited)",
                     record_movements, tag=TAG, status=201, roles=MANAGERS,
                     request_schema=MOVEMENTS_INPUT, response_schema=MOVEMENTS, idempotent=True,
                     errors={**invalid, 409: "The same reference was recorded before"},
                     audit="goods.stock"),
        ApiOperation("/stock/movements", "GET", "listStockMovements",
                     "Stock movements, newest first", list_movements, tag=TAG,
                     response_schema=MOVEMENTS, read_only=True,
                     query=[("product_id", ID_QUERY, "one product"),
                            ("store", ID_QUERY, "one store (a store's staff: their own)"),
                            *PAGE_QUERY]),
    ]
