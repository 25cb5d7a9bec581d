"""Organisations: a unit's identity is its credit code, checked twice over, and everything it declares is
scoped by that code, so a change of name moves nothing and nobody can declare in another unit's name."""
import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import select, text

from service.accounts.models import User
from service.applications.commands import start_application
from service.applications.models import Application, WorkItem
from service.audit.models import AuditEvent
from service.commands.demo import ensure_user
from service.forms.credit_code import check_character, organisation_code_check, organisation_credit_code_error
from service.organisations.models import Organisation, OrganisationNameChange
from service.organisations.service import attach_account, create_organisation, rename_organisation
from service.platform.database import upgrade_database
from service.platform.errors import Conflict, Forbidden, Invalid
from service.platform.extensions import db
from service.platform.transactions import transaction
from service.versions.samples import make_credit_code
from tests.conftest import drop_everything
from tests.scenario import Scenario

UNIT = {"name": "长春新注册机械有限公司", "kind": "enterprise", "city_code": "220100", "county": "朝阳区",
        "contact_name": "赵六", "contact_phone": "13900001111", "contact_email": "zhao@example.cn"}


def test_both_check_digits_are_verified():
    assert organisation_code_check("71610585") == "2"  # a published code: 71610585-2
    assert organisation_credit_code_error("91330100716105852F") is None
    code = make_credit_code(321)
    assert organisation_credit_code_error(code) is None
    wrong = code[:16] + ("1" if code[16] != "1" else "2")
    wrong_org = wrong[:17]
    wrong = wrong_org + check_character(wrong_org)  # the credit code's own digit is right again
    assert organisation_credit_code_error(wrong) == "统一社会信用代码中的组织机构代码（第9–17位）校验位不正确，请核对"


def test_a_new_unit_is_checked_field_by_field_and_a_known_code_is_refused(app, clock):
    with transaction():
        with pytest.raises(Invalid) as refused:
            create_organisation({**UNIT, "credit_code": "91220100716105853X", "contact_phone": "12345",
                                 "city_code": "110000"}, actor="admin")
        assert set(refused.value.fields) == {"credit_code", "contact_phone", "city_code"}
        create_organisation({**UNIT, "credit_code": make_credit_code(5)}, actor="admin")
    with transaction(), pytest.raises(Conflict) as duplicate:
        create_organisation({**UNIT, "name": "另一个名字", "credit_code": make_credit_code(5)}, actor="someone")
    assert duplicate.value.code == "duplicate_credit_code" and "credit_code" in duplicate.value.fields


def test_a_code_registered_outside_jilin_is_accepted_but_flagged(app, clock):
    with transaction():
        unit = create_organisation({**UNIT, "credit_code": "91330100716105852F"}, actor="admin")
        assert unit.outside_jilin and unit.status == "pending_email"
        logged = db.session.scalars(select(AuditEvent.data).where(AuditEvent.action == "organisation_created")).one()
        assert json.loads(logged)["outside_jilin"] is True


def test_only_a_confirmed_unit_declares(app, clock, round_):
    with transaction():
        unit = create_organisation({**UNIT, "credit_code": make_credit_code(6)}, actor="register")
        user = ensure_user(username="newunit", display_name="赵六", roles=["applicant"])
        attach_account(user, unit)
        with pytest.raises(Forbidden) as refused:
            start_application(round_id=round_, category="factory", user=user)
        assert refused.value.code == "organisation_not_confirmed" and "邮箱" in refused.value.message
        unit.status = "confirmed"
        application = start_application(round_id=round_, category="factory", user=user)
        assert (application.applicant_unit, application.credit_code, application.unit_name) == (
            unit.credit_code, unit.credit_code, "长春新注册机械有限公司")


def test_an_account_without_an_organisation_cannot_declare(app, clock, round_):
    with transaction(), pytest.raises(Forbidden):
        start_application(round_id=round_, category="factory",
                          user=ensure_user(username="loose", display_name="无单位", roles=["applicant"]))


