"""repair: the last process error of an application, and the flag that it needs repair

Revision ID: 0021
Revises: 0018
Create Date: 2026-11-26 11:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('application', sa.Column('needs_repair', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table('application_fault',
    sa.Column('application_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('process_version_id', sa.Integer(), nullable=False),
    sa.Column('element_id', sa.String(length=200), nullable=True),
    sa.Column('element_name', sa.String(length=200), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('step_name', sa.String(length=200), nullable=True),
    sa.Column('replay', sa.JSON(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('first_at', sa.DateTime(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], ),
    sa.ForeignKeyConstraint(['process_version_id'], ['process_version.id'], ),
    sa.PrimaryKeyConstraint('application_id')
    )


def downgrade():
    op.drop_table('application_fault')
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_column('needs_repair')
