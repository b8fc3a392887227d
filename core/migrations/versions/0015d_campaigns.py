"""campaigns and their recipients (issue 14, item 5)

``campaigns``: a segment, a message, an optional benefit (coupon), a schedule and a status.
``campaign_recipients``: one row per (campaign, member), unique, written with the member's
outbox rows: a retried or concurrent send reaches nobody twice.

Revision ID: 0015d
Revises: 0015c
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0015d"
down_revision = "0015c"  # after main's chain 0014c → 0015e → 0015c
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("segment", JSON, nullable=False),
        sa.Column("message", JSON, nullable=False),
        sa.Column("benefit", JSON, nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("audience", sa.Integer(), nullable=True),
        sa.Column("summary", JSON, nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'scheduled', 'sending', 'sent', 'cancelled')",
                           name=op.f("ck_campaigns_status")),
        sa.CheckConstraint("status <> 'scheduled' OR send_at IS NOT NULL",
                           name=op.f("ck_campaigns_scheduled_has_time")),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"], name=op.f("fk_campaigns_merchant_id_merchants")),
        sa.ForeignKeyConstraint(["created_by"], ["staff.id"], name=op.f("fk_campaigns_created_by_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_index("ix_campaigns_merchant_status", "campaigns", ["merchant_id", "status", "send_at"])
    op.create_table(
        "campaign_recipients",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("benefit_kind", sa.String(length=40), nullable=True),
        sa.Column("benefit_ref", sa.String(length=60), nullable=True),
        sa.Column("benefit_problem", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('queued', 'opted_out', 'no_channel')",
                           name=op.f("ck_campaign_recipients_status")),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"],
                                name=op.f("fk_campaign_recipients_merchant_id_merchants")),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"],
                                name=op.f("fk_campaign_recipients_campaign_id_campaigns")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"],
                                name=op.f("fk_campaign_recipients_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_recipients")),
        sa.UniqueConstraint("campaign_id", "member_id", name=op.f("uq_campaign_recipients_campaign_id_member_id")),
    )
    op.create_index("ix_campaign_recipients_benefit", "campaign_recipients", ["merchant_id", "benefit_ref"])


def downgrade() -> None:
    op.drop_index("ix_campaign_recipients_benefit", table_name="campaign_recipients")
    op.drop_table("campaign_recipients")
    op.drop_index("ix_campaigns_merchant_status", table_name="campaigns")
    op.drop_table("campaigns")