def test_a_rename_keeps_history_and_moves_nothing(users, round_, clock):
    s = Scenario(users, round_, clock).start().declare()
    with transaction():
        unit = db.session.get(Organisation, db.session.get(User, users["applicant"]).organisation_id)
        code = unit.credit_code
        with pytest.raises(Invalid) as refused:
            rename_organisation(unit, "长春绿色示范制造股份有限公司", reason="", actor="changchun")
        assert set(refused.value.fields) == {"reason"}
        with pytest.raises(Invalid) as refused:
            rename_organisation(unit, "长春示范制造有限公司", reason="更名", actor="changchun")
        assert refused.value.fields == {"name": ["新名称与现名称相同"]}
        rename_organisation(unit, "长春绿色示范制造股份有限公司", reason="股份制改造，营业执照已变更", actor="changchun")
    with transaction():
        assert db.session.get(Application, s.application_id).unit_name == "长春绿色示范制造股份有限公司"
        change = db.session.scalars(select(OrganisationNameChange)).one()
        assert (change.old_name, change.new_name, change.changed_by) == (
            "长春示范制造有限公司", "长春绿色示范制造股份有限公司", "changchun")
        renamed = json.loads(db.session.scalars(select(AuditEvent.data)
                                                .where(AuditEvent.action == "organisation_renamed")).one())
        assert renamed["before"] == "长春示范制造有限公司" and renamed["after"] == "长春绿色示范制造股份有限公司"
    # The unit still works its own application after the rename: the scope is the code, not the name.
    s.city_review("send_back")
    with transaction():
        item = db.session.scalars(select(WorkItem).where(WorkItem.application_id == s.application_id)).one()
        assert item.role == "applicant" and item.applicant_unit == code


def test_upgrading_turns_declared_units_into_organisations(app, clock):
    drop_everything()
    upgrade_database("0010")
    at = datetime(2024, 5, 6, 1, tzinfo=timezone.utc)
    code = make_credit_code(77)
    with db.engine.begin() as sql:
        sql.execute(text("INSERT INTO process_version (id, number, content_hash, process_id, bundle, note, deployed_by,"
                         " deployed_at, validation_report) VALUES (1, 1, 'h', 'p', '{}', '', 'admin', :at, '[]')"),
                    {"at": at})
        sql.execute(text("INSERT INTO round (id, name, year, process_version_id, city_deadline, notice_days,"
                         " expert_count, pass_score, status, created_at) VALUES (1, '2024', 2024, 1, :at, 5, 3, 60,"
                         " 'open', :at)"), {"at": at})
        sql.execute(text('INSERT INTO "user" (id, username, password_hash, display_name, roles, city_code, unit_name,'
                         " active, created_at, receive_email, specialties, industry_codes, must_change_password)"
                         " VALUES (7, 'old', 'x', '老单位', '[\"applicant\"]', '220100', '老单位有限公司', :t, :at, :t,"
                         " '[]', '[]', :f)"), {"at": at, "t": True, "f": False})
        sql.execute(text("INSERT INTO application (id, round_id, process_version_id, category, city_code, applicant_unit,"
                         " unit_name, credit_code, created_by, state, version, stage, waiting, created_at, updated_at)"
                         " VALUES (1, 1, 1, 'factory', '220100', '老单位有限公司', '老单位有限公司', :code, 7, '{}', 2,"
                         " '市州初审推荐', '', :at, :at)"), {"code": code, "at": at})
        sql.execute(text("INSERT INTO work_item (id, application_id, task_id, bpmn_id, name, role, city_code, category,"
                         " applicant_unit, has_draft, created_at, due_order) VALUES (1, 1, 't', 'Task_declare_factory',"
                         " '填报', 'applicant', '220100', 'factory', '老单位有限公司', :f, :at, :at)"),
                    {"at": at, "f": False})
    upgrade_database()
    db.session.remove()
    with db.engine.connect() as sql:
        unit = sql.execute(text("SELECT id, name, status FROM organisation WHERE credit_code = :c"), {"c": code}).one()
        user = sql.execute(text('SELECT organisation_id, unit_code FROM "user" WHERE id = 7')).one()
        keys = [sql.execute(text(f"SELECT applicant_unit FROM {t}")).scalar() for t in ("application", "work_item")]
        counted = sql.execute(text("SELECT applicant_unit, n FROM work_count WHERE role = 'applicant'")).all()
    assert (unit.name, unit.status) == ("老单位有限公司", "confirmed")
    assert tuple(user) == (unit.id, code) and keys == [code, code] and [tuple(c) for c in counted] == [(code, 1)]
