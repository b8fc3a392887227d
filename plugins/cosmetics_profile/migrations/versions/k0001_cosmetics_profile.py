"""cosmetics_profile plugin: profile history, member classes, follow-ups (K1-K3)

The first revision of the ``cosmetics_profile`` branch: a new base that depends on the core's
0002 (merchants, staff, members, checkouts), so ``huika init`` creates it after the core's
tables and a downgrade to base drops it first.

Revision ID: k0001
Revises:
Create Date: 2026-11-23 17:30:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "k0001"
down_revision = None
branch_labels = ("cosmetics_profile",)
depends_on = "0002"

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "cosmetics_profile_changes",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("field", sa.String(length=60), nullable=False),
        sa.Column("old_value", JSON, nullable=True),
        sa.Column("new_value", JSON, nullable=True),
        sa.Column("staff_id", ID, nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"],
                                name=op.f("fk_cosmetics_profile_changes_member_id_members")),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"],
                                name=op.f("fk_cosmetics_profile_changes_merchant_id_merchants")),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"],
                                name=op.f("fk_cosmetics_profile_changes_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cosmetics_profile_changes")),
    )
    with op.batch_alter_table("cosmetics_profile_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cosmetics_profile_changes_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cosmetics_profile_changes_merchant_id"), ["merchant_id"], unique=False)

    op.create_table(
        "cosmetics_member_classes",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("member_class", sa.String(length=1), nullable=False),
        sa.Column("spend_fen", sa.BigInteger(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("member_class IN ('a', 'b', 'c')",
                           name=op.f("ck_cosmetics_member_classes_member_class")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"],
                                name=op.f("fk_cosmetics_member_classes_member_id_members")),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"],
                                name=op.f("fk_cosmetics_member_classes_merchant_id_merchants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cosmetics_member_classes")),
        sa.UniqueConstraint("merchant_id", "member_id",
                            name=op.f("uq_cosmetics_member_classes_merchant_id_member_id")),
    )
    with op.batch_alter_table("cosmetics_member_classes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cosmetics_member_classes_merchant_id"), ["merchant_id"], unique=False)

    op.create_table(
        "cosmetics_follow_ups",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("outcome", sa.String(length=500), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("product_group", sa.String(length=40), nullable=True),
        sa.Column("source_checkout_id", ID, nullable=True),
        sa.Column("planned_by_staff_id", ID, nullable=True),
        sa.Column("staff_id", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("channel IN ('in_store', 'phone', 'sms', 'mail', 'online', 'event')",
                           name=op.f("ck_cosmetics_follow_ups_channel")),
        sa.CheckConstraint("kind IN ('manual', 'regular', 'running_out')",
                           name=op.f("ck_cosmetics_follow_ups_kind")),
        sa.CheckConstraint("status <> 'planned' OR due_on IS NOT NULL",
                           name=op.f("ck_cosmetics_follow_ups_planned_has_due_date")),
        sa.CheckConstraint("status IN ('planned', 'done', 'cancelled')",
                           name=op.f("ck_cosmetics_follow_ups_status")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"],
                                name=op.f("fk_cosmetics_follow_ups_member_id_members")),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"],
                                name=op.f("fk_cosmetics_follow_ups_merchant_id_merchants")),
        sa.ForeignKeyConstraint(["planned_by_staff_id"], ["staff.id"],
                                name=op.f("fk_cosmetics_follow_ups_planned_by_staff_id_staff")),
        sa.ForeignKeyConstraint(["source_checkout_id"], ["checkouts.id"],
                                name=op.f("fk_cosmetics_follow_ups_source_checkout_id_checkouts")),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"],
                                name=op.f("fk_cosmetics_follow_ups_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cosmetics_follow_ups")),
        sa.UniqueConstraint("merchant_id", "member_id", "product_group", "source_checkout_id",
                            name="uq_cosmetics_follow_ups_running_out_once"),
    )
    with op.batch_alter_table("cosmetics_follow_ups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cosmetics_follow_ups_due_on"), ["due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_cosmetics_follow_ups_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cosmetics_follow_ups_merchant_id"), ["merchant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cosmetics_follow_ups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cosmetics_follow_ups_merchant_id"))
        batch_op.drop_index(batch_op.f("ix_cosmetics_follow_ups_member_id"))
        batch_op.drop_index(batch_op.f("ix_cosmetics_follow_ups_due_on"))
    op.drop_table("cosmetics_follow_ups")
    with op.batch_alter_table("cosmetics_member_classes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cosmetics_member_classes_merchant_id"))
    op.drop_table("cosmetics_member_classes")
    with op.batch_alter_table("cosmetics_profile_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cosmetics_profile_changes_merchant_id"))
        batch_op.drop_index(batch_op.f("ix_cosmetics_profile_changes_member_id"))
    op.drop_table("cosmetics_profile_changes")
