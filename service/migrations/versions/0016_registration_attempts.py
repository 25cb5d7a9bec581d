"""registration attempts per address (the rate limit of enterprise self-registration)

Revision ID: 0016
Revises: 0014
Create Date: 2026-11-26 10:15:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('registration_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('remote_addr', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_registration_attempt_addr_at', 'registration_attempt', ['remote_addr', 'at'], unique=False)


def downgrade():
    op.drop_index('ix_registration_attempt_addr_at', table_name='registration_attempt')
    op.drop_table('registration_attempt')
