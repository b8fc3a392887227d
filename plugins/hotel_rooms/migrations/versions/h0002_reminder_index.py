"""hotel_rooms plugin: an index for voucher reminders (issue 14)

``ix_hotel_room_vouchers_expiry`` (merchant_id, status, expires_on): the ``voucher_expiry``
reminder reads active vouchers ending in a window by range.

Revision ID: h0002
Revises: h0001
Create Date: 2026-12-06 07:00:00
"""
from alembic import op

revision = "h0002"
down_revision = "h0001"
branch_labels = None
depends_on = "0002"


def upgrade() -> None:
    op.create_index("ix_hotel_room_vouchers_expiry", "hotel_room_vouchers", ["merchant_id", "status", "expires_on"])


def downgrade() -> None:
    op.drop_index("ix_hotel_room_vouchers_expiry", table_name="hotel_room_vouchers")
