"""The points mall (积分商城, P4): a catalogue with stock, bought with points.

A redemption is one transaction: the guarded stock decrement
(``UPDATE points_mall_items SET stock = stock - q WHERE ... AND stock >= q``) and the guarded
points debit (the ledger's, oldest-expiring lots first). If either fails, neither happens.
An item with a ``benefit`` (a coupon, given by the coupon plugin through core.benefits) gives
it once per unit in the same transaction; if the giving plugin refuses (its campaign ended),
nothing is spent.
Every query is scoped to the caller's merchant: another merchant's item id is a 404.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import benefits, ledger
from core.checkout import usable_card
from core.errors import Conflict, Invalid, NotFound, problem
from core.ledger import Posting

from .common import REDEEMED, card_points, merchant_points, text_problem
from .models import MallItem

TRANSACTION_TYPE = "points_redemption"


def item_json(item: MallItem) -> dict:
    return {"id": item.id, "name": item.name, "description": item.description,
            "points_cost": item.points_cost, "stock": item.stock, "active": item.active,
            "benefit": item.benefit}


def list_items(session: Session, merchant_id: int, active_only: bool = False) -> list[dict]:
    query = select(MallItem).where(MallItem.merchant_id == merchant_id)
    if active_only:
        query = query.where(MallItem.active.is_(True))
    return [item_json(item) for item in session.scalars(query.order_by(MallItem.id))]


def get_item(session: Session, merchant_id: int, item_id: int) -> MallItem:
    item = session.scalar(select(MallItem).where(MallItem.merchant_id == merchant_id,
                                                 MallItem.id == item_id))
    if item is None:
        raise NotFound(f"mall item {item_id} does not exist")
    return item


def create_item(session: Session, merchant_id: int, body: dict, config=None) -> MallItem:
    problems = [p for p in [text_problem(body["name"], "/name", 100)] if p]
    if body.get("benefit") is not None:
        problems += benefits.validate_benefit(config, body["benefit"], "/benefit")
    if problems:
        raise Invalid("the mall item is not valid; nothing was saved", details=problems)
    item = MallItem(merchant_id=merchant_id, name=body["name"].strip(),
                    description=body.get("description", "").strip(),
                    points_cost=body["points_cost"], stock=body["stock"],
                    active=body.get("active", True), benefit=body.get("benefit"))
    _save(session, item)
    return item


def update_item(session: Session, merchant_id: int, item_id: int, body: dict) -> MallItem:
    item = get_item(session, merchant_id, item_id)
    if "name" in body:
        found = text_problem(body["name"], "/name", 100)
        if found:
            raise Invalid("the mall item is not valid; nothing was saved", details=[found])
        item.name = body["name"].strip()
    for key in ("description", "points_cost", "active"):
        if key in body:
            setattr(item, key, body[key].strip() if key == "description" else body[key])
    _save(session, item)
    if "restock" in body:
        # Additive and atomic, so a restock never loses a concurrent redemption's decrement.
        session.execute(update(MallItem).where(MallItem.id == item.id)
                        .values(stock=MallItem.stock + body["restock"])
                        .execution_options(synchronize_session=False))
        session.refresh(item, ["stock"])
    return item


def _save(session: Session, item: MallItem) -> None:
    try:
        with session.begin_nested():
            session.add(item)
            session.flush()
    except IntegrityError:
        raise Conflict(f"there is already a mall item called {item.name!r}",
                       code="item_name_taken") from None


def redeem(session: Session, merchant_id: int, card_number: str, body: dict, *, now: datetime,
           store_id: int | None, staff_id: int | None, config=None) -> dict:
    card = usable_card(session, merchant_id, card_number, now)
    item = get_item(session, merchant_id, body["item_id"])
    quantity = body.get("quantity", 1)
    if not item.active:
        raise Conflict(f"{item.name} is no longer offered", code="item_inactive")
    taken = session.execute(
        update(MallItem)
        .where(MallItem.id == item.id, MallItem.merchant_id == merchant_id,
               MallItem.active.is_(True), MallItem.stock >= quantity)
        .values(stock=MallItem.stock - quantity)
        .execution_options(synchronize_session=False))
    session.refresh(item, ["stock", "active"])
    if taken.rowcount != 1:
        raise Conflict(f"{item.name}: {item.stock} left, {quantity} asked for", code="out_of_stock",
                       details=[problem("/quantity", f"at most {item.stock}")])
    cost = item.points_cost * quantity
    account = card_points(session, merchant_id, card.id)
    transaction = ledger.post(
        session, merchant_id, TRANSACTION_TYPE,
        [Posting(account, -cost), Posting(merchant_points(session, merchant_id, REDEEMED), cost)],
        store_id=store_id, staff_id=staff_id, now=now,
        memo={"card_number": card.number, "item_id": item.id, "item_name": item.name,
              "quantity": quantity, "points_cost": item.points_cost})
    given = [benefits.grant(session, config, card, item.benefit, now=now, store_id=store_id,
                            staff_id=staff_id) for _ in range(quantity)] if item.benefit else []
    return {"redemption_id": transaction.id, "card_number": card.number, "item": item_json(item),
            "quantity": quantity, "points_spent": cost, "points": account.balance,
            "benefits_given": given}
