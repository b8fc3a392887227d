"""coupons plugin: an index for coupon reminders (issue 14)

``ix_coupons_expiry`` (merchant_id, status, valid_until): the ``voucher_expiry`` reminder
reads issued coupons ending in a window by range.

Revision ID: c0002
Revises: c0001
Create Date: 2026-12-06 07:00:00
"""
from alembic import op

revision = "c0002"
down_revision = "c0001"
branch_labels = None
depends_on = "0002"


def upgrade() -> None:
    op.create_index("ix_coupons_expiry", "coupons", ["merchant_id", "status", "valid_until"])


def downgrade() -> None:
    op.drop_index("ix_coupons_expiry", table_name="coupons")
