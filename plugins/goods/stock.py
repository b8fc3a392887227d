"""Stock per store (G1, G3): movements appended, never edited; levels kept as running sums.

Every change of stock is one ``StockMovement`` row (signed quantity) plus the same amount
added to the product's ``StockLevel`` row for that store, in one transaction, so the level
always equals the sum of the movements (``verify`` checks it). A sale moves stock out in the
checkout's own transaction (after_checkout), a return moves the returned units back in the
return's transaction (after_checkout_return); the ``source_key`` of each is unique, so a
retried request can never move stock twice. A checkout without a store (an owner signed in
for the whole merchant) moves the stock of the merchant's first store.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.errors import Conflict, Invalid, problem
from core.ledger import apply_pending
from core.models import Store

from .models import Product, StockLevel, StockMovement

_levels = StockLevel.__table__
_movements = StockMovement.__table__


def first_store_id(session: Session, merchant_id: int) -> int | None:
    return session.scalar(select(func.min(Store.id)).where(Store.merchant_id == merchant_id))


def store_ids(session: Session, merchant_id: int) -> set[int]:
    return set(session.scalars(select(Store.id).where(Store.merchant_id == merchant_id)))


def move(session: Session, merchant_id: int, rows: list[dict], now: datetime) -> None:
    """Append movements ``{"store_id", "product_id", "kind", "quantity", ...}`` and add each
    quantity to its stock level (an upsert: the row appears with the first movement)."""
    if not rows:
        return
    # The merchant's pending balance updates first: every writer locks the merchant's
    # accounts before a stock level (a return posts before it puts goods back), so two
    # tills selling and returning the same product never wait on each other in a circle.
    apply_pending(session)
    connection = session.connection()
    connection.execute(_movements.insert(), [
        {"merchant_id": merchant_id, "checkout_id": None, "line_no": None, "source_key": None,
         "note": "", "staff_id": None, "created_at": now, **row} for row in rows])
    totals: dict[tuple[int, int], int] = {}
    for row in rows:
        key = (row["product_id"], row["store_id"])
        totals[key] = totals.get(key, 0) + row["quantity"]
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    for (product_id, store_id), quantity in sorted(totals.items()):
        statement = insert(_levels).values(product_id=product_id, store_id=store_id,
                                           merchant_id=merchant_id, quantity=quantity)
        connection.execute(statement.on_conflict_do_update(
            index_elements=["product_id", "store_id"],
            set_={"quantity": _levels.c.quantity + statement.excluded.quantity}))


def level(session: Session, product_id: int, store_id: int, *, lock: bool = False) -> int:
    """Units in stock; ``lock``: hold the row to the end of the transaction (a stocktake's
    difference must not miss a sale recorded meanwhile)."""
    query = select(StockLevel.quantity).where(StockLevel.product_id == product_id,
                                              StockLevel.store_id == store_id)
    return session.scalar(query.with_for_update() if lock else query) or 0


def sold(session: Session, checkout, record) -> None:
    """after_checkout: one ``sale`` movement per catalogue line, out of the checkout's store."""
    lines = [line for line in checkout.lines if line.product_id is not None]
    if not lines:
        return
    store_id = record.store_id or first_store_id(session, record.merchant_id)
    if store_id is None:
        return  # a merchant without any store keeps no stock
    move(session, record.merchant_id, [
        {"store_id": store_id, "product_id": line.product_id, "kind": "sale",
         "quantity": -line.quantity, "checkout_id": record.id, "line_no": line.line_no,
         "source_key": f"sale:{record.id}:{line.line_no}", "staff_id": record.staff_id}
        for line in lines], record.created_at)


