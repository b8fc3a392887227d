"""training_courses plugin: courses, plans, packages, visits, revenue recognitions (T1-T3)

The first revision of the ``training_courses`` branch: a new base that depends on the core's
0002 (merchants, cards, checkouts, ledger transactions), like the points plugin's p0001.

Revision ID: t0001
Revises:
Create Date: 2026-11-23 18:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "t0001"
down_revision = None
branch_labels = ("training_courses",)
depends_on = "0002"

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLES = ("training_recognitions", "training_visits", "training_packages", "training_plans",
          "training_courses")


def upgrade() -> None:
    op.create_table('training_courses',
    sa.Column('id', ID, nullable=False),
    sa.Column('merchant_id', ID, nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('default_teacher', sa.String(length=40), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_training_courses_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_courses')),
    sa.UniqueConstraint('merchant_id', 'key', name=op.f('uq_training_courses_merchant_id_key'))
    )
    op.create_index(op.f('ix_training_courses_merchant_id'), 'training_courses', ['merchant_id'], unique=False)
    op.create_table('training_plans',
    sa.Column('id', ID, nullable=False),
    sa.Column('merchant_id', ID, nullable=False),
    sa.Column('course_id', ID, nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('sessions', sa.Integer(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('validity_days', sa.Integer(), nullable=False),
    sa.Column('price_fen', sa.BigInteger(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'count' AND sessions >= 1 AND minutes = 0) OR (kind = 'metered' AND minutes >= 1 AND sessions = 0) OR (kind = 'period' AND sessions = 0 AND minutes = 0)", name=op.f('ck_training_plans_units_match_kind')),
    sa.CheckConstraint("kind IN ('count', 'period', 'metered')", name=op.f('ck_training_plans_kind')),
    sa.CheckConstraint('price_fen >= 0', name=op.f('ck_training_plans_price_not_negative')),
    sa.CheckConstraint('validity_days >= 1', name=op.f('ck_training_plans_validity_positive')),
    sa.ForeignKeyConstraint(['course_id'], ['training_courses.id'], name=op.f('fk_training_plans_course_id_training_courses')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_training_plans_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_plans'))
    )
    op.create_index(op.f('ix_training_plans_course_id'), 'training_plans', ['course_id'], unique=False)
    op.create_index(op.f('ix_training_plans_merchant_id'), 'training_plans', ['merchant_id'], unique=False)
    op.create_table('training_packages',
    sa.Column('id', ID, nullable=False),
    sa.Column('merchant_id', ID, nullable=False),
    sa.Column('card_id', ID, nullable=False),
    sa.Column('course_id', ID, nullable=False),
    sa.Column('plan_id', ID, nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('checkout_id', ID, nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('unit_no', sa.Integer(), nullable=False),
    sa.Column('units_total', sa.Integer(), nullable=False),
    sa.Column('units_left', sa.Integer(), nullable=False),
    sa.Column('period_days', sa.Integer(), nullable=False),
    sa.Column('paid_fen', sa.BigInteger(), nullable=False),
    sa.Column('recognised_fen', sa.BigInteger(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('frozen_on', sa.Date(), nullable=True),
    sa.Column('frozen_days', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('active', 'frozen', 'expired', 'returned')", name=op.f('ck_training_packages_status')),
    sa.CheckConstraint('recognised_fen >= 0 AND recognised_fen <= paid_fen', name=op.f('ck_training_packages_recognised_in_range')),
    sa.CheckConstraint('units_left >= 0 AND units_left <= units_total', name=op.f('ck_training_packages_units_in_range')),
    sa.CheckConstraint('valid_to >= valid_from', name=op.f('ck_training_packages_valid_range')),
    sa.ForeignKeyConstraint(['card_id'], ['cards.id'], name=op.f('fk_training_packages_card_id_cards')),
    sa.ForeignKeyConstraint(['checkout_id'], ['checkouts.id'], name=op.f('fk_training_packages_checkout_id_checkouts')),
    sa.ForeignKeyConstraint(['course_id'], ['training_courses.id'], name=op.f('fk_training_packages_course_id_training_courses')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_training_packages_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['plan_id'], ['training_plans.id'], name=op.f('fk_training_packages_plan_id_training_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_packages')),
    sa.UniqueConstraint('checkout_id', 'line_no', 'unit_no', name=op.f('uq_training_packages_checkout_id_line_no_unit_no'))
    )
    op.create_index(op.f('ix_training_packages_card_id'), 'training_packages', ['card_id'], unique=False)
    op.create_index(op.f('ix_training_packages_course_id'), 'training_packages', ['course_id'], unique=False)
    op.create_index(op.f('ix_training_packages_merchant_id'), 'training_packages', ['merchant_id'], unique=False)
    op.create_table('training_visits',
    sa.Column('id', ID, nullable=False),
    sa.Column('merchant_id', ID, nullable=False),
    sa.Column('card_id', ID, nullable=False),
    sa.Column('course_id', ID, nullable=False),
    sa.Column('package_id', ID, nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('teacher', sa.String(length=40), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('revenue_fen', sa.BigInteger(), nullable=False),
    sa.Column('attended_on', sa.Date(), nullable=False),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('checked_out_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checkout_id', ID, nullable=True),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.CheckConstraint("kind IN ('session', 'period', 'metered')", name=op.f('ck_training_visits_kind')),
    sa.CheckConstraint("status IN ('open', 'done', 'cancelled')", name=op.f('ck_training_visits_status')),
    sa.ForeignKeyConstraint(['card_id'], ['cards.id'], name=op.f('fk_training_visits_card_id_cards')),
    sa.ForeignKeyConstraint(['checkout_id'], ['checkouts.id'], name=op.f('fk_training_visits_checkout_id_checkouts')),
    sa.ForeignKeyConstraint(['course_id'], ['training_courses.id'], name=op.f('fk_training_visits_course_id_training_courses')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_training_visits_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['package_id'], ['training_packages.id'], name=op.f('fk_training_visits_package_id_training_packages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_visits'))
    )
    op.create_index(op.f('ix_training_visits_card_id'), 'training_visits', ['card_id'], unique=False)
    op.create_index(op.f('ix_training_visits_merchant_id'), 'training_visits', ['merchant_id'], unique=False)
    op.create_index(op.f('ix_training_visits_package_id'), 'training_visits', ['package_id'], unique=False)
    op.create_table('training_recognitions',
    sa.Column('id', ID, nullable=False),
    sa.Column('merchant_id', ID, nullable=False),
    sa.Column('course_id', ID, nullable=False),
    sa.Column('package_id', ID, nullable=True),
    sa.Column('visit_id', ID, nullable=True),
    sa.Column('teacher', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('recognised_on', sa.Date(), nullable=False),
    sa.Column('transaction_id', ID, nullable=False),
    sa.CheckConstraint("kind IN ('attendance', 'period', 'breakage', 'sale', 'metered_sale', 'returned')", name=op.f('ck_training_recognitions_kind')),
    sa.ForeignKeyConstraint(['course_id'], ['training_courses.id'], name=op.f('fk_training_recognitions_course_id_training_courses')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_training_recognitions_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['package_id'], ['training_packages.id'], name=op.f('fk_training_recognitions_package_id_training_packages')),
    sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transactions.id'], name=op.f('fk_training_recognitions_transaction_id_ledger_transactions')),
    sa.ForeignKeyConstraint(['visit_id'], ['training_visits.id'], name=op.f('fk_training_recognitions_visit_id_training_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_recognitions'))
    )
    op.create_index(op.f('ix_training_recognitions_merchant_id'), 'training_recognitions', ['merchant_id'], unique=False)
    op.create_index(op.f('ix_training_recognitions_package_id'), 'training_recognitions', ['package_id'], unique=False)

def downgrade() -> None:
    for table in TABLES:  # dependants first; their indexes go with them
        op.drop_table(table)
