"""round settings made in the product: the categories open, the unit filing deadline (单位申报截止), the objection
channel shown on the public notice; the history of deadline changes

Existing rounds get every category open and a unit deadline equal to their city deadline.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 10:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

ALL_CATEGORIES = '["factory", "park", "supply_chain"]'


def upgrade():
    # SQLite: plain ADD COLUMN, never a batch copy of "round" (application references it).
    op.add_column('round', sa.Column('categories', sa.JSON(), nullable=False, server_default=ALL_CATEGORIES))
    op.add_column('round', sa.Column('objection_address', sa.String(length=300), nullable=False, server_default=''))
    op.add_column('round', sa.Column('objection_phone', sa.String(length=50), nullable=False, server_default=''))
    op.add_column('round', sa.Column('objection_email', sa.String(length=200), nullable=False, server_default=''))
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a NOT NULL column only with a default; every row gets its real value just below.
        op.execute("ALTER TABLE round ADD COLUMN unit_deadline DATETIME NOT NULL DEFAULT '1970-01-01 00:00:00'")
        op.execute('UPDATE round SET unit_deadline = city_deadline')
    else:
        op.add_column('round', sa.Column('unit_deadline', sa.DateTime(), nullable=True))
        op.execute('UPDATE round SET unit_deadline = city_deadline')
        op.alter_column('round', 'unit_deadline', nullable=False)
    op.create_table('round_deadline_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=20), nullable=False),
    sa.Column('before', sa.DateTime(), nullable=False),
    sa.Column('after', sa.DateTime(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('changed_by', sa.String(length=64), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('applications_moved', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_round_deadline_change_round_id', 'round_deadline_change', ['round_id'], unique=False)


def downgrade():
    op.drop_index('ix_round_deadline_change_round_id', table_name='round_deadline_change')
    op.drop_table('round_deadline_change')
    for column in ('unit_deadline', 'objection_email', 'objection_phone', 'objection_address', 'categories'):
        op.drop_column('round', column)
