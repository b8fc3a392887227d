"""Checkout and quote lines from the catalogue (hook checkout_resolve_lines).

A line ``{"product_id": N, "quantity": q}`` or ``{"barcode": "...", "quantity": q}`` (the
barcode, or failing that the SKU, as a scanner reads it) becomes a typed line with the
product's SKU, name, list price, category and special-price flag, plus what the core's
pricing needs for the member price (C2, C7) and the points plugin for the points rule (P2).
``promotion_permille`` (a store promotion, C2) may come with the line, as on typed lines.
"""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.errors import Invalid, problem

from .catalogue import categories
from .models import Product

LINE_KEYS = {"product_id", "barcode", "quantity", "promotion_permille"}


def resolve(session: Session, merchant_id: int, lines: list) -> dict[int, dict]:
    wanted = {index: item for index, item in enumerate(lines)
              if isinstance(item, dict) and "sku" not in item
              and ("product_id" in item or "barcode" in item)}
    if not wanted:
        return {}
    problems = []
    ids, codes = set(), set()
    for index, item in wanted.items():
        at = f"/lines/{index}"
        problems += [problem(f"{at}/{key}", "unknown property on a catalogue line "
                                            "(product_id or barcode, quantity, promotion_permille)")
                     for key in sorted(set(item) - LINE_KEYS)]
        if ("product_id" in item) == ("barcode" in item):
            problems.append(problem(f"{at}/product_id", "either a product_id or a barcode"))
        elif "product_id" in item:
            if type(item["product_id"]) is not int or not 1 <= item["product_id"] < 2**63:
                problems.append(problem(f"{at}/product_id", "a product id"))
            else:
                ids.add(item["product_id"])
        elif not isinstance(item["barcode"], str) or not 1 <= len(item["barcode"].strip()) <= 60:
            problems.append(problem(f"{at}/barcode", "a barcode or SKU of 1 to 60 characters"))
        else:
            codes.add(item["barcode"].strip())
    found = list(session.scalars(select(Product).where(
        Product.merchant_id == merchant_id, Product.active.is_(True),
        or_(Product.id.in_(ids), Product.barcode.in_(codes), Product.sku.in_(codes))))) \
        if ids or codes else []
    by_id = {product.id: product for product in found}
    by_sku = {product.sku: product for product in found}
    by_barcode = {product.barcode: product for product in found if product.barcode}
    category_of = {row.id: (row.code or row.name) for row in categories(session, merchant_id)}
    resolved = {}
    for index, item in wanted.items():
        product = None
        if type(item.get("product_id")) is int:
            product = by_id.get(item["product_id"])
            missing = problem(f"/lines/{index}/product_id", f"no product {item['product_id']} "
                                                            "in the catalogue")
        elif isinstance(item.get("barcode"), str):
            code = item["barcode"].strip()
            product = by_barcode.get(code) or by_sku.get(code)
            missing = problem(f"/lines/{index}/barcode", f"no product with barcode or SKU {code[:60]}")
        else:
            continue
        if product is None:
            problems.append(missing)
            continue
        line = {"sku": product.sku, "name": product.name[:120],
                "category": category_of.get(product.category_id, "")[:60],
                "unit_price_fen": product.price_fen, "special_price": product.special_price,
                "product_id": product.id, "member_prices": dict(product.member_prices or {}),
                "points_permille": product.points_permille}
        for key in ("quantity", "promotion_permille"):
            if key in item:
                line[key] = item[key]
        resolved[index] = line
    if problems:
        raise Invalid("the basket is not valid; nothing was charged", details=problems)
    return resolved
