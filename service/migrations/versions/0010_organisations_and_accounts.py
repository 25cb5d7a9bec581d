"""organisations (申报单位) with their name history; account profile fields (organisation, unit code,
phone, expert employer and specialties, e-mail preference); single-use account links

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 10:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('city_code', sa.String(length=6), nullable=False),
    sa.Column('county', sa.String(length=100), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('legal_representative', sa.String(length=100), nullable=False),
    sa.Column('contact_name', sa.String(length=100), nullable=False),
    sa.Column('contact_phone', sa.String(length=30), nullable=False),
    sa.Column('contact_email', sa.String(length=200), nullable=False),
    sa.Column('outside_jilin', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_reason', sa.String(length=500), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('credit_code')
    )
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.create_index('ix_organisation_city_status', ['city_code', 'status'], unique=False)
    op.create_table('organisation_name_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('old_name', sa.String(length=200), nullable=False),
    sa.Column('new_name', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('changed_by', sa.String(length=64), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('organisation_name_change', schema=None) as batch_op:
        batch_op.create_index('ix_organisation_name_change_organisation_id', ['organisation_id'], unique=False)
    # SQLite: ADD COLUMN ... REFERENCES, not a batch copy of "user" (it cannot be dropped while other
    # tables reference it).
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE "user" ADD COLUMN organisation_id INTEGER REFERENCES organisation (id)')
    else:
        op.add_column('user', sa.Column('organisation_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_user_organisation', 'user', 'organisation', ['organisation_id'], ['id'])
    op.add_column('user', sa.Column('unit_code', sa.String(length=18), nullable=True))
    op.add_column('user', sa.Column('email_verified_at', sa.DateTime(), nullable=True))
    op.add_column('user', sa.Column('receive_email', sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column('user', sa.Column('phone', sa.String(length=30), nullable=True))
    op.add_column('user', sa.Column('employer', sa.String(length=200), nullable=True))
    op.add_column('user', sa.Column('specialties', sa.JSON(), nullable=False, server_default='[]'))
    op.add_column('user', sa.Column('industry_codes', sa.JSON(), nullable=False, server_default='[]'))
    op.add_column('user', sa.Column('must_change_password', sa.Boolean(), nullable=False,
                  server_default=sa.false()))
    op.create_index('ix_user_unit_code', 'user', ['unit_code'], unique=False)
    op.create_index('ix_user_organisation', 'user', ['organisation_id'], unique=False)
    op.create_table('account_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('account_link', schema=None) as batch_op:
        batch_op.create_index('ix_account_link_user_id', ['user_id'], unique=False)
        batch_op.create_index('ix_account_link_organisation_id', ['organisation_id'], unique=False)


def downgrade():
    op.drop_table('account_link')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint('fk_user_organisation', 'user', type_='foreignkey')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index('ix_user_organisation')
        batch_op.drop_index('ix_user_unit_code')
        for column in ('must_change_password', 'industry_codes', 'specialties', 'employer', 'phone',
                       'receive_email', 'email_verified_at', 'unit_code', 'organisation_id'):
            batch_op.drop_column(column)
    op.drop_table('organisation_name_change')
    op.drop_table('organisation')
