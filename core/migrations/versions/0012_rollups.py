"""rollup tables for the money reports (issue 12, item 4)

Day totals of checkouts, returns and the merchant's ledger entries, folded from a watermark
by ``huika rollups fold`` (core.rollups); plus the indexes the fold reads a range of
transactions' checkouts and returns by. Empty at first: the first fold fills them.

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rollup_state",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("folded_through", sa.BigInteger(), nullable=False),
        sa.Column("pending_bound", sa.BigInteger(), nullable=True),
        sa.Column("pending_xid", sa.BigInteger(), nullable=True),
        sa.Column("folded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_rollup_state")),
    )
    op.create_table(
        "rollup_sales_days", *_day_keys(),
        sa.Column("method", sa.String(60), nullable=False),
        *[sa.Column(name, sa.BigInteger(), nullable=False) for name in (
            "gross_fen", "sales_fen", "refunds_fen", "checkouts", "member_checkouts",
            "walk_in_checkouts", "returns")],
        sa.PrimaryKeyConstraint("merchant_id", "day", "store_id", "staff_id", "method",
                                name=op.f("pk_rollup_sales_days")),
    )
    op.create_table(
        "rollup_ledger_days", *_day_keys(),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("entries", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("merchant_id", "day", "store_id", "staff_id", "type", "account_id",
                                name=op.f("pk_rollup_ledger_days")),
    )
    op.create_index("ix_checkouts_transaction_id", "checkouts", ["transaction_id"])
    op.create_index("ix_checkout_returns_transaction_id", "checkout_returns", ["transaction_id"])


def _day_keys() -> list:
    return [sa.Column("merchant_id", sa.BigInteger(), nullable=False),
            sa.Column("day", sa.Date(), nullable=False),
            sa.Column("store_id", sa.BigInteger(), nullable=False),
            sa.Column("staff_id", sa.BigInteger(), nullable=False)]


def downgrade() -> None:
    op.drop_index("ix_checkout_returns_transaction_id", table_name="checkout_returns")
    op.drop_index("ix_checkouts_transaction_id", table_name="checkouts")
    op.drop_table("rollup_ledger_days")
    op.drop_table("rollup_sales_days")
    op.drop_table("rollup_state")
