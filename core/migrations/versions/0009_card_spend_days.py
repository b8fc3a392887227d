"""card spend per day (issue 11, item 2: running totals for tier qualification, C4)

Tier qualification by cumulative spend summed every checkout and refund of the member's
history; a running total per card and merchant day makes it at most one period's rows.
Backfilled from the checkouts and returns already recorded.

Revision ID: 0009
Revises: 0008
"""
from collections import defaultdict
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

MERCHANT_TZ = ZoneInfo("Asia/Shanghai")  # core.clock.MERCHANT_TZ when this was written


def upgrade() -> None:
    spend_days = op.create_table(
        "card_spend_days",
        sa.Column("card_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("net_fen", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"],
                                name=op.f("fk_card_spend_days_card_id_cards")),
        sa.PrimaryKeyConstraint("card_id", "day", name=op.f("pk_card_spend_days")),
    )
    connection = op.get_bind()
    totals: dict = defaultdict(int)
    sales = connection.execute(sa.text(
        "SELECT card_id, created_at, due_total_fen FROM checkouts WHERE card_id IS NOT NULL"))
    for card_id, created_at, fen in sales:
        totals[(card_id, _local_day(created_at))] += fen
    refunds = connection.execute(sa.text(
        "SELECT c.card_id, c.created_at, r.refund_fen FROM checkout_returns r "
        "JOIN checkouts c ON c.id = r.checkout_id WHERE c.card_id IS NOT NULL"))
    for card_id, created_at, fen in refunds:
        totals[(card_id, _local_day(created_at))] -= fen
    if totals:
        op.bulk_insert(spend_days, [{"card_id": card, "day": day, "net_fen": fen}
                                    for (card, day), fen in sorted(totals.items())])


def _local_day(value):
    if isinstance(value, str):  # SQLite hands back its stored text
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(MERCHANT_TZ).date()


def downgrade() -> None:
    op.drop_table("card_spend_days")
