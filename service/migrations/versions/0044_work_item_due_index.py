"""work items by due date: the worker's deadline reminders read every open task each round (a scan of
work_item); now the range of tasks falling due in the next working days

Revision ID: 0044
Revises: 0043
Create Date: 2026-11-26 19:40:00

"""
from alembic import op


revision = '0044'
down_revision = '0043'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_work_item_due', 'work_item', ['due_at'], unique=False)


def downgrade():
    op.drop_index('ix_work_item_due', table_name='work_item')
