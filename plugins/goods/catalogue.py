"""Categories (three levels) and products (G1): save, read, search.

A product is saved by SKU: posting a SKU that exists updates that product with the fields
given and keeps the others (an upsert), so the same list can be posted again, by the API or
the Excel import. Member prices are whole fen per tier key of the merchant's tiers; a
special-price product (特价, C2) gets neither member price nor discount but still earns
points (P2); ``points_permille`` is the share of the paid amount that earns points
(1000 normal, 0 none, 2000 double).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from core.errors import Invalid, NotFound, problem
from core.merchant_config import MerchantConfig
from core.text import name_problem

from .common import MAX_LEVELS, like_escape, pinyin_initials
from .models import Category, Product, StockLevel

PRODUCT_FIELDS = ("barcode", "name", "unit", "price_fen", "member_prices", "special_price",
                  "points_permille", "favourite", "low_stock_threshold", "active")


# -- categories ------------------------------------------------------------------------------

PATH_RULE = "1 to 3 names of at most 40 characters, split by /: 食品/乳品/奶粉"


def split_path(path: str) -> list[str] | None:
    """"食品/乳品/奶粉" -> its names, or None when it is no usable category path."""
    names = [part.strip() for part in path.split("/")]
    if not 1 <= len(names) <= MAX_LEVELS or any(not name or len(name) > 40 or name_problem(name)
                                                   for name in names):
        return None
    return names


def categories(session: Session, merchant_id: int) -> list[Category]:
    return list(session.scalars(select(Category).where(Category.merchant_id == merchant_id)
                                .order_by(Category.level, Category.position, Category.id)))


def category_paths(rows: list[Category]) -> dict[int, list[str]]:
    """Category id -> its names from the top level down."""
    paths: dict[int, list[str]] = {}
    for row in sorted(rows, key=lambda r: r.level):
        paths[row.id] = [*paths.get(row.parent_id, []), row.name]
    return paths


def category_json(row: Category, paths: dict[int, list[str]]) -> dict:
    return {"id": row.id, "name": row.name, "code": row.code, "parent_id": row.parent_id,
            "level": row.level, "path": "/".join(paths.get(row.id, [row.name])),
            "position": row.position}


def list_categories(session: Session, merchant_id: int) -> list[dict]:
    rows = categories(session, merchant_id)
    paths = category_paths(rows)
    return [category_json(row, paths) for row in rows]


def save_categories(session: Session, merchant_id: int, items: list[dict], now: datetime) -> list[dict]:
    """Create each category (by ``parent_id`` and ``name``, or by ``path`` "食品/乳品/奶粉",
    creating missing levels); one that exists is found, its code and position updated."""
    rows = categories(session, merchant_id)
    problems, saved = [], []
    for index, item in enumerate(items):
        at = f"/categories/{index}"
        names = None
        if "path" in item:
            if "parent_id" in item or "name" in item:
                problems.append(problem(f"{at}/path", "either a path or a name (with parent_id)"))
                continue
            names = split_path(item["path"])
            if names is None:
                problems.append(problem(f"{at}/path", PATH_RULE))
                continue
        else:
            if "name" not in item:
                problems.append(problem(f"{at}/name", "required (or give a path)"))
                continue
            if "/" in item["name"] or split_path(item["name"]) is None:
                problems.append(problem(f"{at}/name", "a name of 1 to 40 characters, without /"))
                continue
            parent = None
            if item.get("parent_id") is not None:
                parent = next((row for row in rows if row.id == item["parent_id"]), None)
                if parent is None:
                    problems.append(problem(f"{at}/parent_id", "no such category"))
                    continue
                if parent.level >= MAX_LEVELS:
                    problems.append(problem(f"{at}/parent_id", "categories have at most 3 levels"))
                    continue
        if names is None:
            row = _find_or_add(session, merchant_id, rows, parent, item["name"].strip(), now)
        else:
            row = None
            for name in names:
                row = _find_or_add(session, merchant_id, rows, row, name, now)
        if "code" in item:
            row.code = item["code"]
        if "position" in item:
            row.position = item["position"]
        saved.append(row)
    if problems:
        raise Invalid("the categories are not valid; nothing was saved", details=problems)
    session.flush()
    paths = category_paths(rows)
    return [category_json(row, paths) for row in saved]


def _find_or_add(session, merchant_id, rows, parent, name, now) -> Category:
    parent_id = parent.id if parent else None
    for row in rows:
        if row.parent_id == parent_id and row.name == name:
            return row
    row = Category(merchant_id=merchant_id, parent_id=parent_id,
                   level=parent.level + 1 if parent else 1, name=name, code="", position=0,
                   created_at=now)
    session.add(row)
    session.flush()
    rows.append(row)
    return row


def _by_path(session, merchant_id, rows, path, now) -> Category:
    row = None
    for name in split_path(path) or []:
        row = _find_or_add(session, merchant_id, rows, row, name, now)
    return row


def descendants(rows: list[Category], category_id: int) -> set[int]:
    found = {category_id}
    for _level in range(MAX_LEVELS):
        found |= {row.id for row in rows if row.parent_id in found}
    return found


# -- products --------------------------------------------------------------------------------

def product_json(product: Product, paths: dict[int, list[str]], stock: int | None = None) -> dict:
    return {"id": product.id, "sku": product.sku, "barcode": product.barcode,
            "name": product.name, "initials": product.initials, "unit": product.unit,
            "category_id": product.category_id,
            "category": "/".join(paths.get(product.category_id, [])) if product.category_id else "",
            "price_fen": product.price_fen, "member_prices": dict(product.member_prices or {}),
            "special_price": product.special_price, "points_permille": product.points_permille,
            "favourite": product.favourite, "low_stock_threshold": product.low_stock_threshold,
            "active": product.active, "stock": stock}


def save_products(session: Session, config: MerchantConfig, merchant_id: int, items: list[dict],
                  now: datetime, *, pointer: str = "/products") -> list[Product]:
    """Create or update (by SKU) each product; every problem is named, and then nothing is saved."""
    rows = categories(session, merchant_id)
    category_ids = {row.id for row in rows}
    tier_keys = {tier["key"] for tier in config.tiers}
    skus = [item["sku"] for item in items]
    existing = {p.sku: p for p in session.scalars(
        select(Product).where(Product.merchant_id == merchant_id, Product.sku.in_(skus)))}
    barcodes = [item["barcode"] for item in items if item.get("barcode")]
    taken = {p.barcode: p.sku for p in session.scalars(
        select(Product).where(Product.merchant_id == merchant_id, Product.barcode.in_(barcodes)))}
    problems, seen_skus, seen_barcodes = [], {}, {}
    for index, item in enumerate(items):
        at = f"{pointer}/{index}"
        current = existing.get(item["sku"])
        if item["sku"] in seen_skus:
            problems.append(problem(f"{at}/sku", f"SKU {item['sku']} is also at {pointer}/{seen_skus[item['sku']]}"))
        seen_skus[item["sku"]] = index
        if current is None:
            problems += [problem(f"{at}/{key}", "required for a new product")
                         for key in ("name", "price_fen") if key not in item]
        barcode = item.get("barcode")
        if barcode:
            if barcode in seen_barcodes:
                problems.append(problem(f"{at}/barcode", f"barcode {barcode} is also at {pointer}/{seen_barcodes[barcode]}"))
            elif taken.get(barcode, item["sku"]) != item["sku"]:
                problems.append(problem(f"{at}/barcode", f"barcode {barcode} belongs to SKU {taken[barcode]}"))
            seen_barcodes[barcode] = index
        if item.get("category_id") is not None and item["category_id"] not in category_ids:
            problems.append(problem(f"{at}/category_id", "no such category"))
        if "category_id" in item and "category" in item:
            problems.append(problem(f"{at}/category", "either category_id or a category path"))
        elif "category" in item and split_path(item["category"]) is None:
            problems.append(problem(f"{at}/category", PATH_RULE))
        for key in ("name", "unit"):
            wrong = name_problem(item[key]) if isinstance(item.get(key), str) else None
            if wrong or (key in item and not item[key].strip()):
                problems.append(problem(f"{at}/{key}", wrong or "not empty"))
        price = item.get("price_fen", current.price_fen if current else 0)
        for tier, fen in (item.get("member_prices") or {}).items():
            if tier not in tier_keys:
                problems.append(problem(f"{at}/member_prices/{tier}",
                                        f"not a tier of this merchant ({', '.join(sorted(tier_keys)) or 'none'})"))
            elif fen > price:
                problems.append(problem(f"{at}/member_prices/{tier}",
                                        f"a member price above the price ({fen} > {price} fen)"))
    if problems:
        raise Invalid("the products are not valid; nothing was saved", details=problems)
    saved = []
    for item in items:
        product = existing.get(item["sku"])
        if product is None:
            product = Product(merchant_id=merchant_id, sku=item["sku"], unit="件", member_prices={},
                              special_price=False, points_permille=1000, favourite=False,
                              active=True, created_at=now)
            session.add(product)
        for key in PRODUCT_FIELDS:
            if key in item:
                value = item[key]
                if key == "barcode":
                    value = value or None
                elif key in ("name", "unit"):
                    value = value.strip()
                setattr(product, key, value)
        if "category_id" in item:
            product.category_id = item["category_id"]
        elif item.get("category"):
            product.category_id = _by_path(session, merchant_id, rows, item["category"], now).id
        product.initials = pinyin_initials(product.name)
        product.updated_at = now
        saved.append(product)
    session.flush()
    return saved


def products_json(session: Session, merchant_id: int, products: list[Product],
                  store_id: int | None) -> list[dict]:
    """Products as the API shows them, with the stock in ``store_id`` (None: no store, no stock)."""
    paths = category_paths(categories(session, merchant_id))
    stock = {}
    if store_id is not None and products:
        stock = dict(session.execute(
            select(StockLevel.product_id, StockLevel.quantity)
            .where(StockLevel.store_id == store_id,
                   StockLevel.product_id.in_([p.id for p in products]))).all())
    return [product_json(p, paths, stock.get(p.id, 0) if store_id is not None else None)
            for p in products]


def get_product(session: Session, merchant_id: int, product_id: int) -> Product:
    product = session.scalar(select(Product).where(Product.merchant_id == merchant_id,
                                                   Product.id == product_id))
    if product is None:
        raise NotFound(f"product {product_id} does not exist")
    return product


def search(session: Session, merchant_id: int, *, q: str = "", code: str = "",
           category_id: int | None = None, favourite: bool | None = None,
           include_inactive: bool = False, limit: int = 50, offset: int = 0) -> list[Product]:
    """Products by name substring, pinyin initials (prefix first, then anywhere) or exact
    barcode/SKU (``q``), or only by exact barcode/SKU (``code``: a scan)."""
    query = select(Product).where(Product.merchant_id == merchant_id)
    if not include_inactive:
        query = query.where(Product.active.is_(True))
    if code:
        query = query.where(or_(Product.barcode == code, Product.sku == code))
    # Pinyin order (by initials), the same on both databases whatever their collation.
    order = [Product.favourite.desc(), Product.initials, Product.name, Product.id]
    q = q.strip()
    if q:
        lowered = q.lower()
        pattern = like_escape(lowered)
        initials = like_escape(lowered.replace(" ", ""))
        exact = or_(Product.barcode == q, Product.sku == q)
        query = query.where(or_(
            exact, func.lower(Product.name).like(f"%{pattern}%", escape="\\"),
            Product.initials.like(f"%{initials}%", escape="\\")))
        order = [case((exact, 0), (Product.initials.like(f"{initials}%", escape="\\"), 1),
                      (func.lower(Product.name).like(f"{pattern}%", escape="\\"), 2), else_=3),
                 *order]
    if category_id is not None:
        query = query.where(Product.category_id.in_(descendants(categories(session, merchant_id),
                                                                 category_id)))
    if favourite is not None:
        query = query.where(Product.favourite.is_(favourite))
    return list(session.scalars(query.order_by(*order).limit(limit).offset(offset)))
