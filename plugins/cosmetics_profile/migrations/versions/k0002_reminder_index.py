"""cosmetics_profile plugin: an index for purchase-cycle reminders (issue 14)

``ix_cosmetics_follow_ups_due`` (merchant_id, kind, status, due_on): the ``purchase_cycle``
reminder reads planned running-out follow-ups due by a day, by range.

Revision ID: k0002
Revises: k0001
Create Date: 2026-12-06 07:00:00
"""
from alembic import op

revision = "k0002"
down_revision = "k0001"
branch_labels = None
depends_on = "0002"


def upgrade() -> None:
    op.create_index("ix_cosmetics_follow_ups_due", "cosmetics_follow_ups", ["merchant_id", "kind", "status", "due_on"])


def downgrade() -> None:
    op.drop_index("ix_cosmetics_follow_ups_due", table_name="cosmetics_follow_ups")
