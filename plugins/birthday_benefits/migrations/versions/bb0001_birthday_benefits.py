"""birthday_benefits plugin: one use per member per benefit year (issue 14, item 3)

Revision ID: bb0001
Revises:
Create Date: 2026-12-06 06:40:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "bb0001"
down_revision = None
branch_labels = ("birthday_benefits",)
depends_on = "0002"

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)


def _fk(column, target):
    return sa.ForeignKeyConstraint([column], [f"{target}.id"],
                                   name=op.f(f"fk_birthday_benefit_uses_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        "birthday_benefit_uses",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("benefit_year", sa.Integer(), nullable=False),
        sa.Column("birthday_on", sa.Date(), nullable=False),
        sa.Column("checkout_id", ID, nullable=False),
        sa.Column("card_id", ID, nullable=True),
        sa.Column("store_id", ID, nullable=True),
        sa.Column("discount_fen", sa.Integer(), nullable=False),
        sa.Column("gift_name", sa.String(length=60), nullable=False),
        sa.Column("gift_line_no", sa.Integer(), nullable=True),
        sa.Column("granted", JSON, nullable=True),
        sa.Column("used_at", TIME, nullable=False),
        sa.Column("released_at", TIME, nullable=True),
        sa.CheckConstraint("discount_fen >= 0",
                           name=op.f("ck_birthday_benefit_uses_discount_not_negative")),
        _fk("merchant_id", "merchants"),
        _fk("member_id", "members"),
        _fk("checkout_id", "checkouts"),
        _fk("card_id", "cards"),
        _fk("store_id", "stores"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_birthday_benefit_uses")),
    )
    op.create_index(op.f("ix_birthday_benefit_uses_checkout_id"), "birthday_benefit_uses",
                    ["checkout_id"])
    op.create_index("ix_birthday_benefit_uses_merchant_time", "birthday_benefit_uses",
                    ["merchant_id", "used_at"])
    op.create_index("uq_birthday_benefit_uses_open", "birthday_benefit_uses",
                    ["merchant_id", "member_id", "benefit_year"], unique=True,
                    sqlite_where=sa.text("released_at IS NULL"),
                    postgresql_where=sa.text("released_at IS NULL"))


def downgrade() -> None:
    op.drop_table("birthday_benefit_uses")
