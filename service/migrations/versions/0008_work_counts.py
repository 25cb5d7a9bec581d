"""work counts: open work items counted per inbox bucket by triggers, so an inbox's total and its counts
by step, city and category are read from a few rows instead of counted over the whole index

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

KEY = "role, applicant_unit, assignee, city_code, bpmn_id, category, shard"
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION work_count_track() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO work_count (role, applicant_unit, assignee, city_code, bpmn_id, category, shard, n) VALUES (NEW.role, CASE WHEN NEW.role = 'applicant' THEN NEW.applicant_unit ELSE '' END, COALESCE(NEW.assignee, ''), NEW.city_code, NEW.bpmn_id, NEW.category, floor(random() * 8)::int, 1)
        ON CONFLICT (role, applicant_unit, assignee, city_code, bpmn_id, category, shard) DO UPDATE SET n = work_count.n + 1;
        RETURN NEW;
    END IF;
    INSERT INTO work_count (role, applicant_unit, assignee, city_code, bpmn_id, category, shard, n) VALUES (OLD.role, CASE WHEN OLD.role = 'applicant' THEN OLD.applicant_unit ELSE '' END, COALESCE(OLD.assignee, ''), OLD.city_code, OLD.bpmn_id, OLD.category, floor(random() * 8)::int, -1)
    ON CONFLICT (role, applicant_unit, assignee, city_code, bpmn_id, category, shard) DO UPDATE SET n = work_count.n - 1;
    RETURN OLD;
END
$$ LANGUAGE plpgsql
"""
SQLITE_TRIGGERS = [
    """CREATE TRIGGER work_count_insert AFTER INSERT ON work_item BEGIN
        INSERT INTO work_count (role, applicant_unit, assignee, city_code, bpmn_id, category, shard, n) VALUES (NEW.role, CASE WHEN NEW.role = 'applicant' THEN NEW.applicant_unit ELSE '' END, COALESCE(NEW.assignee, ''), NEW.city_code, NEW.bpmn_id, NEW.category, abs(random()) % 8, 1)
        ON CONFLICT (role, applicant_unit, assignee, city_code, bpmn_id, category, shard) DO UPDATE SET n = n + 1;
    END""",
    """CREATE TRIGGER work_count_delete AFTER DELETE ON work_item BEGIN
        INSERT INTO work_count (role, applicant_unit, assignee, city_code, bpmn_id, category, shard, n) VALUES (OLD.role, CASE WHEN OLD.role = 'applicant' THEN OLD.applicant_unit ELSE '' END, COALESCE(OLD.assignee, ''), OLD.city_code, OLD.bpmn_id, OLD.category, abs(random()) % 8, -1)
        ON CONFLICT (role, applicant_unit, assignee, city_code, bpmn_id, category, shard) DO UPDATE SET n = n - 1;
    END""",
]


def upgrade():
    op.create_table('work_count',
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('city_code', sa.String(length=6), nullable=False),
    sa.Column('applicant_unit', sa.String(length=200), nullable=False),
    sa.Column('assignee', sa.String(length=64), nullable=False),
    sa.Column('bpmn_id', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('shard', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('role', 'applicant_unit', 'assignee', 'city_code', 'bpmn_id', 'category', 'shard')
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute("CREATE TRIGGER work_count_track AFTER INSERT OR DELETE ON work_item "
                   "FOR EACH ROW EXECUTE FUNCTION work_count_track()")
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)
    # What is open already, counted once (shard 0).
    unit = "CASE WHEN role = 'applicant' THEN applicant_unit ELSE '' END"
    op.execute(f"INSERT INTO work_count ({KEY}, n) SELECT role, {unit}, COALESCE(assignee, ''), city_code, "
               f"bpmn_id, category, 0, count(*) FROM work_item "
               f"GROUP BY role, {unit}, COALESCE(assignee, ''), city_code, bpmn_id, category")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS work_count_track ON work_item")
        op.execute("DROP FUNCTION IF EXISTS work_count_track()")
    else:
        op.execute("DROP TRIGGER IF EXISTS work_count_insert")
        op.execute("DROP TRIGGER IF EXISTS work_count_delete")
    op.drop_table('work_count')
