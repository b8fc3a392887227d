"""training_courses plugin: indexes for package reminders (issue 14)

``ix_training_packages_expiry`` (merchant_id, status, valid_to) and
``ix_training_packages_units`` (merchant_id, status, units_left): the ``package_expiry``
reminder reads active packages ending in a window, and count packages running low, by range.

Revision ID: t0003
Revises: t0002
Create Date: 2026-12-06 07:00:00
"""
from alembic import op

revision = "t0003"
down_revision = "t0002"
branch_labels = None
depends_on = "0002"


def upgrade() -> None:
    op.create_index("ix_training_packages_expiry", "training_packages", ["merchant_id", "status", "valid_to"])
    op.create_index("ix_training_packages_units", "training_packages", ["merchant_id", "status", "units_left"])


def downgrade() -> None:
    op.drop_index("ix_training_packages_units", table_name="training_packages")
    op.drop_index("ix_training_packages_expiry", table_name="training_packages")
