"""task actions: 催办 records (task_urge) and 抄送 records (application_copy)

Revision ID: 0036
Revises: 0019
Create Date: 2026-11-26 13:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0036'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('task_urge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('urged_by', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('urged_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], ),
    sa.ForeignKeyConstraint(['urged_by'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_task_urge_application_id', 'task_urge', ['application_id'], unique=False)
    op.create_index('ix_task_urge_task', 'task_urge', ['task_id', 'urged_at'], unique=False)
    op.create_table('application_copy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('copied_by', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('copied_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['copied_by'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('application_id', 'user_id')
    )
    op.create_index('ix_application_copy_user', 'application_copy', ['user_id', 'copied_at', 'application_id'],
                    unique=False)


def downgrade():
    op.drop_index('ix_application_copy_user', table_name='application_copy')
    op.drop_table('application_copy')
    op.drop_index('ix_task_urge_task', table_name='task_urge')
    op.drop_index('ix_task_urge_application_id', table_name='task_urge')
    op.drop_table('task_urge')
