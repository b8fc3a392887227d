"""points plugin: lucky-wheel prizes given by another plugin (P4, H4)

A prize of kind ``benefit`` carries its definition in the new JSON column ``benefit``
(e.g. ``{"kind": "room_voucher", "room_type": "suite"}``); the kind check accepts the new
kind and a second check ties the column to it. SQLite cannot alter a CHECK constraint, so the
table is rebuilt in batch mode (Alembic copies the rows).

Revision ID: p0002
Revises: p0001
Create Date: 2026-11-23 18:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "p0002"
down_revision = "p0001"
branch_labels = None
# Redundant with p0001's (the branch already runs after the core's 0002), stated again so the
# branch head keeps naming the core revision it needs.
depends_on = "0002"

TABLE = "points_wheel_prizes"
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.add_column(sa.Column("benefit", JSON, nullable=True))
        batch_op.drop_constraint(op.f("ck_points_wheel_prizes_kind"), type_="check")
        batch_op.create_check_constraint("kind", "kind IN ('points', 'gift', 'none', 'benefit')")
        batch_op.create_check_constraint("benefit_match_kind", "(kind = 'benefit') = (benefit IS NOT NULL)")


def downgrade() -> None:
    # Benefit prizes may have been won (spins point at them): keep them as plain gift prizes.
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_points_wheel_prizes_benefit_match_kind"), type_="check")
    op.execute(sa.text(f"UPDATE {TABLE} SET kind = 'gift' WHERE kind = 'benefit'"))
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_points_wheel_prizes_kind"), type_="check")
        batch_op.create_check_constraint("kind", "kind IN ('points', 'gift', 'none')")
        batch_op.drop_column("benefit")
