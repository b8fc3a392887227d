"""service_packages plugin: count and period cards, their uses and revenue recognitions

The first revision of the ``service_packages`` branch: a new base that depends on the core's
0002 (merchants, stores, staff, cards, checkouts, ledger transactions).

Revision ID: s0001
Revises:
Create Date: 2026-12-06 03:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = "s0001"
down_revision = None
branch_labels = ("service_packages",)
depends_on = "0002"

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLES = ("service_package_recognitions", "service_package_uses", "service_packages")


def _fk(table: str, column: str, target: str):
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        "service_packages",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("card_id", ID, nullable=False),
        sa.Column("plan_key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("service", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("checkout_id", ID, nullable=True),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("unit_no", sa.Integer(), nullable=False),
        sa.Column("sessions_total", sa.Integer(), nullable=False),
        sa.Column("sessions_left", sa.Integer(), nullable=False),
        sa.Column("period_days", sa.Integer(), nullable=False),
        sa.Column("max_per_day", sa.Integer(), nullable=False),
        sa.Column("paid_fen", sa.BigInteger(), nullable=False),
        sa.Column("recognised_fen", sa.BigInteger(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('count', 'period')", name=op.f("ck_service_packages_kind")),
        sa.CheckConstraint("status IN ('active', 'expired', 'returned')", name=op.f("ck_service_packages_status")),
        sa.CheckConstraint("sessions_left >= 0 AND sessions_left <= sessions_total",
                           name=op.f("ck_service_packages_sessions_in_range")),
        sa.CheckConstraint("recognised_fen >= 0 AND recognised_fen <= paid_fen",
                           name=op.f("ck_service_packages_recognised_in_range")),
        sa.CheckConstraint("valid_to >= valid_from", name=op.f("ck_service_packages_valid_range")),
        _fk("service_packages", "card_id", "cards"),
        _fk("service_packages", "checkout_id", "checkouts"),
        _fk("service_packages", "merchant_id", "merchants"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_packages")),
        sa.UniqueConstraint("checkout_id", "line_no", "unit_no",
                            name=op.f("uq_service_packages_checkout_id_line_no_unit_no")),
    )
    op.create_index(op.f("ix_service_packages_card_id"), "service_packages", ["card_id"], unique=False)
    op.create_index(op.f("ix_service_packages_merchant_id"), "service_packages", ["merchant_id"], unique=False)
    op.create_table(
        "service_package_uses",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("card_id", ID, nullable=False),
        sa.Column("package_id", ID, nullable=False),
        sa.Column("service", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("revenue_fen", sa.BigInteger(), nullable=False),
        sa.Column("used_on", sa.Date(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("store_id", ID, nullable=True),
        sa.Column("staff_id", ID, nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('done', 'cancelled')", name=op.f("ck_service_package_uses_status")),
        _fk("service_package_uses", "card_id", "cards"),
        _fk("service_package_uses", "merchant_id", "merchants"),
        _fk("service_package_uses", "package_id", "service_packages"),
        _fk("service_package_uses", "staff_id", "staff"),
        _fk("service_package_uses", "store_id", "stores"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_package_uses")),
    )
    for column in ("card_id", "merchant_id", "package_id"):
        op.create_index(op.f(f"ix_service_package_uses_{column}"), "service_package_uses", [column], unique=False)
    op.create_table(
        "service_package_recognitions",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("package_id", ID, nullable=False),
        sa.Column("use_id", ID, nullable=True),
        sa.Column("service", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("recognised_on", sa.Date(), nullable=False),
        sa.Column("transaction_id", ID, nullable=False),
        sa.CheckConstraint("kind IN ('use', 'period', 'breakage')",
                           name=op.f("ck_service_package_recognitions_kind")),
        _fk("service_package_recognitions", "merchant_id", "merchants"),
        _fk("service_package_recognitions", "package_id", "service_packages"),
        _fk("service_package_recognitions", "transaction_id", "ledger_transactions"),
        _fk("service_package_recognitions", "use_id", "service_package_uses"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_package_recognitions")),
    )
    for column in ("merchant_id", "package_id"):
        op.create_index(op.f(f"ix_service_package_recognitions_{column}"), "service_package_recognitions",
                        [column], unique=False)


def downgrade() -> None:
    for table in TABLES:  # dependants first; their indexes go with them
        op.drop_table(table)
