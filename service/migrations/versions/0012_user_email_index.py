"""an index on the account's e-mail address: 忘记密码 finds the account by it without reading every account

Revision ID: 0012
Revises: 0015
Create Date: 2026-11-26 10:20:00

"""
from alembic import op


revision = '0012'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_user_email', 'user', ['email'], unique=False)


def downgrade():
    op.drop_index('ix_user_email', table_name='user')
