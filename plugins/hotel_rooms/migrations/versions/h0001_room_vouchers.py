"""hotel_rooms plugin: room vouchers (H1, H2, H4)

The first revision of the ``hotel_rooms`` branch: a new base that depends on the core's 0002
(merchants, cards, staff, ledger transactions), so ``huika init`` creates it after the core.

Revision ID: h0001
Revises:
Create Date: 2026-11-23 18:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "h0001"
down_revision = None
branch_labels = ("hotel_rooms",)
depends_on = "0002"

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLE = "hotel_room_vouchers"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("card_id", ID, nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("room_type", sa.String(length=20), nullable=True),
        sa.Column("face_value_fen", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("once_key", sa.String(length=80), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("issue_transaction_id", ID, nullable=False),
        sa.Column("used_transaction_id", ID, nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stay_date", sa.Date(), nullable=True),
        sa.Column("room_no", sa.String(length=10), nullable=False),
        sa.Column("guest_name", sa.String(length=40), nullable=False),
        sa.Column("used_by_staff_id", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('room', 'e_voucher')", name=op.f("ck_hotel_room_vouchers_kind")),
        sa.CheckConstraint("status IN ('active', 'redeemed', 'expired')",
                           name=op.f("ck_hotel_room_vouchers_status")),
        sa.CheckConstraint("reason IN ('card_issued', 'card_upgrade', 'birthday', 'campaign', "
                           "'manual', 'benefit')", name=op.f("ck_hotel_room_vouchers_reason")),
        sa.CheckConstraint("(kind = 'room' AND room_type IS NOT NULL AND face_value_fen = 0) OR "
                           "(kind = 'e_voucher' AND room_type IS NULL AND face_value_fen >= 1)",
                           name=op.f("ck_hotel_room_vouchers_kind_fields")),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"],
                                name=op.f("fk_hotel_room_vouchers_merchant_id_merchants")),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"], name=op.f("fk_hotel_room_vouchers_card_id_cards")),
        sa.ForeignKeyConstraint(["issue_transaction_id"], ["ledger_transactions.id"],
                                name=op.f("fk_hotel_room_vouchers_issue_transaction_id_ledger_transactions")),
        sa.ForeignKeyConstraint(["used_transaction_id"], ["ledger_transactions.id"],
                                name=op.f("fk_hotel_room_vouchers_used_transaction_id_ledger_transactions")),
        sa.ForeignKeyConstraint(["used_by_staff_id"], ["staff.id"],
                                name=op.f("fk_hotel_room_vouchers_used_by_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotel_room_vouchers")),
        sa.UniqueConstraint("code", name=op.f("uq_hotel_room_vouchers_code")),
        sa.UniqueConstraint("merchant_id", "once_key", name=op.f("uq_hotel_room_vouchers_merchant_id_once_key")),
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hotel_room_vouchers_card_id"), ["card_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_hotel_room_vouchers_merchant_id"), ["merchant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hotel_room_vouchers_merchant_id"))
        batch_op.drop_index(batch_op.f("ix_hotel_room_vouchers_card_id"))
    op.drop_table(TABLE)
