"""points plugin: a mall item may be a benefit another plugin gives (a coupon, issue 13)

The nullable JSON column ``benefit`` (e.g. ``{"kind": "coupon", "template_id": 3}``): buying
the item gives that benefit once per unit through core.benefits, in the same transaction.

Revision ID: p0003
Revises: p0002
Create Date: 2026-12-06 03:40:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "p0003"
down_revision = "p0002"
branch_labels = None
depends_on = "0002"

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("points_mall_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("benefit", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("points_mall_items", schema=None) as batch_op:
        batch_op.drop_column("benefit")
