"""Merchant configuration: one editable draft and immutable published versions."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, JsonDocument, UtcDateTime, utcnow


class ConfigDraft(Base):
    __tablename__ = "config_drafts"

    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), primary_key=True)
    document: Mapped[dict] = mapped_column(JsonDocument)
    based_on_version: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))


class ConfigVersion(Base):
    """A published configuration; rows are only ever inserted."""

    __tablename__ = "config_versions"
    __table_args__ = (UniqueConstraint("merchant_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict] = mapped_column(JsonDocument)
    note: Mapped[str] = mapped_column(String(200), default="")
    rolled_back_from: Mapped[int | None] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
