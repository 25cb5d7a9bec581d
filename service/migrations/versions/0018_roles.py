"""roles belong to the deployment: a role table seeded with the built-ins, and inbox counters whose unit
bucket follows the role's scope instead of the literal 'applicant'

Revision ID: 0018
Revises: 0016
Create Date: 2026-11-26 10:50:00

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0016'
branch_labels = None
depends_on = None

BUILT_IN = [
    ("applicant", "申报单位", "organisation", True),
    ("city_reviewer", "市州工信局", "city", True),
    ("province_staff", "省工信厅", "none", True),
    ("expert", "评审专家", "assignee", True),
    ("admin", "系统管理员", "none", False),
    ("auditor", "审计", "none", False),
]
KEY = "role, applicant_unit, assignee, city_code, bpmn_id, category, shard"
# A task's unit is part of its counter's key only when its role is scoped by organisation.
BY_SCOPE = "CASE WHEN (SELECT scope FROM role WHERE role.key = {row}.role) = 'organisation' THEN {row}.applicant_unit ELSE '' END"
BY_NAME = "CASE WHEN {row}.role = 'applicant' THEN {row}.applicant_unit ELSE '' END"  # revision 0008's rule


def _pg_function(unit):
    return f"""
CREATE OR REPLACE FUNCTION work_count_track() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO work_count ({KEY}, n) VALUES (NEW.role, {unit.format(row='NEW')}, COALESCE(NEW.assignee, ''), NEW.city_code, NEW.bpmn_id, NEW.category, floor(random() * 8)::int, 1)
        ON CONFLICT ({KEY}) DO UPDATE SET n = work_count.n + 1;
        RETURN NEW;
    END IF;
    INSERT INTO work_count ({KEY}, n) VALUES (OLD.role, {unit.format(row='OLD')}, COALESCE(OLD.assignee, ''), OLD.city_code, OLD.bpmn_id, OLD.category, floor(random() * 8)::int, -1)
    ON CONFLICT ({KEY}) DO UPDATE SET n = work_count.n - 1;
    RETURN OLD;
END
$$ LANGUAGE plpgsql
"""


def _sqlite_triggers(unit):
    return [
        f"""CREATE TRIGGER work_count_insert AFTER INSERT ON work_item BEGIN
        INSERT INTO work_count ({KEY}, n) VALUES (NEW.role, {unit.format(row='NEW')}, COALESCE(NEW.assignee, ''), NEW.city_code, NEW.bpmn_id, NEW.category, abs(random()) % 8, 1)
        ON CONFLICT ({KEY}) DO UPDATE SET n = n + 1;
    END""",
        f"""CREATE TRIGGER work_count_delete AFTER DELETE ON work_item BEGIN
        INSERT INTO work_count ({KEY}, n) VALUES (OLD.role, {unit.format(row='OLD')}, COALESCE(OLD.assignee, ''), OLD.city_code, OLD.bpmn_id, OLD.category, abs(random()) % 8, -1)
        ON CONFLICT ({KEY}) DO UPDATE SET n = n - 1;
    END""",
    ]


def _install_counters(unit):
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_pg_function(unit))  # the trigger calling it stays
    else:
        op.execute("DROP TRIGGER IF EXISTS work_count_insert")
        op.execute("DROP TRIGGER IF EXISTS work_count_delete")
        for trigger in _sqlite_triggers(unit):
            op.execute(trigger)


def upgrade():
    role = op.create_table('role',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=30), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('works_tasks', sa.Boolean(), nullable=False),
    sa.Column('built_in', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key'),
    sa.UniqueConstraint('name')
    )
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    op.bulk_insert(role, [{"key": key, "name": name, "scope": scope, "works_tasks": works, "built_in": True,
                           "created_by": None, "created_at": now} for key, name, scope, works in BUILT_IN])
    # Only built-in roles have tasks so far, whose buckets are unchanged: the counts stay as they are.
    _install_counters(BY_SCOPE)


def downgrade():
    _install_counters(BY_NAME)
    op.drop_table('role')
