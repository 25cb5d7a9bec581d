"""attachments deleted or replaced before submit (kept for the record); the notice's files of process versions

Revision ID: 0031
Revises: 0019
Create Date: 2026-11-26 13:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0031'
down_revision = '0035'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('attachment', sa.Column('removed_at', sa.DateTime(), nullable=True))
    # SQLite: ADD COLUMN ... REFERENCES, not a batch copy of the table.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE attachment ADD COLUMN removed_by INTEGER REFERENCES "user" (id)')
        op.execute('ALTER TABLE attachment ADD COLUMN replaced_by_id INTEGER REFERENCES attachment (id)')
    else:
        op.add_column('attachment', sa.Column('removed_by', sa.Integer(), nullable=True))
        op.add_column('attachment', sa.Column('replaced_by_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_attachment_removed_by', 'attachment', 'user', ['removed_by'], ['id'])
        op.create_foreign_key('fk_attachment_replaced_by', 'attachment', 'attachment', ['replaced_by_id'], ['id'])
    op.create_table('process_file',
                    sa.Column('sha256', sa.String(length=64), nullable=False),
                    sa.Column('content', sa.LargeBinary(), nullable=False),
                    sa.Column('size', sa.Integer(), nullable=False),
                    sa.Column('stored_by', sa.String(length=64), nullable=False),
                    sa.Column('stored_at', sa.DateTime(), nullable=False),
                    sa.PrimaryKeyConstraint('sha256'))


def downgrade():
    op.drop_table('process_file')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint('fk_attachment_replaced_by', 'attachment', type_='foreignkey')
        op.drop_constraint('fk_attachment_removed_by', 'attachment', type_='foreignkey')
    op.drop_column('attachment', 'replaced_by_id')
    op.drop_column('attachment', 'removed_by')
    op.drop_column('attachment', 'removed_at')
