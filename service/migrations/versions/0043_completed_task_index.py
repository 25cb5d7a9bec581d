"""the completed task of a task id by index: opening a link to a task done since (已由某某办理) read every
audit event before (a LIKE over the whole trail); now a partial index on the event data's task id

Revision ID: 0043
Revises: 0042
Create Date: 2026-11-26 19:20:00

"""
from alembic import op


revision = '0043'
down_revision = '0042'
branch_labels = None
depends_on = None

# The same expressions as service.audit.models.completed_task_event: SQLite uses an index on an expression, and
# a partial index, only for a query that writes that very expression and constant.
EXPRESSION = {"postgresql": "(CAST(data AS JSON) ->> 'task_id')", "sqlite": "json_extract(data, '$.task_id')"}


def upgrade():
    expression = EXPRESSION[op.get_bind().dialect.name]
    op.execute(f"CREATE INDEX ix_audit_event_task ON audit_event ({expression}) "
               f"WHERE action = 'task_completed'")


def downgrade():
    op.execute("DROP INDEX ix_audit_event_task")
