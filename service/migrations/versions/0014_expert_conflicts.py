"""expert conflicts (回避声明): an expert's declaration on a review task and the substitute given

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26 10:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('expert_conflict',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('declared_at', sa.DateTime(), nullable=False),
    sa.Column('substitute_id', sa.Integer(), nullable=True),
    sa.Column('method', sa.String(length=10), nullable=True),
    sa.Column('seed', sa.String(length=64), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('resolved_by', sa.String(length=64), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], ),
    sa.ForeignKeyConstraint(['expert_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['substitute_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('expert_conflict', schema=None) as batch_op:
        batch_op.create_index('ix_expert_conflict_application_id', ['application_id'], unique=False)
        batch_op.create_index('ix_expert_conflict_task', ['task_id', 'resolved_at'], unique=False)


def downgrade():
    op.drop_table('expert_conflict')
