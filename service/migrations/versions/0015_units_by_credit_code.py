"""applications and applicant accounts scoped by the organisation's credit code instead of the unit name:
existing applicant units become organisation records

An applicant account's unit becomes an organisation when its credit code is known from one of its
declarations; its applications, open tasks and inbox counters are then keyed by that code. A unit whose
code is unknown (it never declared) keeps its accounts without an organisation: they cannot declare
until the city or an administrator attaches them (the upgrade prints how many).

Revision ID: 0015
Revises: 0010
Create Date: 2026-11-26 11:00:00

"""
import logging

from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    sql = op.get_bind()
    units = sql.execute(sa.text(
        "SELECT u.unit_name, MIN(u.city_code) AS city_code, MIN(a.credit_code) AS credit_code "
        "FROM \"user\" u JOIN application a ON a.applicant_unit = u.unit_name AND a.credit_code IS NOT NULL "
        "WHERE u.unit_name IS NOT NULL AND u.organisation_id IS NULL GROUP BY u.unit_name")).all()
    for unit_name, city_code, credit_code in units:
        if sql.execute(sa.text("SELECT 1 FROM organisation WHERE credit_code = :c"), {"c": credit_code}).first():
            continue
        sql.execute(sa.text(
            "INSERT INTO organisation (credit_code, name, kind, city_code, county, address, legal_representative,"
            " contact_name, contact_phone, contact_email, outside_jilin, status, status_reason, decided_by,"
            " decided_at, created_at) VALUES (:code, :name, 'enterprise', :city, '', '', '', '', '', '',"
            " :outside, 'confirmed', '迁移：原有申报单位', 'migration', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
            {"code": credit_code, "name": unit_name, "city": city_code or "", "outside": credit_code[2:4] != "22"})
        organisation_id = sql.execute(sa.text("SELECT id FROM organisation WHERE credit_code = :c"),
                                      {"c": credit_code}).scalar()
        sql.execute(sa.text('UPDATE "user" SET organisation_id = :id, unit_code = :code WHERE unit_name = :name'),
                    {"id": organisation_id, "code": credit_code, "name": unit_name})
        for table in ("application", "work_item"):
            sql.execute(sa.text(f"UPDATE {table} SET applicant_unit = :code WHERE applicant_unit = :name"),
                        {"code": credit_code, "name": unit_name})
    if units:
        # The counters are keyed by unit: rebuild them from the open tasks (the triggers keep them after).
        _rebuild_work_counts(sql)
    left = sql.execute(sa.text("SELECT COUNT(*) FROM \"user\" WHERE unit_name IS NOT NULL "
                               "AND organisation_id IS NULL")).scalar()
    if left:
        logging.getLogger("alembic.runtime.migration").warning(f"注意：{left} 个申报单位账号的统一社会信用代码未知，需由市州或管理员关联单位后才能申报")


def _rebuild_work_counts(sql):
    sql.execute(sa.text("DELETE FROM work_count"))
    unit = "CASE WHEN role = 'applicant' THEN applicant_unit ELSE '' END"
    sql.execute(sa.text(
        "INSERT INTO work_count (role, applicant_unit, assignee, city_code, bpmn_id, category, shard, n) "
        f"SELECT role, {unit}, COALESCE(assignee, ''), city_code, bpmn_id, category, 0, COUNT(*) "
        f"FROM work_item GROUP BY role, {unit}, COALESCE(assignee, ''), city_code, bpmn_id, category"))


def downgrade():
    pass  # the credit codes stay: nothing of the old keys is lost that the names could restore
