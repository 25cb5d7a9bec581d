"""applications keep why they ended where they did (the scope or exclusion decision's reasons)

Revision ID: 0030
Revises: 0019
Create Date: 2026-11-26 13:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0030'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    # SQLite: plain ADD COLUMN, never a batch copy of "application".
    op.add_column('application', sa.Column('outcome_reasons', sa.JSON(), nullable=True))


def downgrade():
    op.drop_column('application', 'outcome_reasons')
