"""messages: outbox states and attempts, templates, channels, opt-outs, policy (issue 14, item 4)

``outbox`` grows what a dispatcher needs (member, kind, occasion, campaign, template,
attempts, next try, lease, last error, provider id) and a unique key per (merchant, member,
kind, occasion, channel). Rows queued before this version were never sent by anything (the
login codes only logged them): they become ``dead`` so upgrading never sends stale codes.

Revision ID: 0015c
Revises: 0015e
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0015c"
down_revision = "0015e"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("member_id", ID, nullable=True))
        batch_op.add_column(sa.Column("kind", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("occasion", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("campaign_id", ID, nullable=True))
        batch_op.add_column(sa.Column("template", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("subject", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("variables", JSON, nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("next_attempt_at", WHEN, nullable=True))
        batch_op.add_column(sa.Column("lease_until", WHEN, nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("provider_message_id", sa.String(length=120), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_outbox_member_id_members"), "members",
                                    ["member_id"], ["id"])
        batch_op.create_check_constraint(batch_op.f("ck_outbox_attempts_not_negative"),
                                         "attempts >= 0")
        batch_op.create_index(batch_op.f("ix_outbox_member_id"), ["member_id"], unique=False)
        batch_op.create_index("uq_outbox_occasion",
                              ["merchant_id", "member_id", "kind", "occasion", "channel"], unique=True)
        batch_op.create_index("ix_outbox_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index("ix_outbox_merchant_created", ["merchant_id", "created_at"], unique=False)
        batch_op.create_index("ix_outbox_campaign", ["campaign_id"], unique=False)
    op.execute("UPDATE outbox SET status = 'dead', "
               "last_error = 'queued before messages were dispatched (0015c): not sent' "
               "WHERE status = 'queued'")

    op.create_table("message_attempts",
    sa.Column("id", ID, nullable=False),
    sa.Column("outbox_id", ID, nullable=False),
    sa.Column("merchant_id", ID, nullable=False),
    sa.Column("attempted_at", WHEN, nullable=False),
    sa.Column("sender", sa.String(length=40), nullable=False),
    sa.Column("outcome", sa.String(length=12), nullable=False),
    sa.Column("error", sa.Text(), nullable=True),
    sa.Column("latency_ms", sa.Integer(), nullable=True),
    sa.Column("provider_message_id", sa.String(length=120), nullable=True),
    sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"], name=op.f("fk_message_attempts_merchant_id_merchants")),
    sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"], name=op.f("fk_message_attempts_outbox_id_outbox")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_message_attempts"))
    )
    with op.batch_alter_table("message_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_attempts_outbox_id"), ["outbox_id"], unique=False)

    op.create_table("message_templates",
    sa.Column("id", ID, nullable=False),
    sa.Column("merchant_id", ID, nullable=False),
    sa.Column("kind", sa.String(length=40), nullable=False),
    sa.Column("channel", sa.String(length=20), nullable=False),
    sa.Column("language", sa.String(length=8), nullable=False),
    sa.Column("subject", sa.String(length=200), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("updated_at", WHEN, nullable=False),
    sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"], name=op.f("fk_message_templates_merchant_id_merchants")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_message_templates")),
    sa.UniqueConstraint("merchant_id", "kind", "channel", "language",
                        name=op.f("uq_message_templates_merchant_id_kind_channel_language"))
    )
    op.create_table("message_channels",
    sa.Column("id", ID, nullable=False),
    sa.Column("merchant_id", ID, nullable=False),
    sa.Column("channel", sa.String(length=20), nullable=False),
    sa.Column("sender", sa.String(length=40), nullable=False),
    sa.Column("enabled", sa.Boolean(), nullable=False),
    sa.Column("settings", JSON, nullable=False),
    sa.Column("secrets", JSON, nullable=False),
    sa.Column("updated_at", WHEN, nullable=False),
    sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"], name=op.f("fk_message_channels_merchant_id_merchants")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_message_channels")),
    sa.UniqueConstraint("merchant_id", "channel", name=op.f("uq_message_channels_merchant_id_channel"))
    )
    op.create_table("message_policies",
    sa.Column("merchant_id", ID, nullable=False),
    sa.Column("quiet_start", sa.String(length=5), nullable=False),
    sa.Column("quiet_end", sa.String(length=5), nullable=False),
    sa.Column("daily_cap", sa.Integer(), nullable=False),
    sa.Column("max_attempts", sa.Integer(), nullable=False),
    sa.Column("language", sa.String(length=8), nullable=False),
    sa.Column("updated_at", WHEN, nullable=False),
    sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"], name=op.f("fk_message_policies_merchant_id_merchants")),
    sa.PrimaryKeyConstraint("merchant_id", name=op.f("pk_message_policies"))
    )
    op.create_table("message_optouts",
    sa.Column("id", ID, nullable=False),
    sa.Column("merchant_id", ID, nullable=False),
    sa.Column("member_id", ID, nullable=False),
    sa.Column("channel", sa.String(length=20), nullable=False),
    sa.Column("source", sa.String(length=20), nullable=False),
    sa.Column("created_at", WHEN, nullable=False),
    sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_message_optouts_member_id_members")),
    sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"], name=op.f("fk_message_optouts_merchant_id_merchants")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_message_optouts")),
    sa.UniqueConstraint("merchant_id", "member_id", "channel", name=op.f("uq_message_optouts_merchant_id_member_id_channel"))
    )


def downgrade() -> None:
    op.drop_table("message_optouts")
    op.drop_table("message_policies")
    op.drop_table("message_channels")
    op.drop_table("message_templates")
    with op.batch_alter_table("message_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_attempts_outbox_id"))
    op.drop_table("message_attempts")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_campaign")
        batch_op.drop_index("ix_outbox_merchant_created")
        batch_op.drop_index("ix_outbox_due")
        batch_op.drop_index("uq_outbox_occasion")
        batch_op.drop_index(batch_op.f("ix_outbox_member_id"))
        batch_op.drop_constraint(batch_op.f("ck_outbox_attempts_not_negative"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_outbox_member_id_members"), type_="foreignkey")
        for column in ("provider_message_id", "last_error", "lease_until", "next_attempt_at",
                       "attempts", "variables", "subject", "template", "campaign_id", "occasion",
                       "kind", "member_id"):
            batch_op.drop_column(column)
