"""card PIN block: wrong PINs in total since the last right PIN or reset (C6)

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cards") as batch_op:
        batch_op.add_column(sa.Column("pin_failures_total", sa.Integer(), server_default="0",
                                      nullable=False))
        batch_op.add_column(sa.Column("pin_blocked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cards") as batch_op:
        batch_op.drop_column("pin_blocked_at")
        batch_op.drop_column("pin_failures_total")
