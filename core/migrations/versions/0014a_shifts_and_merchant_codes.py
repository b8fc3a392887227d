"""shifts (交班/日结) and short merchant sign-in codes (issue 13, items 5 and 7)

``shifts``: a staff member's shift at a store, opened with a float and closed once;
``shift_counts``: per payment method, the ledger's figures at the close and the amount
counted; ``shift_notes``: remarks and corrections added later. A closed shift, its counts and
every note are never changed or deleted (triggers, as for ledger entries and the audit log).
An index on ledger transactions by merchant, staff and time finds a shift's transactions.

``merchants.code``: a 6-digit sign-in code, unique, given to every existing merchant here
(core.tenancy gives new ones theirs).

Revision ID: 0014a
Revises: 0013
"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0014a"
down_revision = "0013"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MESSAGE = "closed shifts, their counts and notes are immutable"


def upgrade() -> None:
    op.add_column("merchants", sa.Column("code", sa.String(length=12), nullable=True))
    _give_codes()
    op.create_index("uq_merchants_code", "merchants", ["code"], unique=True)
    op.create_table(
        "shifts",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("store_id", ID, nullable=True),
        sa.Column("staff_id", ID, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opening_float_fen", sa.BigInteger(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", ID, nullable=True),
        sa.Column("cash_expected_fen", sa.BigInteger(), nullable=True),
        sa.Column("cash_counted_fen", sa.BigInteger(), nullable=True),
        sa.Column("difference_fen", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.CheckConstraint("opening_float_fen >= 0", name=op.f("ck_shifts_opening_float_not_negative")),
        sa.CheckConstraint("closed_at IS NULL OR closed_at >= opened_at",
                           name=op.f("ck_shifts_closed_after_opened")),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"], name=op.f("fk_shifts_merchant_id_merchants")),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_shifts_store_id_stores")),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_shifts_staff_id_staff")),
        sa.ForeignKeyConstraint(["closed_by"], ["staff.id"], name=op.f("fk_shifts_closed_by_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shifts")),
    )
    op.create_index("ix_shifts_merchant_opened", "shifts", ["merchant_id", "opened_at"])
    op.create_index("uq_shifts_one_open_per_staff", "shifts", ["merchant_id", "staff_id"], unique=True,
                    postgresql_where=sa.text("closed_at IS NULL"), sqlite_where=sa.text("closed_at IS NULL"))
    op.create_table(
        "shift_counts",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("shift_id", ID, nullable=False),
        sa.Column("method", sa.String(length=60), nullable=False),
        sa.Column("checkouts", sa.Integer(), nullable=False),
        *[sa.Column(name, sa.BigInteger(), nullable=False)
          for name in ("sales_fen", "refunds_fen", "recharges_fen", "other_fen")],
        *[sa.Column(name, sa.BigInteger(), nullable=True)
          for name in ("expected_fen", "counted_fen", "difference_fen")],
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"],
                                name=op.f("fk_shift_counts_merchant_id_merchants")),
        sa.ForeignKeyConstraint(["shift_id"], ["shifts.id"], name=op.f("fk_shift_counts_shift_id_shifts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_counts")),
        sa.UniqueConstraint("shift_id", "method", name=op.f("uq_shift_counts_shift_id_method")),
    )
    op.create_table(
        "shift_notes",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("shift_id", ID, nullable=False),
        sa.Column("staff_id", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"],
                                name=op.f("fk_shift_notes_merchant_id_merchants")),
        sa.ForeignKeyConstraint(["shift_id"], ["shifts.id"], name=op.f("fk_shift_notes_shift_id_shifts")),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_shift_notes_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_notes")),
    )
    op.create_index(op.f("ix_shift_notes_shift_id"), "shift_notes", ["shift_id"])
    op.create_index("ix_ledger_transactions_merchant_staff_created", "ledger_transactions",
                    ["merchant_id", "staff_id", "created_at"])
    _create_triggers()


def _give_codes() -> None:
    """A distinct random 6-digit code for each merchant (core.tenancy.new_merchant_code's form)."""
    connection = op.get_bind()
    merchants = sa.table("merchants", sa.column("id", sa.BigInteger()), sa.column("code", sa.String()))
    taken: set[str] = set()
    for (merchant_id,) in connection.execute(sa.select(merchants.c.id).order_by(merchants.c.id)).all():
        code = _fresh(taken)
        taken.add(code)
        connection.execute(merchants.update().where(merchants.c.id == merchant_id).values(code=code))


def _fresh(taken: set[str]) -> str:
    while True:
        code = str(100000 + secrets.randbelow(900000))
        if code not in taken:
            return code


def _create_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE TRIGGER shifts_closed_no_update BEFORE UPDATE ON shifts "
                   f"WHEN OLD.closed_at IS NOT NULL BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")
        for table in ("shifts", "shift_counts", "shift_notes"):
            op.execute(f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")
        for table in ("shift_counts", "shift_notes"):
            op.execute(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")
        return
    op.execute("CREATE FUNCTION huika_shifts_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ "
               "BEGIN IF TG_TABLE_NAME = 'shifts' AND TG_OP = 'UPDATE' AND OLD.closed_at IS NULL "
               f"THEN RETURN NEW; END IF; RAISE EXCEPTION '{MESSAGE}'; END $$")
    for table in ("shifts", "shift_counts", "shift_notes"):
        op.execute(f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION huika_shifts_immutable()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION huika_shifts_immutable()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("shifts_closed_no_update", "shifts_no_delete", "shift_counts_no_delete",
                     "shift_notes_no_delete", "shift_counts_no_update", "shift_notes_no_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for table in ("shifts", "shift_counts", "shift_notes"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
        op.execute("DROP FUNCTION IF EXISTS huika_shifts_immutable()")
    op.drop_index("ix_ledger_transactions_merchant_staff_created", table_name="ledger_transactions")
    op.drop_index(op.f("ix_shift_notes_shift_id"), table_name="shift_notes")
    op.drop_table("shift_notes")
    op.drop_table("shift_counts")
    op.drop_index("uq_shifts_one_open_per_staff", table_name="shifts")
    op.drop_index("ix_shifts_merchant_opened", table_name="shifts")
    op.drop_table("shifts")
    op.drop_index("uq_merchants_code", table_name="merchants")
    op.drop_column("merchants", "code")
