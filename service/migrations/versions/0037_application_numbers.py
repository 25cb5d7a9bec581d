"""application numbers and messages: a business number per application (2025-GC-220100-0007), its
counters, the indexes that search by number and credit code; the in-product messages (站内消息)

Revision ID: 0037
Revises: 0019
Create Date: 2026-11-26 13:00:00

"""
import json

from alembic import op
import sqlalchemy as sa


revision = '0037'
down_revision = '0036'
branch_labels = None
depends_on = None

# The codes the standard categories had before categories.json carried them (a bundle without the file).
STANDARD_CODES = {"factory": "GC", "park": "YQ", "supply_chain": "GYL"}


def _codes(bundle_text):
    """category key → short code from a deployed bundle's categories.json (frozen here: the service's
    parser may change, this migration's reading must not)."""
    codes = dict(STANDARD_CODES)
    try:
        processes = json.loads(bundle_text or "{}").get("processes", {})
        for entry in json.loads(processes.get("categories.json") or '{"categories": []}').get("categories", []):
            if isinstance(entry, dict) and entry.get("key") and entry.get("code"):
                codes[str(entry["key"])] = str(entry["code"])
    except (ValueError, AttributeError):
        pass
    return codes


def upgrade():
    bind = op.get_bind()
    op.add_column('application', sa.Column('number', sa.String(length=40), nullable=True))
    op.create_table('application_number_counter',
    sa.Column('round_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('city_code', sa.String(length=6), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], ),
    sa.PrimaryKeyConstraint('round_id', 'category', 'city_code')
    )

    # Backfill: serials in the order the applications were started, per round, category and city; one
    # UPDATE per (round, category), done by the database (a million rows never pass through Python).
    postgres = bind.dialect.name == "postgresql"
    serial = ("CASE WHEN s.n < 10000 THEN lpad(s.n::text, 4, '0') ELSE s.n::text END" if postgres
              else "printf('%04d', s.n)")
    pairs = bind.execute(sa.text(
        "SELECT DISTINCT a.round_id, a.category, r.year, r.process_version_id FROM application a "
        "JOIN round r ON r.id = a.round_id")).all()
    bundles = {}
    for round_id, category, year, version_id in pairs:
        if version_id not in bundles:
            bundles[version_id] = _codes(bind.execute(sa.text("SELECT bundle FROM process_version WHERE id = :v"),
                                                      {"v": version_id}).scalar())
        code = bundles[version_id].get(category) or str(category).upper()[:6]
        bind.execute(sa.text(
            f"UPDATE application SET number = :prefix || application.city_code || '-' || {serial} "
            "FROM (SELECT id, row_number() OVER (PARTITION BY city_code ORDER BY id) AS n FROM application "
            "      WHERE round_id = :r AND category = :c) AS s "
            "WHERE s.id = application.id"), {"prefix": f"{year}-{code}-", "r": round_id, "c": category})
    bind.execute(sa.text(
        "INSERT INTO application_number_counter (round_id, category, city_code, last) "
        "SELECT round_id, category, city_code, count(*) FROM application GROUP BY round_id, category, city_code"))

    op.create_index('ix_application_round_number', 'application', ['round_id', 'number'], unique=True)
    op.create_index('ix_application_number', 'application', ['number'], unique=False,
                    postgresql_ops={'number': 'varchar_pattern_ops'})
    op.create_index('ix_application_credit_code', 'application', ['credit_code'], unique=False,
                    postgresql_ops={'credit_code': 'varchar_pattern_ops'})

    op.create_table('message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_message_user', 'message', ['user_id', 'id'], unique=False)
    op.create_index('ix_message_unread', 'message', ['user_id', 'read_at', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_message_unread', table_name='message')
    op.drop_index('ix_message_user', table_name='message')
    op.drop_table('message')
    op.drop_index('ix_application_credit_code', table_name='application')
    op.drop_index('ix_application_number', table_name='application')
    op.drop_index('ix_application_round_number', table_name='application')
    op.drop_table('application_number_counter')
    op.drop_column('application', 'number')
