"""points plugin: mall items, wheel prizes, wheel spins (P4)

The first revision of the ``points`` branch: a new base that depends on the core's 0002
(merchants, members, cards, ledger transactions), so ``huika init`` (core.migrate.upgrade to
"heads") creates it after the core's tables, and a downgrade to base drops it first.

Revision ID: p0001
Revises:
Create Date: 2026-11-24 10:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "p0001"
down_revision = None
branch_labels = ("points",)
depends_on = "0002"

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "points_mall_items",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("points_cost", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("points_cost >= 1", name=op.f("ck_points_mall_items_points_cost_positive")),
        sa.CheckConstraint("stock >= 0", name=op.f("ck_points_mall_items_stock_not_negative")),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"],
                                name=op.f("fk_points_mall_items_merchant_id_merchants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_mall_items")),
        sa.UniqueConstraint("merchant_id", "name", name=op.f("uq_points_mall_items_merchant_id_name")),
    )
    with op.batch_alter_table("points_mall_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_points_mall_items_merchant_id"), ["merchant_id"], unique=False)

    op.create_table(
        "points_wheel_prizes",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("(kind = 'points' AND points >= 1) OR (kind <> 'points' AND points = 0)",
                           name=op.f("ck_points_wheel_prizes_points_match_kind")),
        sa.CheckConstraint("kind IN ('points', 'gift', 'none')", name=op.f("ck_points_wheel_prizes_kind")),
        sa.CheckConstraint("stock IS NULL OR stock >= 0",
                           name=op.f("ck_points_wheel_prizes_stock_not_negative")),
        sa.CheckConstraint("weight >= 1", name=op.f("ck_points_wheel_prizes_weight_positive")),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"],
                                name=op.f("fk_points_wheel_prizes_merchant_id_merchants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_wheel_prizes")),
    )
    with op.batch_alter_table("points_wheel_prizes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_points_wheel_prizes_merchant_id"), ["merchant_id"], unique=False)

    op.create_table(
        "points_wheel_spins",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("card_id", ID, nullable=False),
        sa.Column("spun_on", sa.Date(), nullable=False),
        sa.Column("spin_no", sa.Integer(), nullable=False),
        sa.Column("cost_points", sa.Integer(), nullable=False),
        sa.Column("prize_id", ID, nullable=True),
        sa.Column("transaction_id", ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("cost_points >= 0", name=op.f("ck_points_wheel_spins_cost_not_negative")),
        sa.CheckConstraint("spin_no >= 1", name=op.f("ck_points_wheel_spins_spin_no_positive")),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"], name=op.f("fk_points_wheel_spins_card_id_cards")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"],
                                name=op.f("fk_points_wheel_spins_member_id_members")),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"],
                                name=op.f("fk_points_wheel_spins_merchant_id_merchants")),
        sa.ForeignKeyConstraint(["prize_id"], ["points_wheel_prizes.id"],
                                name=op.f("fk_points_wheel_spins_prize_id_points_wheel_prizes")),
        sa.ForeignKeyConstraint(["transaction_id"], ["ledger_transactions.id"],
                                name=op.f("fk_points_wheel_spins_transaction_id_ledger_transactions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_wheel_spins")),
        sa.UniqueConstraint("member_id", "spun_on", "spin_no",
                            name=op.f("uq_points_wheel_spins_member_id_spun_on_spin_no")),
    )
    with op.batch_alter_table("points_wheel_spins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_points_wheel_spins_card_id"), ["card_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_points_wheel_spins_merchant_id"), ["merchant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("points_wheel_spins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_points_wheel_spins_merchant_id"))
        batch_op.drop_index(batch_op.f("ix_points_wheel_spins_card_id"))
    op.drop_table("points_wheel_spins")
    with op.batch_alter_table("points_wheel_prizes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_points_wheel_prizes_merchant_id"))
    op.drop_table("points_wheel_prizes")
    with op.batch_alter_table("points_mall_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_points_mall_items_merchant_id"))
    op.drop_table("points_mall_items")