def returned(session: Session, checkout, returned_lines, now: datetime) -> None:
    """after_checkout_return: the returned units of catalogue lines go back into the store
    they were sold from, keyed by the return so each return moves them once."""
    numbers = [line.line_no for line, _quantity in returned_lines]
    sales = {row.line_no: row for row in session.scalars(select(StockMovement).where(
        StockMovement.merchant_id == checkout.merchant_id, StockMovement.kind == "sale",
        StockMovement.checkout_id == checkout.id, StockMovement.line_no.in_(numbers)))}
    if not sales:
        return
    # The return's own id is not known to the hook; the units returned so far are: each
    # return of a line moves the units from (returned before) to (returned now) once.
    move(session, checkout.merchant_id, [
        {"store_id": sales[line.line_no].store_id, "product_id": sales[line.line_no].product_id,
         "kind": "return", "quantity": quantity, "checkout_id": checkout.id,
         "line_no": line.line_no,
         "source_key": f"return:{checkout.id}:{line.line_no}:{line.returned_quantity}",
         "staff_id": None}
        for line, quantity in returned_lines if line.line_no in sales], now)


# -- movements by hand: receive, transfer, stocktake -----------------------------------------

HAND_KINDS = ("receive", "transfer", "adjust", "stocktake")


def record_by_hand(session: Session, merchant_id: int, items: list[dict], *, store_id: int | None,
                   staff_id: int | None, now: datetime) -> list[dict]:
    """Goods received, moved between stores, or counted (盘点): each item is checked, then all
    are appended together. A stocktake gives the counted quantity; the movement is the
    difference from the level now (an ``adjust``)."""
    stores = store_ids(session, merchant_id)
    skus = {item["sku"] for item in items if "sku" in item}
    ids = {item["product_id"] for item in items if "product_id" in item}
    products = list(session.scalars(select(Product).where(
        Product.merchant_id == merchant_id, (Product.sku.in_(skus)) | (Product.id.in_(ids)))))
    by_id = {p.id: p for p in products}
    by_sku = {p.sku: p for p in products}
    problems, rows = [], []
    for index, item in enumerate(items):
        at = f"/movements/{index}"
        if ("product_id" in item) == ("sku" in item):
            problems.append(problem(f"{at}/product_id", "either a product_id or a sku"))
            continue
        product = by_id.get(item["product_id"]) if "product_id" in item else by_sku.get(item["sku"])
        if product is None:
            problems.append(problem(f"{at}/{'product_id' if 'product_id' in item else 'sku'}",
                                    "no such product in the catalogue"))
            continue
        store = item.get("store_id", store_id)
        if store is None or store not in stores:
            problems.append(problem(f"{at}/store_id", "a store of this merchant"))
            continue
        kind, note = item["kind"], item.get("note", "")
        common = {"product_id": product.id, "note": note, "staff_id": staff_id,
                  "source_key": f"hand:{item['reference']}:{index}" if item.get("reference") else None}
        if kind == "stocktake":
            if "counted" not in item or "quantity" in item:
                problems.append(problem(f"{at}/counted", "a stocktake gives the counted quantity"))
                continue
            difference = item["counted"] - level(session, product.id, store, lock=True) - sum(
                row["quantity"] for row in rows if row["product_id"] == product.id and row["store_id"] == store)
            rows.append({**common, "store_id": store, "kind": "adjust", "quantity": difference})
            continue
        if "quantity" not in item or "counted" in item:
            problems.append(problem(f"{at}/quantity", "required (counted is for a stocktake)"))
            continue
        quantity = item["quantity"]
        if kind == "receive":
            if quantity <= 0:
                problems.append(problem(f"{at}/quantity", "received goods: more than 0"))
                continue
            rows.append({**common, "store_id": store, "kind": "receive", "quantity": quantity})
        elif kind == "adjust":
            if quantity == 0:
                problems.append(problem(f"{at}/quantity", "an adjustment other than 0"))
                continue
            rows.append({**common, "store_id": store, "kind": "adjust", "quantity": quantity})
        else:  # transfer
            target = item.get("to_store_id")
            if target is None or target not in stores or target == store:
                problems.append(problem(f"{at}/to_store_id", "another store of this merchant"))
                continue
            if quantity <= 0:
                problems.append(problem(f"{at}/quantity", "units moved: more than 0"))
                continue
            key = common["source_key"]
            rows.append({**common, "store_id": store, "kind": "transfer_out", "quantity": -quantity,
                         "source_key": key and key + ":out"})
            rows.append({**common, "store_id": target, "kind": "transfer_in", "quantity": quantity,
                         "source_key": key and key + ":in"})
    if problems:
        raise Invalid("the stock movements are not valid; nothing was recorded", details=problems)
    keys = [row["source_key"] for row in rows if row["source_key"]]
    if keys and session.scalar(select(func.count()).select_from(StockMovement).where(
            StockMovement.merchant_id == merchant_id, StockMovement.source_key.in_(keys))):
        raise Conflict("these movements were already recorded (same reference)", code="already_recorded")
    move(session, merchant_id, rows, now)
    return [{**row, "created_at": now.isoformat()} for row in rows]


