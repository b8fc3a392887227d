"""coupons plugin: templates, coupons, redemptions (issue 13, item 4)

The first revision of the ``coupons`` branch, on the core's tables (merchants, members,
cards, stores, staff, checkouts).

Revision ID: c0001
Revises:
Create Date: 2026-12-06 03:30:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "c0001"
down_revision = None
branch_labels = ("coupons",)
depends_on = "0002"

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)


def _fk(table, column, target):
    return sa.ForeignKeyConstraint([column], [f"{target}.id"],
                                   name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        "coupon_templates",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("value_fen", sa.Integer(), nullable=False),
        sa.Column("discount_permille", sa.Integer(), nullable=True),
        sa.Column("max_discount_fen", sa.Integer(), nullable=True),
        sa.Column("min_spend_fen", sa.Integer(), nullable=False),
        sa.Column("categories", JSON, nullable=False),
        sa.Column("special_price_lines", sa.Boolean(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("valid_days", sa.Integer(), nullable=True),
        sa.Column("per_member_limit", sa.Integer(), nullable=True),
        sa.Column("total_limit", sa.Integer(), nullable=True),
        sa.Column("issue_on_member_created", sa.Boolean(), nullable=False),
        sa.Column("issue_on_checkout_fen", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.CheckConstraint("kind IN ('cash', 'discount', 'threshold')",
                           name=op.f("ck_coupon_templates_kind")),
        sa.CheckConstraint("value_fen >= 0 AND min_spend_fen >= 0",
                           name=op.f("ck_coupon_templates_amounts")),
        sa.CheckConstraint(
            "(kind = 'discount' AND discount_permille BETWEEN 1 AND 999 AND value_fen = 0)"
            " OR (kind <> 'discount' AND discount_permille IS NULL AND value_fen >= 1)",
            name=op.f("ck_coupon_templates_kind_fields")),
        sa.CheckConstraint("(valid_days IS NULL) <> (valid_until IS NULL)",
                           name=op.f("ck_coupon_templates_one_validity")),
        _fk("coupon_templates", "merchant_id", "merchants"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_templates")),
        sa.UniqueConstraint("merchant_id", "name", name=op.f("uq_coupon_templates_merchant_id_name")),
    )
    op.create_index(op.f("ix_coupon_templates_merchant_id"), "coupon_templates", ["merchant_id"])
    op.create_table(
        "coupons",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("template_id", ID, nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("member_id", ID, nullable=True),
        sa.Column("card_id", ID, nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("source_checkout_id", ID, nullable=True),
        sa.Column("issued_at", TIME, nullable=False),
        sa.Column("issued_by_staff_id", ID, nullable=True),
        sa.Column("store_id", ID, nullable=True),
        sa.Column("closed_at", TIME, nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.CheckConstraint("status IN ('issued', 'redeemed', 'voided', 'expired')",
                           name=op.f("ck_coupons_status")),
        sa.CheckConstraint("reason IN ('staff', 'member_created', 'checkout', 'benefit')",
                           name=op.f("ck_coupons_reason")),
        _fk("coupons", "merchant_id", "merchants"),
        _fk("coupons", "template_id", "coupon_templates"),
        _fk("coupons", "member_id", "members"),
        _fk("coupons", "card_id", "cards"),
        _fk("coupons", "source_checkout_id", "checkouts"),
        _fk("coupons", "issued_by_staff_id", "staff"),
        _fk("coupons", "store_id", "stores"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupons")),
        sa.UniqueConstraint("merchant_id", "code", name=op.f("uq_coupons_merchant_id_code")),
    )
    op.create_index(op.f("ix_coupons_merchant_id"), "coupons", ["merchant_id"])
    op.create_index(op.f("ix_coupons_template_id"), "coupons", ["template_id"])
    op.create_index("ix_coupons_member_status", "coupons", ["merchant_id", "member_id", "status"])
    op.create_table(
        "coupon_redemptions",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("coupon_id", ID, nullable=False),
        sa.Column("checkout_id", ID, nullable=False),
        sa.Column("discount_fen", sa.Integer(), nullable=False),
        sa.Column("lines", JSON, nullable=False),
        sa.Column("redeemed_at", TIME, nullable=False),
        sa.Column("store_id", ID, nullable=True),
        sa.Column("reversed_at", TIME, nullable=True),
        sa.CheckConstraint("discount_fen >= 1", name=op.f("ck_coupon_redemptions_discount_positive")),
        _fk("coupon_redemptions", "merchant_id", "merchants"),
        _fk("coupon_redemptions", "coupon_id", "coupons"),
        _fk("coupon_redemptions", "checkout_id", "checkouts"),
        _fk("coupon_redemptions", "store_id", "stores"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_redemptions")),
    )
    op.create_index(op.f("ix_coupon_redemptions_coupon_id"), "coupon_redemptions", ["coupon_id"])
    op.create_index(op.f("ix_coupon_redemptions_checkout_id"), "coupon_redemptions", ["checkout_id"])
    op.create_index("ix_coupon_redemptions_merchant_time", "coupon_redemptions",
                    ["merchant_id", "redeemed_at"])
    op.create_index("uq_coupon_redemptions_open", "coupon_redemptions", ["coupon_id"], unique=True,
                    sqlite_where=sa.text("reversed_at IS NULL"),
                    postgresql_where=sa.text("reversed_at IS NULL"))


def downgrade() -> None:
    op.drop_table("coupon_redemptions")
    op.drop_table("coupons")
    op.drop_table("coupon_templates")
