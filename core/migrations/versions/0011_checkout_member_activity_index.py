"""member reports (issue 12, X3/G4): an index that holds each member's purchases

``ix_checkouts_member_activity`` on checkouts (merchant_id, member_id, created_at,
due_total_fen, store_id): member_rfm, tier_advice and top_members aggregate a merchant's
checkouts per member from it alone (a covering index: no table reads), in member order (no
sort), for one store too. At a million members this is the difference between reading the
table in random order and one sequential pass over the index.

Revision ID: 0011
Revises: 0010
"""
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COLUMNS = ["merchant_id", "member_id", "created_at", "due_total_fen", "store_id"]


def upgrade() -> None:
    op.create_index("ix_checkouts_member_activity", "checkouts", COLUMNS, unique=False)


def downgrade() -> None:
    op.drop_index("ix_checkouts_member_activity", table_name="checkouts")
