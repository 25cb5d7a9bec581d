"""applications by unit across rounds: a unit's list (我的申报) read the whole application table (an OR of
"this unit's" and "copied to me", and an index that needs the round first); now an index on the unit. And
organisations by status: the province's inbox counted the registrations waiting over the whole city/status index

Revision ID: 0045
Revises: 0044
Create Date: 2026-11-26 19:50:00

"""
from alembic import op


revision = '0045'
down_revision = '0044'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_application_applicant', 'application', ['applicant_unit'], unique=False)
    op.create_index('ix_organisation_status', 'organisation', ['status', 'created_at', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_organisation_status', table_name='organisation')
    op.drop_index('ix_application_applicant', table_name='application')
