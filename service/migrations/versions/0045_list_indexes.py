"""indexes for reads that went through whole tables: a unit's applications across rounds (我的申报 read the whole
application table: an OR of "this unit's" and "copied to me", and an index that needs the round first); the
registrations waiting by status (the province's inbox tab read the whole city/status index); a round's batch
events (the public notice and the published list read every event of every application of the round); an
uploader's last hour (every upload's rate check read the whole attachment table)

Revision ID: 0045
Revises: 0044
Create Date: 2026-11-26 19:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0045'
down_revision = '0044'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_application_applicant', 'application', ['applicant_unit'], unique=False)
    op.create_index('ix_organisation_status', 'organisation', ['status', 'created_at', 'id'], unique=False)
    op.create_index('ix_attachment_uploader', 'attachment', ['uploaded_by', 'uploaded_at'], unique=False)
    op.create_index('ix_audit_event_batch', 'audit_event', ['application_id', 'at'], unique=False,
                    postgresql_where=sa.text("action = 'batch_action'"), sqlite_where=sa.text("action = 'batch_action'"))


def downgrade():
    op.drop_index('ix_audit_event_batch', table_name='audit_event')
    op.drop_index('ix_attachment_uploader', table_name='attachment')
    op.drop_index('ix_organisation_status', table_name='organisation')
    op.drop_index('ix_application_applicant', table_name='application')
