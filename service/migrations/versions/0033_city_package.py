"""city packages: each city's frozen 推荐汇总表, sealed letter and table, paper copies sent and received

Revision ID: 0033
Revises: 0019
Create Date: 2026-11-26 13:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0033'
down_revision = '0031'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'city_package',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('round_id', sa.Integer(), sa.ForeignKey('round.id'), nullable=False),
        sa.Column('city_code', sa.String(6), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('members', sa.JSON(), nullable=False),
        sa.Column('table_stored', sa.String(64), nullable=False),
        sa.Column('table_sha256', sa.String(64), nullable=False),
        sa.Column('frozen_by', sa.String(64), nullable=False),
        sa.Column('frozen_at', sa.DateTime(), nullable=False),
        sa.Column('letter_stored', sa.String(64)),
        sa.Column('letter_name', sa.String(200)),
        sa.Column('letter_sha256', sa.String(64)),
        sa.Column('sealed_table_stored', sa.String(64)),
        sa.Column('sealed_table_name', sa.String(200)),
        sa.Column('sealed_table_sha256', sa.String(64)),
        sa.Column('sent_by', sa.String(64)),
        sa.Column('sent_at', sa.DateTime()),
        sa.Column('sent_note', sa.String(500), nullable=False, server_default=''),
        sa.Column('received_by', sa.String(64)),
        sa.Column('received_at', sa.DateTime()),
        sa.UniqueConstraint('round_id', 'city_code', 'number', name='uq_city_package_number'),
    )
    op.create_index('ix_city_package_round_id', 'city_package', ['round_id'])


def downgrade():
    op.drop_index('ix_city_package_round_id', 'city_package')
    op.drop_table('city_package')
