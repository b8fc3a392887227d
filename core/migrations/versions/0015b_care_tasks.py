"""care tasks: the staff inbox (issue 14 item 2)

``care_tasks``: one member-care task per reminder happening (merchant, member, kind, occasion),
worked by staff (open, done, snoozed), with its note and who handled it. ``care_days``: the
merchant-local days already filled from the reminders.

Revision ID: 0015b
Revises: 0015a
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0015b"
down_revision = "0015a"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "care_tasks",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("merchant_id", BIG_ID, nullable=False),
        sa.Column("store_id", BIG_ID, nullable=True),
        sa.Column("member_id", BIG_ID, nullable=False),
        sa.Column("card_id", BIG_ID, nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("occasion", sa.String(length=120), nullable=False),
        sa.Column("facts", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                  nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("snoozed_until", sa.Date(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("handled_by", BIG_ID, nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('open', 'done', 'snoozed')", name=op.f("ck_care_tasks_status")),
        sa.CheckConstraint("status != 'snoozed' OR snoozed_until IS NOT NULL",
                           name=op.f("ck_care_tasks_snoozed_has_date")),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"], name=op.f("fk_care_tasks_merchant_id_merchants")),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_care_tasks_store_id_stores")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_care_tasks_member_id_members")),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"], name=op.f("fk_care_tasks_card_id_cards")),
        sa.ForeignKeyConstraint(["handled_by"], ["staff.id"], name=op.f("fk_care_tasks_handled_by_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_tasks")),
        sa.UniqueConstraint("merchant_id", "member_id", "kind", "occasion",
                            name=op.f("uq_care_tasks_merchant_id_member_id_kind_occasion")),
    )
    op.create_index("ix_care_tasks_merchant_due", "care_tasks", ["merchant_id", "due_on", "store_id"])
    op.create_table(
        "care_days",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("merchant_id", BIG_ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("tasks", sa.Integer(), nullable=False),
        sa.Column("filled_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"], name=op.f("fk_care_days_merchant_id_merchants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_days")),
        sa.UniqueConstraint("merchant_id", "day", name=op.f("uq_care_days_merchant_id_day")),
    )


def downgrade() -> None:
    op.drop_table("care_days")
    op.drop_index("ix_care_tasks_merchant_due", table_name="care_tasks")
    op.drop_table("care_tasks")
