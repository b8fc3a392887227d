"""Imports from another system (issue 12, item 9): one row per imported file, and the natural
key of every row it brought in, so the same file or the same row is never imported twice."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, JsonDocument, UtcDateTime, utcnow


class ImportBatch(Base):
    """One file imported for real: who, when, what it held and its reconciliation. The opening
    balances it posted are the ledger transaction ``transaction_id`` (none for members/cards)."""

    __tablename__ = "import_batches"
    __table_args__ = (UniqueConstraint("merchant_id", "kind", "file_digest"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    file_digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the file's bytes
    file_name: Mapped[str] = mapped_column(String(200), default="")
    rows_read: Mapped[int] = mapped_column(Integer)
    rows_imported: Mapped[int] = mapped_column(Integer)
    rows_skipped: Mapped[int] = mapped_column(Integer)  # imported by an earlier batch
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    summary: Mapped[dict] = mapped_column(JsonDocument, default=dict)  # the reconciliation
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ImportKey(Base):
    """A row's natural key (phone, card number, card + expiry …) once a batch imported it."""

    __tablename__ = "import_keys"
    __table_args__ = (UniqueConstraint("merchant_id", "kind", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    kind: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(120))
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)
