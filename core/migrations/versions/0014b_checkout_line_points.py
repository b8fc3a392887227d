"""checkout lines keep their points rule (issue 13, goods: P2, P8)

``checkout_lines.points_permille``: the share of the line's paid amount that earns points
(1000 normal, 0 none, 2000 double), from the catalogue product's points rule. Kept on the
line so a return recomputes the kept lines' points with the rule of the sale. Every line
written before is a normal line (server default 1000).

Revision ID: 0014b
Revises: 0014a
"""
from alembic import op
import sqlalchemy as sa

revision = "0014b"
down_revision = "0014a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("checkout_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("points_permille", sa.Integer(), nullable=False,
                                      server_default=sa.text("1000")))


def downgrade() -> None:
    with op.batch_alter_table("checkout_lines", schema=None) as batch_op:
        batch_op.drop_column("points_permille")
