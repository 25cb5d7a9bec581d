"""id blocks: the next application id a SQLite process may reserve before it takes the write lock

Revision ID: 0042
Revises: 0033
Create Date: 2026-11-26 17:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0042'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('id_block',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('next_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )


def downgrade():
    op.drop_table('id_block')
