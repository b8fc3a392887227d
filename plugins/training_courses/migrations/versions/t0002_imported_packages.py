"""training_courses plugin: packages imported from another system have no checkout

A package sold here points at the checkout line that sold it; one imported from the old
system (issue 12, item 9) was sold there, so ``training_packages.checkout_id`` may be NULL.
SQLite cannot drop NOT NULL in place: the table is rebuilt in batch mode.

Revision ID: t0002
Revises: t0001
"""
from alembic import op
import sqlalchemy as sa

revision = "t0002"
down_revision = "t0001"
branch_labels = None
depends_on = "0002"

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("training_packages", schema=None) as batch_op:
        batch_op.alter_column("checkout_id", existing_type=ID, nullable=True)


def downgrade() -> None:
    # Imported packages have no checkout to point at: they cannot survive the old schema.
    op.execute(sa.text("DELETE FROM training_packages WHERE checkout_id IS NULL"))
    with op.batch_alter_table("training_packages", schema=None) as batch_op:
        batch_op.alter_column("checkout_id", existing_type=ID, nullable=False)
