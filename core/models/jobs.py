"""One row per job and scheduled run: unique constraints make each scheduled run happen once.

``scheduled_for`` is the exact instant the run was due (UTC): a daily job's local day at its
hour and minute, an interval job's slot (a multiple of its interval since the Unix epoch).
``period`` names the same run for people: the merchant-local date of a daily job (unique too,
so a job whose hour changed does not run twice that day), the local time of an interval slot.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, JsonDocument, UtcDateTime, utcnow


class JobRun(Base):
    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job_id", "period"), UniqueConstraint("job_id", "scheduled_for"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job_id: Mapped[str] = mapped_column(String(80))
    period: Mapped[str] = mapped_column(String(20))  # local date (daily) or local time (interval)
    scheduled_for: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(12), default="running")  # running, done, failed
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    error: Mapped[str | None] = mapped_column(Text)  # the last failed attempt's errors
    retry_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # a failed run's next try
    summary: Mapped[dict] = mapped_column(JsonDocument, default=dict)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
