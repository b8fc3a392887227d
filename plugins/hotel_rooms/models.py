"""The hotel plugin's own table: one row per voucher (H1, H2, H4).

The ledger counts vouchers (asset ``room_vouchers``: card account +1 per voucher, merchant
``issued`` account as counterpart); this table says which voucher is which: its unguessable
code (the QR code), room type or e-voucher face value, expiry, status, the card holding it
and why it was issued. A voucher is used once: ``status`` moves from ``active`` with a guarded
``UPDATE ... WHERE status = 'active'``, so two desks scanning one code cannot both succeed.

``once_key`` makes an issue happen once: ``birthday:<member id>:<year>`` for the birthday
suite (H1). Rows carry their ``merchant_id`` and every query is scoped by it.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base
from core.models.base import BigId, UtcDateTime, utcnow

KINDS = ("room", "e_voucher")
STATUSES = ("active", "redeemed", "expired")
REASONS = ("card_issued", "card_upgrade", "birthday", "campaign", "manual", "benefit")


class RoomVoucher(Base):
    __tablename__ = "hotel_room_vouchers"
    __table_args__ = (
        UniqueConstraint("code"),
        UniqueConstraint("merchant_id", "once_key"),
        CheckConstraint("kind IN ('room', 'e_voucher')", name="kind"),
        CheckConstraint("status IN ('active', 'redeemed', 'expired')", name="status"),
        CheckConstraint("reason IN ('card_issued', 'card_upgrade', 'birthday', 'campaign', "
                        "'manual', 'benefit')", name="reason"),
        CheckConstraint("(kind = 'room' AND room_type IS NOT NULL AND face_value_fen = 0) OR "
                        "(kind = 'e_voucher' AND room_type IS NULL AND face_value_fen >= 1)",
                        name="kind_fields"),
        # Reminders of vouchers about to expire (issue 14, migration h0002).
        Index("ix_hotel_room_vouchers_expiry", "merchant_id", "status", "expires_on"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(10))
    room_type: Mapped[str | None] = mapped_column(String(20))
    face_value_fen: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(10), default="active")
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(200), default="")
    once_key: Mapped[str | None] = mapped_column(String(80))
    issued_on: Mapped[date] = mapped_column(Date)  # the merchant's local date
    expires_on: Mapped[date] = mapped_column(Date)  # last local day it can be used
    issue_transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"))
    used_transaction_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"))
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    stay_date: Mapped[date | None] = mapped_column(Date)
    room_no: Mapped[str] = mapped_column(String(10), default="")
    guest_name: Mapped[str] = mapped_column(String(40), default="")
    used_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
