"""unique merchant accounts per (merchant, purpose, asset)

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No duplicates can exist on SQLite (one writer); on PostgreSQL concurrent first use could
    # have made two rows for one merchant account. A fresh install has none; refuse loudly
    # rather than merge money silently if an existing database does.
    duplicates = op.get_bind().execute(sa.text(
        "SELECT merchant_id, purpose, asset FROM accounts WHERE owner = 'merchant' "
        "GROUP BY merchant_id, purpose, asset HAVING count(*) > 1")).fetchall()
    if duplicates:
        raise RuntimeError(f"duplicate merchant accounts must be merged first: {duplicates}")
    op.create_index("uq_accounts_merchant_purpose_asset", "accounts",
                    ["merchant_id", "purpose", "asset"], unique=True,
                    postgresql_where=sa.text("owner = 'merchant'"),
                    sqlite_where=sa.text("owner = 'merchant'"))


def downgrade() -> None:
    op.drop_index("uq_accounts_merchant_purpose_asset", table_name="accounts")
