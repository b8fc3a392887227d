"""checkout, lots, idempotency, card PIN lock

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 14:38:12.914901
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('idempotency_records',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merchant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('request_digest', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('response', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_idempotency_records_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_records')),
    sa.UniqueConstraint('merchant_id', 'key', name=op.f('uq_idempotency_records_merchant_id_key'))
    )
    op.create_table('checkouts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merchant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('transaction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('card_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('store_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('staff_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('tier_key', sa.String(length=40), nullable=True),
    sa.Column('list_total_fen', sa.BigInteger(), nullable=False),
    sa.Column('due_total_fen', sa.BigInteger(), nullable=False),
    sa.Column('earned', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('receipt', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['card_id'], ['cards.id'], name=op.f('fk_checkouts_card_id_cards')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_checkouts_member_id_members')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_checkouts_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_checkouts_staff_id_staff')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_checkouts_store_id_stores')),
    sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transactions.id'], name=op.f('fk_checkouts_transaction_id_ledger_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkouts'))
    )
    with op.batch_alter_table('checkouts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkouts_card_id'), ['card_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkouts_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkouts_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('checkout_lines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('checkout_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('category', sa.String(length=60), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price_fen', sa.BigInteger(), nullable=False),
    sa.Column('special_price', sa.Boolean(), nullable=False),
    sa.Column('promotion_permille', sa.Integer(), nullable=False),
    sa.Column('tier_permille', sa.Integer(), nullable=False),
    sa.Column('list_fen', sa.BigInteger(), nullable=False),
    sa.Column('paid_fen', sa.BigInteger(), nullable=False),
    sa.Column('returned_quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('returned_quantity >= 0 AND returned_quantity <= quantity', name=op.f('ck_checkout_lines_returned_range')),
    sa.ForeignKeyConstraint(['checkout_id'], ['checkouts.id'], name=op.f('fk_checkout_lines_checkout_id_checkouts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkout_lines'))
    )
    with op.batch_alter_table('checkout_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkout_lines_checkout_id'), ['checkout_id'], unique=False)

    op.create_table('checkout_payments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('checkout_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('method', sa.String(length=40), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('postings', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('refunded_fen', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['checkout_id'], ['checkouts.id'], name=op.f('fk_checkout_payments_checkout_id_checkouts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkout_payments'))
    )
    with op.batch_alter_table('checkout_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkout_payments_checkout_id'), ['checkout_id'], unique=False)

    op.create_table('checkout_returns',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('checkout_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('transaction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('lines', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('refund_fen', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['checkout_id'], ['checkouts.id'], name=op.f('fk_checkout_returns_checkout_id_checkouts')),
    sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transactions.id'], name=op.f('fk_checkout_returns_transaction_id_ledger_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkout_returns'))
    )
    with op.batch_alter_table('checkout_returns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkout_returns_checkout_id'), ['checkout_id'], unique=False)

    op.create_table('lots',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('transaction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('remaining', sa.BigInteger(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('remaining >= 0 AND remaining <= amount', name=op.f('ck_lots_remaining_range')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_lots_account_id_accounts')),
    sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transactions.id'], name=op.f('fk_lots_transaction_id_ledger_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lots'))
    )
    with op.batch_alter_table('lots', schema=None) as batch_op:
        batch_op.create_index('ix_lots_account_open', ['account_id', 'remaining'], unique=False)

    op.create_table('lot_movements',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('lot_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('transaction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_lot_movements_lot_id_lots')),
    sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transactions.id'], name=op.f('fk_lot_movements_transaction_id_ledger_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lot_movements'))
    )
    with op.batch_alter_table('lot_movements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lot_movements_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lot_movements_transaction_id'), ['transaction_id'], unique=False)

    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pin_failures', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('pin_locked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('replaced_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_cards_replaced_by_id_cards'), 'cards', ['replaced_by_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cards_replaced_by_id_cards'), type_='foreignkey')
        batch_op.drop_column('replaced_by_id')
        batch_op.drop_column('pin_locked_until')
        batch_op.drop_column('pin_failures')

    with op.batch_alter_table('lot_movements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lot_movements_transaction_id'))
        batch_op.drop_index(batch_op.f('ix_lot_movements_lot_id'))

    op.drop_table('lot_movements')
    with op.batch_alter_table('lots', schema=None) as batch_op:
        batch_op.drop_index('ix_lots_account_open')

    op.drop_table('lots')
    with op.batch_alter_table('checkout_returns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkout_returns_checkout_id'))

    op.drop_table('checkout_returns')
    with op.batch_alter_table('checkout_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkout_payments_checkout_id'))

    op.drop_table('checkout_payments')
    with op.batch_alter_table('checkout_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkout_lines_checkout_id'))

    op.drop_table('checkout_lines')
    with op.batch_alter_table('checkouts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkouts_merchant_id'))
        batch_op.drop_index(batch_op.f('ix_checkouts_member_id'))
        batch_op.drop_index(batch_op.f('ix_checkouts_card_id'))

    op.drop_table('checkouts')
    op.drop_table('idempotency_records')
