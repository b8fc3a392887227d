"""The goods plugin's tables (G1): categories, products, stock movements and stock levels.

Stock: ``goods_stock_movements`` is the truth, appended and never edited (receive, sale,
return, transfer out/in, stocktake adjustment); ``goods_stock_levels`` is the running sum per
product and store, updated in the same transaction as each movement, so reading stock does not
sum the log. ``source_key`` makes a movement happen once: ``sale:<checkout>:<line>`` for a
sale, ``return:<return id>:<line>`` for a return, or the client's own reference.
Rows carry their ``merchant_id`` and every query is scoped by it.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base
from core.models.base import BigId, JsonDocument, UtcDateTime, utcnow

MOVEMENT_KINDS = ("receive", "sale", "return", "transfer_out", "transfer_in", "adjust")


class Category(Base):
    __tablename__ = "goods_categories"
    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 3", name="level"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("goods_categories.id"))
    level: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(40))
    # What checkout lines carry as their category (other plugins match on it); the name if empty.
    code: Mapped[str] = mapped_column(String(40), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Product(Base):
    __tablename__ = "goods_products"
    __table_args__ = (
        UniqueConstraint("merchant_id", "sku"),
        UniqueConstraint("merchant_id", "barcode"),
        Index("ix_goods_products_initials", "merchant_id", "initials"),
        CheckConstraint("price_fen >= 0", name="price"),
        CheckConstraint("points_permille >= 0", name="points"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    sku: Mapped[str] = mapped_column(String(60))
    barcode: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(120))
    initials: Mapped[str] = mapped_column(String(120), default="")  # pinyin initials, lower case
    unit: Mapped[str] = mapped_column(String(10), default="件")
    category_id: Mapped[int | None] = mapped_column(ForeignKey("goods_categories.id"))
    price_fen: Mapped[int] = mapped_column(BigInteger)
    member_prices: Mapped[dict] = mapped_column(JsonDocument, default=dict)  # tier key -> fen
    special_price: Mapped[bool] = mapped_column(Boolean, default=False)
    points_permille: Mapped[int] = mapped_column(Integer, default=1000)
    favourite: Mapped[bool] = mapped_column(Boolean, default=False)
    low_stock_threshold: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class StockMovement(Base):
    __tablename__ = "goods_stock_movements"
    __table_args__ = (
        UniqueConstraint("merchant_id", "source_key"),
        Index("ix_goods_stock_movements_product", "merchant_id", "product_id", "store_id", "id"),
        CheckConstraint("kind IN ('receive', 'sale', 'return', 'transfer_out', 'transfer_in', "
                        "'adjust')", name="kind"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("goods_products.id"))
    kind: Mapped[str] = mapped_column(String(12))
    quantity: Mapped[int] = mapped_column(Integer)  # signed: + in, - out
    checkout_id: Mapped[int | None] = mapped_column(ForeignKey("checkouts.id"))
    line_no: Mapped[int | None] = mapped_column(Integer)
    source_key: Mapped[str | None] = mapped_column(String(80))
    note: Mapped[str] = mapped_column(String(200), default="")
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class StockLevel(Base):
    __tablename__ = "goods_stock_levels"

    product_id: Mapped[int] = mapped_column(ForeignKey("goods_products.id"), primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    quantity: Mapped[int] = mapped_column(BigInteger, default=0)
