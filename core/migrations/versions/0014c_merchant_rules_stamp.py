"""merchants.rules_stamp: a counter bumped when a plugin's rule rows change (issue 11)

Plugins derive per-merchant facts from their own rule rows (e.g. whether any coupon template
issues on checkout). The stamp is read with the published configuration's stamp, in the
statement every checkout already runs, so those facts can be cached and a checkout skips the
query when nothing could apply.

Revision ID: 0014c
Revises: 0014b
"""
from alembic import op
import sqlalchemy as sa

revision = "0014c"
down_revision = "0014b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rules_stamp", sa.BigInteger(), nullable=False,
                                      server_default=sa.text("0")))


def downgrade() -> None:
    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.drop_column("rules_stamp")
