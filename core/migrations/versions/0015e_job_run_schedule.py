"""job runs keyed by their exact scheduled time, with attempts and errors (issue 14, item 7)

``job_runs.scheduled_for``: the UTC instant the run was due (a daily job's local day at its
hour, an interval job's slot), unique per job next to the existing ``(job_id, period)``;
``attempts``, ``error`` and ``retry_at`` record failed runs and when the scheduler tries
again. Rows written before name only their local day: they get that day's local midnight
(their ``period`` still keeps the day from running twice).

Revision ID: 0015e
Revises: 0014c
"""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0015e"
down_revision = "0014c"
branch_labels = None
depends_on = None

MERCHANT_TZ = ZoneInfo("Asia/Shanghai")  # core.clock's; a migration keeps its own copy


def upgrade() -> None:
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("1")))
        batch_op.add_column(sa.Column("error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True))
    _date_old_runs()
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.alter_column("scheduled_for", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column("attempts", existing_type=sa.Integer(), server_default=None)
        batch_op.create_unique_constraint(op.f("uq_job_runs_job_id_scheduled_for"), ["job_id", "scheduled_for"])


def _date_old_runs() -> None:
    connection = op.get_bind()
    runs = sa.table("job_runs", sa.column("id"), sa.column("period"),
                    sa.column("scheduled_for", sa.DateTime(timezone=True)))
    for run_id, period in connection.execute(sa.select(runs.c.id, runs.c.period)).all():
        try:
            day = date.fromisoformat(period[:10])
        except ValueError:
            day = date(2000, 1, 1)
        midnight = datetime(day.year, day.month, day.day, tzinfo=MERCHANT_TZ).astimezone(timezone.utc)
        connection.execute(sa.update(runs).where(runs.c.id == run_id).values(scheduled_for=midnight))


def downgrade() -> None:
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_job_runs_job_id_scheduled_for"), type_="unique")
        batch_op.drop_column("retry_at")
        batch_op.drop_column("error")
        batch_op.drop_column("attempts")
        batch_op.drop_column("scheduled_for")
