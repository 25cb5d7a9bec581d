"""an index for the one-open-application-per-unit-and-category check at every start (a scan of the
application table before: ~100 ms at a million applications)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 11:00:00

"""
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.create_index('ix_application_unit', ['round_id', 'applicant_unit', 'category'], unique=False)


def downgrade():
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_index('ix_application_unit')