def movement_json(row: StockMovement) -> dict:
    return {"id": row.id, "store_id": row.store_id, "product_id": row.product_id,
            "kind": row.kind, "quantity": row.quantity, "checkout_id": row.checkout_id,
            "line_no": row.line_no, "note": row.note, "staff_id": row.staff_id,
            "created_at": row.created_at.isoformat()}


def movements(session: Session, merchant_id: int, *, product_id: int | None, store_id: int | None,
              limit: int, offset: int) -> list[dict]:
    query = select(StockMovement).where(StockMovement.merchant_id == merchant_id)
    if product_id is not None:
        query = query.where(StockMovement.product_id == product_id)
    if store_id is not None:
        query = query.where(StockMovement.store_id == store_id)
    return [movement_json(row) for row in session.scalars(
        query.order_by(StockMovement.id.desc()).limit(limit).offset(offset))]


def levels(session: Session, merchant_id: int, *, store_id: int | None = None,
           low_only: bool = False, default_threshold: int = 0) -> list[dict]:
    """Stock per product and store (products never moved count 0 in every store); with
    ``low_only`` only those at or below their threshold (the product's, else the default)."""
    stores = sorted(store_ids(session, merchant_id) if store_id is None else {store_id})
    products = list(session.scalars(select(Product).where(Product.merchant_id == merchant_id,
                                                          Product.active.is_(True))
                                    .order_by(Product.sku)))
    known = {(row.product_id, row.store_id): row.quantity for row in session.scalars(
        select(StockLevel).where(StockLevel.merchant_id == merchant_id))}
    result = []
    for product in products:
        threshold = product.low_stock_threshold
        if threshold is None:
            threshold = default_threshold
        for store in stores:
            quantity = known.get((product.id, store), 0)
            if low_only and quantity > threshold:
                continue
            result.append({"product_id": product.id, "sku": product.sku, "name": product.name,
                           "unit": product.unit, "store_id": store, "quantity": quantity,
                           "low_stock_threshold": threshold})
    return result


def verify(session: Session, merchant_id: int) -> list[str]:
    """Problems where a level is not the sum of its movements (expected: none)."""
    sums = dict(((row.product_id, row.store_id), row.total) for row in session.execute(
        select(StockMovement.product_id, StockMovement.store_id,
               func.sum(StockMovement.quantity).label("total"))
        .where(StockMovement.merchant_id == merchant_id)
        .group_by(StockMovement.product_id, StockMovement.store_id)))
    levels_now = {(row.product_id, row.store_id): row.quantity for row in session.scalars(
        select(StockLevel).where(StockLevel.merchant_id == merchant_id))}
    return [f"product {key[0]} store {key[1]}: level {levels_now.get(key, 0)}, movements {sums.get(key, 0)}"
            for key in sorted(set(sums) | set(levels_now)) if levels_now.get(key, 0) != (sums.get(key) or 0)]
