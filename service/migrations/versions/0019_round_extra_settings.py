"""round settings as data: the values of the settings a version lists beyond the round's own columns

Revision ID: 0019
Revises: 0021
Create Date: 2026-11-26 11:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    # SQLite: plain ADD COLUMN, never a batch copy of "round" (application references it).
    op.add_column('round', sa.Column('extra_settings', sa.JSON(), nullable=False, server_default='{}'))


def downgrade():
    op.drop_column('round', 'extra_settings')
