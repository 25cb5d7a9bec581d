"""indexes for the staff web: each user's done list (已办) and the inbox's counts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 18:45:00

"""
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_audit_event_actor', 'audit_event', ['actor', 'action', 'id'])
    op.create_index('ix_work_item_facets', 'work_item', ['role', 'city_code', 'bpmn_id', 'category', 'assignee'])


def downgrade():
    op.drop_index('ix_work_item_facets', table_name='work_item')
    op.drop_index('ix_audit_event_actor', table_name='audit_event')
