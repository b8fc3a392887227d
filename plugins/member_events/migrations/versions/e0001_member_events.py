"""member_events plugin: events and registrations (issue 14, item 6, E1)

The first revision of the ``member_events`` branch, on the core's tables (merchants, stores,
staff, members, cards).

Revision ID: e0001
Revises:
Create Date: 2026-12-06 06:30:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "e0001"
down_revision = None
branch_labels = ("member_events",)
depends_on = "0002"

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)


def _fk(table, column, target):
    return sa.ForeignKeyConstraint([column], [f"{target}.id"],
                                   name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        "member_events",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("store_id", ID, nullable=True),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("place", sa.String(length=120), nullable=False),
        sa.Column("starts_at", TIME, nullable=False),
        sa.Column("ends_at", TIME, nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("taken", sa.Integer(), nullable=False),
        sa.Column("waitlist", sa.Boolean(), nullable=False),
        sa.Column("signup_opens_at", TIME, nullable=True),
        sa.Column("signup_closes_at", TIME, nullable=True),
        sa.Column("tiers", JSON, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("created_by_staff_id", ID, nullable=True),
        sa.Column("cancelled_at", TIME, nullable=True),
        sa.Column("cancel_reason", sa.String(length=200), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'open', 'closed', 'cancelled')",
                           name=op.f("ck_member_events_status")),
        sa.CheckConstraint("capacity >= 1 AND taken >= 0 AND taken <= capacity",
                           name=op.f("ck_member_events_seats")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_member_events_times")),
        _fk("member_events", "merchant_id", "merchants"),
        _fk("member_events", "store_id", "stores"),
        _fk("member_events", "created_by_staff_id", "staff"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_events")),
    )
    op.create_index("ix_member_events_merchant_starts", "member_events", ["merchant_id", "starts_at"])
    op.create_table(
        "member_event_registrations",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("event_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("card_id", ID, nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("registered_at", TIME, nullable=False),
        sa.Column("staff_id", ID, nullable=True),
        sa.Column("store_id", ID, nullable=True),
        sa.Column("cancelled_at", TIME, nullable=True),
        sa.Column("checked_in_at", TIME, nullable=True),
        sa.Column("checked_in_by_staff_id", ID, nullable=True),
        sa.CheckConstraint("status IN ('registered', 'waitlisted', 'cancelled')",
                           name=op.f("ck_member_event_registrations_status")),
        sa.CheckConstraint("channel IN ('till', 'portal', 'api')",
                           name=op.f("ck_member_event_registrations_channel")),
        sa.CheckConstraint("checked_in_at IS NULL OR status = 'registered'",
                           name=op.f("ck_member_event_registrations_checked_in")),
        _fk("member_event_registrations", "merchant_id", "merchants"),
        _fk("member_event_registrations", "event_id", "member_events"),
        _fk("member_event_registrations", "member_id", "members"),
        _fk("member_event_registrations", "card_id", "cards"),
        _fk("member_event_registrations", "staff_id", "staff"),
        _fk("member_event_registrations", "store_id", "stores"),
        _fk("member_event_registrations", "checked_in_by_staff_id", "staff"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_event_registrations")),
        sa.UniqueConstraint("event_id", "member_id",
                            name=op.f("uq_member_event_registrations_event_id_member_id")),
    )
    op.create_index("ix_member_event_registrations_member", "member_event_registrations",
                    ["merchant_id", "member_id", "status"])
    op.create_index("ix_member_event_registrations_event_status", "member_event_registrations",
                    ["event_id", "status"])


def downgrade() -> None:
    op.drop_table("member_event_registrations")
    op.drop_table("member_events")
