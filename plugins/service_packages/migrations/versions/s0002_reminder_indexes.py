"""service_packages plugin: indexes for package reminders (issue 14)

``ix_service_packages_expiry`` (merchant_id, status, valid_to) and
``ix_service_packages_sessions`` (merchant_id, status, sessions_left): the ``package_expiry``
reminder reads active packages ending in a window, and count cards running low, by range.

Revision ID: s0002
Revises: s0001
Create Date: 2026-12-06 07:00:00
"""
from alembic import op

revision = "s0002"
down_revision = "s0001"
branch_labels = None
depends_on = "0002"


def upgrade() -> None:
    op.create_index("ix_service_packages_expiry", "service_packages", ["merchant_id", "status", "valid_to"])
    op.create_index("ix_service_packages_sessions", "service_packages", ["merchant_id", "status", "sessions_left"])


def downgrade() -> None:
    op.drop_index("ix_service_packages_sessions", table_name="service_packages")
    op.drop_index("ix_service_packages_expiry", table_name="service_packages")
