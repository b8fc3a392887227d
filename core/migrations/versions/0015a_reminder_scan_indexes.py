"""reminder scans (issue 14, item 1): indexes that make every daily scan a range read

- ``members.birthday_md``: a generated column, the stored birthday's "MM-DD" (solar or lunar
  month-day as stored), VIRTUAL on SQLite and STORED on PostgreSQL like ``phone_last4``
  (0010); ``ix_members_birthday`` (merchant_id, birthday_md, id): the birthday scan asks for
  the handful of month-days ``core.birthdays.birthday_keys_on`` gives for a day.
- ``ix_members_merchant_joined`` (merchant_id, created_at): join anniversaries, one time range
  per past year; dormant members who never bought.
- ``ix_checkouts_merchant_day`` (merchant_id, created_at, member_id): who bought on the day a
  member turns dormant; "nothing since" is then a probe of ix_checkouts_member_activity.

Revision ID: 0015a
Revises: 0015d
"""
from alembic import op
import sqlalchemy as sa

revision = "0015a"
down_revision = "0015d"
branch_labels = None
depends_on = None

BIRTHDAY_MD = "substr(birthday, 6, 5)"


def upgrade() -> None:
    kind = "STORED" if op.get_bind().dialect.name == "postgresql" else "VIRTUAL"
    op.execute(f"ALTER TABLE members ADD COLUMN birthday_md VARCHAR(5) "
               f"GENERATED ALWAYS AS ({BIRTHDAY_MD}) {kind}")
    op.create_index("ix_members_birthday", "members", ["merchant_id", "birthday_md", "id"], unique=False)
    op.create_index("ix_members_merchant_joined", "members", ["merchant_id", "created_at"], unique=False)
    op.create_index("ix_checkouts_merchant_day", "checkouts", ["merchant_id", "created_at", "member_id"],
                    unique=False)
    op.create_index("ix_lots_open_expiry", "lots", ["expires_on", "account_id"], unique=False,
                    postgresql_where=sa.text("remaining > 0"), sqlite_where=sa.text("remaining > 0"))
    op.create_index("ix_accounts_card_balance", "accounts", ["merchant_id", "asset", "balance", "card_id"],
                    unique=False,
                    postgresql_where=sa.text("owner = 'card'"), sqlite_where=sa.text("owner = 'card'"))


def downgrade() -> None:
    op.drop_index("ix_accounts_card_balance", table_name="accounts")
    op.drop_index("ix_lots_open_expiry", table_name="lots")
    op.drop_index("ix_checkouts_merchant_day", table_name="checkouts")
    op.drop_index("ix_members_merchant_joined", table_name="members")
    op.drop_index("ix_members_birthday", table_name="members")
    op.execute("ALTER TABLE members DROP COLUMN birthday_md")
