"""the provincial register (名单库): listed units and the history of their status

Revision ID: 0035
Revises: 0019
Create Date: 2026-11-26 13:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0035'
down_revision = '0037'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('register_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('unit_name', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('category_name', sa.String(length=50), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('city_code', sa.String(length=6), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('round_name', sa.String(length=200), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('listed_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], ),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('application_id')
    )
    op.create_index('ix_register_entry_code_category', 'register_entry', ['credit_code', 'category'], unique=False)
    op.create_index('ix_register_entry_status_category', 'register_entry', ['status', 'category', 'city_code'],
                    unique=False)
    op.create_table('register_status_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('document_number', sa.String(length=100), nullable=False),
    sa.Column('document_name', sa.String(length=200), nullable=False),
    sa.Column('document_stored', sa.String(length=64), nullable=False),
    sa.Column('document_sha256', sa.String(length=64), nullable=False),
    sa.Column('document_size', sa.Integer(), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['register_entry.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_register_status_change_entry_id'), 'register_status_change', ['entry_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_register_status_change_entry_id'), table_name='register_status_change')
    op.drop_table('register_status_change')
    op.drop_index('ix_register_entry_status_category', table_name='register_entry')
    op.drop_index('ix_register_entry_code_category', table_name='register_entry')
    op.drop_table('register_entry')
