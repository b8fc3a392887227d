"""The audit log: who changed what, when and from where. Rows are never updated or deleted
(database triggers, migration 0007), like ledger entries."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, JsonDocument, UtcDateTime, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_merchant_created", "merchant_id", "created_at"),
        Index("ix_audit_entries_merchant_action", "merchant_id", "action"),
        Index("ix_audit_entries_merchant_target", "merchant_id", "target"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # Who: the staff user (None for an operator at the command line) and the name they had.
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    staff_username: Mapped[str] = mapped_column(String(60), default="")
    # From where: api / web / cli, the client's address and browser (or program).
    channel: Mapped[str] = mapped_column(String(10))
    client_ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    # What: a dotted action name, what it was done to ("card:8123…"), the state around it.
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(120), default="")
    before: Mapped[dict | list | None] = mapped_column(JsonDocument, nullable=True)
    after: Mapped[dict | list | None] = mapped_column(JsonDocument, nullable=True)
