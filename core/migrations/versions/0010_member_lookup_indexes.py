"""member lookups (issue 11, F4): phone_last4, code-point name order, their indexes

- ``members.phone_last4``: a generated column, the last four digits of the phone (the
  cashier's "手机尾号?"), indexed per merchant with the id (pages in id order from the index).
  VIRTUAL on SQLite (ALTER TABLE cannot add a STORED one; the index holds the values),
  STORED on PostgreSQL (which indexes only stored generated columns). The database computes
  it for every row, existing ones included: nothing to backfill, nothing can drift.
- ``members.name`` collates "C" on PostgreSQL: code-point order, as SQLite's BINARY, so a
  name-prefix range uses ``ix_members_merchant_name`` on both and sorts alike; that index
  now ends with the id, so a page in (name, id) order comes from the index, unsorted.

Exact phone and card number already have their per-merchant unique indexes
(uq_members_merchant_id_phone, uq_cards_merchant_id_number).

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

LAST4 = "substr(phone, length(phone) - 3)"


def upgrade() -> None:
    op.drop_index("ix_members_merchant_name", table_name="members")  # rebuilt once, below
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE members ADD COLUMN phone_last4 VARCHAR(4) "
                   f"GENERATED ALWAYS AS ({LAST4}) STORED")
        op.execute('ALTER TABLE members ALTER COLUMN name TYPE VARCHAR(60) COLLATE "C"')
    else:
        op.execute(f"ALTER TABLE members ADD COLUMN phone_last4 VARCHAR(4) "
                   f"GENERATED ALWAYS AS ({LAST4}) VIRTUAL")
    op.create_index("ix_members_merchant_phone_last4", "members",
                    ["merchant_id", "phone_last4", "id"], unique=False)
    op.create_index("ix_members_merchant_name", "members", ["merchant_id", "name", "id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_members_merchant_name", table_name="members")
    op.create_index("ix_members_merchant_name", "members", ["merchant_id", "name"], unique=False)
    op.drop_index("ix_members_merchant_phone_last4", table_name="members")
    if op.get_bind().dialect.name == "postgresql":
        op.execute('ALTER TABLE members ALTER COLUMN name TYPE VARCHAR(60) COLLATE "default"')
        op.execute("ALTER TABLE members DROP COLUMN phone_last4")
    else:
        # SQLite drops a generated column in place (3.35+), with the index gone first.
        op.execute("ALTER TABLE members DROP COLUMN phone_last4")
