"""Request-throttling counters (core.rate_limits), one row per key and fixed window.

They live in the app's own database so that every worker process and every app instance
counts in the same place: memory in one process would let each gunicorn worker allow the
limit again.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UtcDateTime


class RateLimitCounter(Base):
    """Hits counted for ``key`` in the window that ends at ``expires_at``."""

    __tablename__ = "rate_limit_counters"
    __table_args__ = (CheckConstraint("hits >= 0", name="hits_not_negative"),)

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
