"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 14:25:14.082517
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('merchants',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_merchants')),
    sa.UniqueConstraint('name', name=op.f('uq_merchants_name'))
    )
    op.create_table('stores',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merchant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_stores_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stores')),
    sa.UniqueConstraint('merchant_id', 'code', name=op.f('uq_stores_merchant_id_code'))
    )
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stores_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('tiers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merchant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('name_zh', sa.String(length=60), nullable=False),
    sa.Column('name_en', sa.String(length=60), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('discount_permille', sa.Integer(), nullable=False),
    sa.Column('upgrade', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint('discount_permille BETWEEN 1 AND 1000', name=op.f('ck_tiers_discount_range')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_tiers_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tiers')),
    sa.UniqueConstraint('merchant_id', 'key', name=op.f('uq_tiers_merchant_id_key'))
    )
    with op.batch_alter_table('tiers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tiers_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('members',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merchant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('gender', sa.String(length=12), nullable=False),
    sa.Column('birthday', sa.String(length=10), nullable=True),
    sa.Column('birthday_calendar', sa.String(length=8), nullable=False),
    sa.Column('birthday_leap_month', sa.Boolean(), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('occupation', sa.String(length=60), nullable=False),
    sa.Column('income_band', sa.String(length=20), nullable=False),
    sa.Column('extra', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('registered_store_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("birthday_calendar IN ('solar', 'lunar')", name=op.f('ck_members_birthday_calendar')),
    sa.CheckConstraint("gender IN ('male', 'female', 'unspecified')", name=op.f('ck_members_gender')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_members_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['registered_store_id'], ['stores.id'], name=op.f('fk_members_registered_store_id_stores')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_members')),
    sa.UniqueConstraint('merchant_id', 'phone', name=op.f('uq_members_merchant_id_phone'))
    )
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_members_merchant_id'), ['merchant_id'], unique=False)
        batch_op.create_index('ix_members_merchant_name', ['merchant_id', 'name'], unique=False)

    op.create_table('staff',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merchant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('store_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('username', sa.String(length=60), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_staff_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_staff_store_id_stores')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff')),
    sa.UniqueConstraint('merchant_id', 'username', name=op.f('uq_staff_merchant_id_username'))
    )
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('api_tokens',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('staff_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_api_tokens_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('digest', name=op.f('uq_api_tokens_digest'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_staff_id'), ['staff_id'], unique=False)

    op.create_table('cards',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merchant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('tier_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('pin_hash', sa.String(length=255), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('issued_store_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('batch', sa.String(length=40), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('issued', 'active', 'lost', 'frozen', 'replaced', 'expired')", name=op.f('ck_cards_status')),
    sa.ForeignKeyConstraint(['issued_store_id'], ['stores.id'], name=op.f('fk_cards_issued_store_id_stores')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_cards_member_id_members')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_cards_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['tier_id'], ['tiers.id'], name=op.f('fk_cards_tier_id_tiers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cards')),
    sa.UniqueConstraint('merchant_id', 'number', name=op.f('uq_cards_merchant_id_number'))
    )
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cards_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cards_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('config_drafts',
    sa.Column('merchant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('document', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('based_on_version', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_config_drafts_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['updated_by'], ['staff.id'], name=op.f('fk_config_drafts_updated_by_staff')),
    sa.PrimaryKeyConstraint('merchant_id', name=op.f('pk_config_drafts'))
    )
    op.create_table('config_versions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merchant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('document', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('rolled_back_from', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_config_versions_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['published_by'], ['staff.id'], name=op.f('fk_config_versions_published_by_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_config_versions')),
    sa.UniqueConstraint('merchant_id', 'version', name=op.f('uq_config_versions_merchant_id_version'))
    )
    with op.batch_alter_table('config_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_config_versions_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('ledger_transactions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merchant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('store_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('staff_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('idempotency_key', sa.String(length=100), nullable=True),
    sa.Column('request_digest', sa.String(length=64), nullable=True),
    sa.Column('reverses_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('memo', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_ledger_transactions_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['reverses_id'], ['ledger_transactions.id'], name=op.f('fk_ledger_transactions_reverses_id_ledger_transactions')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_ledger_transactions_staff_id_staff')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_ledger_transactions_store_id_stores')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_transactions')),
    sa.UniqueConstraint('merchant_id', 'idempotency_key', name=op.f('uq_ledger_transactions_merchant_id_idempotency_key'))
    )
    with op.batch_alter_table('ledger_transactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_transactions_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('accounts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merchant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('owner', sa.String(length=10), nullable=False),
    sa.Column('card_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('asset', sa.String(length=40), nullable=False),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("(owner = 'card') = (card_id IS NOT NULL)", name=op.f('ck_accounts_card_owner_has_card')),
    sa.CheckConstraint("owner = 'merchant' OR balance >= 0", name=op.f('ck_accounts_card_balance_not_negative')),
    sa.CheckConstraint("owner IN ('card', 'merchant')", name=op.f('ck_accounts_owner')),
    sa.ForeignKeyConstraint(['card_id'], ['cards.id'], name=op.f('fk_accounts_card_id_cards')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_accounts_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('merchant_id', 'owner', 'card_id', 'purpose', 'asset', name=op.f('uq_accounts_merchant_id_owner_card_id_purpose_asset'))
    )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_card_id'), ['card_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_accounts_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('transaction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('asset', sa.String(length=40), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_entries_account_id_accounts')),
    sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transactions.id'], name=op.f('fk_entries_transaction_id_ledger_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entries'))
    )
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.create_index('ix_entries_account_id', ['account_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_entries_transaction_id'), ['transaction_id'], unique=False)



    _create_entry_immutability_triggers()


# Ledger entries are never updated or deleted; a correction is a linked reversal.
def _create_entry_immutability_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER entries_no_{action.lower()} BEFORE {action} ON entries "
                "BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION huika_entries_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'ledger entries are immutable'; END $$"
        )
        op.execute(
            "CREATE TRIGGER entries_immutable BEFORE UPDATE OR DELETE ON entries "
            "FOR EACH ROW EXECUTE FUNCTION huika_entries_immutable()"
        )


def _drop_entry_immutability_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS entries_no_update")
        op.execute("DROP TRIGGER IF EXISTS entries_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS entries_immutable ON entries")
        op.execute("DROP FUNCTION IF EXISTS huika_entries_immutable()")

def downgrade() -> None:
    _drop_entry_immutability_triggers()
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entries_transaction_id'))
        batch_op.drop_index('ix_entries_account_id')

    op.drop_table('entries')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accounts_merchant_id'))
        batch_op.drop_index(batch_op.f('ix_accounts_card_id'))

    op.drop_table('accounts')
    with op.batch_alter_table('ledger_transactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_transactions_merchant_id'))

    op.drop_table('ledger_transactions')
    with op.batch_alter_table('config_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_config_versions_merchant_id'))

    op.drop_table('config_versions')
    op.drop_table('config_drafts')
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cards_merchant_id'))
        batch_op.drop_index(batch_op.f('ix_cards_member_id'))

    op.drop_table('cards')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_staff_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_merchant_id'))

    op.drop_table('staff')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index('ix_members_merchant_name')
        batch_op.drop_index(batch_op.f('ix_members_merchant_id'))

    op.drop_table('members')
    with op.batch_alter_table('tiers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tiers_merchant_id'))

    op.drop_table('tiers')
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stores_merchant_id'))

    op.drop_table('stores')
    op.drop_table('merchants')
