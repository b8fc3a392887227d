"""imports from another system (issue 12, item 9): import batches and imported row keys

``import_batches``: one row per file imported for real (kind, SHA-256 of the bytes, counts,
the ledger transaction of its opening balances, the reconciliation), unique per merchant,
kind and digest, so the same file is never imported twice. ``import_keys``: the natural key
of each row imported (phone, card number, card + expiry …), unique per merchant and kind,
so a row met again in another file is skipped, not doubled.

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "import_batches",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("file_digest", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_imported", sa.Integer(), nullable=False),
        sa.Column("rows_skipped", sa.Integer(), nullable=False),
        sa.Column("transaction_id", ID, nullable=True),
        sa.Column("staff_id", ID, nullable=True),
        sa.Column("summary", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"],
                                name=op.f("fk_import_batches_merchant_id_merchants")),
        sa.ForeignKeyConstraint(["transaction_id"], ["ledger_transactions.id"],
                                name=op.f("fk_import_batches_transaction_id_ledger_transactions")),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_import_batches_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
        sa.UniqueConstraint("merchant_id", "kind", "file_digest",
                            name=op.f("uq_import_batches_merchant_id_kind_file_digest")),
    )
    op.create_index(op.f("ix_import_batches_merchant_id"), "import_batches", ["merchant_id"])
    op.create_table(
        "import_keys",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("batch_id", ID, nullable=False),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"],
                                name=op.f("fk_import_keys_merchant_id_merchants")),
        sa.ForeignKeyConstraint(["batch_id"], ["import_batches.id"],
                                name=op.f("fk_import_keys_batch_id_import_batches")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_keys")),
        sa.UniqueConstraint("merchant_id", "kind", "key", name=op.f("uq_import_keys_merchant_id_kind_key")),
    )
    op.create_index(op.f("ix_import_keys_batch_id"), "import_keys", ["batch_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_import_keys_batch_id"), table_name="import_keys")
    op.drop_table("import_keys")
    op.drop_index(op.f("ix_import_batches_merchant_id"), table_name="import_batches")
    op.drop_table("import_batches")
