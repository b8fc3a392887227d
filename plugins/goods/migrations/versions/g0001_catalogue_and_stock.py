"""goods plugin: categories, products, stock movements and stock levels (G1)

The first revision of the ``goods`` branch: a new base that depends on the core's 0002
(merchants, stores, staff, checkouts), so ``huika init`` creates it after the core.

Revision ID: g0001
Revises:
Create Date: 2026-12-06 03:20:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "g0001"
down_revision = None
branch_labels = ("goods",)
depends_on = "0002"

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
NOW = sa.DateTime(timezone=True)


def _fk(table, column, target):
    return sa.ForeignKeyConstraint([column], [f"{target}.id"],
                                   name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        "goods_categories",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("parent_id", ID, nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", NOW, nullable=False),
        sa.CheckConstraint("level BETWEEN 1 AND 3", name=op.f("ck_goods_categories_level")),
        _fk("goods_categories", "merchant_id", "merchants"),
        _fk("goods_categories", "parent_id", "goods_categories"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goods_categories")),
    )
    op.create_index(op.f("ix_goods_categories_merchant_id"), "goods_categories", ["merchant_id"])
    op.create_table(
        "goods_products",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("sku", sa.String(length=60), nullable=False),
        sa.Column("barcode", sa.String(length=32), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("initials", sa.String(length=120), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("category_id", ID, nullable=True),
        sa.Column("price_fen", sa.BigInteger(), nullable=False),
        sa.Column("member_prices", JSON, nullable=False),
        sa.Column("special_price", sa.Boolean(), nullable=False),
        sa.Column("points_permille", sa.Integer(), nullable=False),
        sa.Column("favourite", sa.Boolean(), nullable=False),
        sa.Column("low_stock_threshold", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", NOW, nullable=False),
        sa.Column("updated_at", NOW, nullable=False),
        sa.CheckConstraint("price_fen >= 0", name=op.f("ck_goods_products_price")),
        sa.CheckConstraint("points_permille >= 0", name=op.f("ck_goods_products_points")),
        _fk("goods_products", "merchant_id", "merchants"),
        _fk("goods_products", "category_id", "goods_categories"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goods_products")),
        sa.UniqueConstraint("merchant_id", "sku", name=op.f("uq_goods_products_merchant_id_sku")),
        sa.UniqueConstraint("merchant_id", "barcode", name=op.f("uq_goods_products_merchant_id_barcode")),
    )
    op.create_index("ix_goods_products_initials", "goods_products", ["merchant_id", "initials"])
    op.create_table(
        "goods_stock_movements",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("product_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("checkout_id", ID, nullable=True),
        sa.Column("line_no", sa.Integer(), nullable=True),
        sa.Column("source_key", sa.String(length=80), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("staff_id", ID, nullable=True),
        sa.Column("created_at", NOW, nullable=False),
        sa.CheckConstraint("kind IN ('receive', 'sale', 'return', 'transfer_out', 'transfer_in', "
                           "'adjust')", name=op.f("ck_goods_stock_movements_kind")),
        _fk("goods_stock_movements", "merchant_id", "merchants"),
        _fk("goods_stock_movements", "store_id", "stores"),
        _fk("goods_stock_movements", "product_id", "goods_products"),
        _fk("goods_stock_movements", "checkout_id", "checkouts"),
        _fk("goods_stock_movements", "staff_id", "staff"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goods_stock_movements")),
        sa.UniqueConstraint("merchant_id", "source_key",
                            name=op.f("uq_goods_stock_movements_merchant_id_source_key")),
    )
    op.create_index("ix_goods_stock_movements_product", "goods_stock_movements",
                    ["merchant_id", "product_id", "store_id", "id"])
    op.create_table(
        "goods_stock_levels",
        sa.Column("product_id", ID, nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        _fk("goods_stock_levels", "product_id", "goods_products"),
        _fk("goods_stock_levels", "store_id", "stores"),
        _fk("goods_stock_levels", "merchant_id", "merchants"),
        sa.PrimaryKeyConstraint("product_id", "store_id", name=op.f("pk_goods_stock_levels")),
    )
    op.create_index(op.f("ix_goods_stock_levels_merchant_id"), "goods_stock_levels", ["merchant_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_goods_stock_levels_merchant_id"), table_name="goods_stock_levels")
    op.drop_table("goods_stock_levels")
    op.drop_index("ix_goods_stock_movements_product", table_name="goods_stock_movements")
    op.drop_table("goods_stock_movements")
    op.drop_index("ix_goods_products_initials", table_name="goods_products")
    op.drop_table("goods_products")
    op.drop_index(op.f("ix_goods_categories_merchant_id"), table_name="goods_categories")
    op.drop_table("goods_categories")
