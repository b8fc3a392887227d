"""outbox and login codes (M4, R3)

The built-in message sender's outbox (every message logged) and member login codes, stored
only as slow salted hashes with expiry and a wrong-attempt count.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 10:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('outbox',
    sa.Column('id', ID, nullable=False),
    sa.Column('merchant_id', ID, nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('recipient', sa.String(length=100), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_outbox_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('login_codes',
    sa.Column('id', ID, nullable=False),
    sa.Column('merchant_id', ID, nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('code_hash', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('consumed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('invalidated_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_login_codes_attempts_not_negative')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_login_codes_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_codes'))
    )
    with op.batch_alter_table('login_codes', schema=None) as batch_op:
        batch_op.create_index('ix_login_codes_merchant_phone_created',
                              ['merchant_id', 'phone', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('login_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_login_codes_merchant_phone_created')
    op.drop_table('login_codes')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_merchant_id'))
    op.drop_table('outbox')
