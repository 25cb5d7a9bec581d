"""user roles as rows and user lookups by city and unit (recipients and the expert pool by query); the element
ids each application waits in (batch actions find their applications by id, not by display name)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 09:00:00

"""
import json

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('user_role',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'role')
    )
    with op.batch_alter_table('user_role', schema=None) as batch_op:
        batch_op.create_index('ix_user_role_role', ['role', 'user_id'], unique=False)
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.create_index('ix_user_city', ['city_code'], unique=False)
        batch_op.create_index('ix_user_unit', ['unit_name'], unique=False)
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waiting', sa.String(length=1000), nullable=False, server_default=''))
    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('has_draft', sa.Boolean(), nullable=False, server_default=sa.true()))
    connection = op.get_bind()
    user = sa.table('user', sa.column('id', sa.Integer), sa.column('roles', sa.JSON))
    user_role = sa.table('user_role', sa.column('user_id', sa.Integer), sa.column('role', sa.String))
    rows = []
    for user_id, roles in connection.execute(sa.select(user.c.id, user.c.roles)):
        if isinstance(roles, str):
            roles = json.loads(roles)
        rows += [{"user_id": user_id, "role": role} for role in sorted(set(roles or []))]
    if rows:
        op.bulk_insert(user_role, rows)


def downgrade():
    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.drop_column('has_draft')
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_column('waiting')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index('ix_user_unit')
        batch_op.drop_index('ix_user_city')
    with op.batch_alter_table('user_role', schema=None) as batch_op:
        batch_op.drop_index('ix_user_role_role')
    op.drop_table('user_role')
