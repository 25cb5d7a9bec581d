"""The scope conditions over HTTP, as the demo units meet them: each condition not met ends the application at
不符合申报范围 with its reason in the application's JSON, the list and the trail; a bad answer is refused at the
field; and the province's deploy check names a broken or missing scope decision."""
import pytest

from service.accounts.admin import create_account
from service.organisations.service import attach_account, create_organisation
from service.platform.transactions import transaction
from service.versions.samples import make_credit_code, sample_declaration
from tests.api import ApiScenario, ok, refused
from tests.test_process_admin import draft_from, put
from tests.test_scope__conditions import IN_SCOPE, MANUFACTURING, OUT_OF_SCOPE, OUTSIDE_JILIN, drop


def declare(s, changes):
    s.submit(s.applicant, drop({**sample_declaration(s.category), **changes}, changes))
    return s


def assert_out_of_scope(s, reasons):
    detail = s.detail(s.applicant)  # the unit itself reads why
    assert (detail["outcome"], detail["outcome_reasons"]) == ("不符合申报范围", reasons)
    assert detail["open_tasks"] == []
    mine = ok(s.api.get("/api/applications", s.applicant))["items"]
    assert next(a for a in mine if a["id"] == s.application_id)["outcome_reasons"] == reasons
    trail = s.audit()
    assert trail["verified"] is True
    events = trail["events"]
    assert [(e["action"], e["element_id"]) for e in events][-3:] == [
        ("rule_evaluated", "Task_scope"), ("gateway_decision", "Gateway_scope"), ("ended", "End_out_of_scope")]
    assert events[-3]["data"]["scope_reasons"] == reasons and events[-1]["data"]["reasons"] == reasons


@pytest.mark.parametrize("category, changes, reason", OUT_OF_SCOPE,
                         ids=[f"{c}-{'-'.join(ch)}" for c, ch, _ in OUT_OF_SCOPE])
def test_each_condition_not_met_over_the_api(api, category, changes, reason):
    s = declare(ApiScenario(api, category).start(), changes)
    assert_out_of_scope(s, [reason])


@pytest.mark.parametrize("category, changes", IN_SCOPE, ids=[f"{c}-{'-'.join(ch)}" for c, ch in IN_SCOPE])
def test_a_declaration_in_scope_reaches_the_city(api, category, changes):
    s = declare(ApiScenario(api, category).start(), changes)
    detail = s.detail(s.applicant)
    assert detail["outcome"] is None and detail["outcome_reasons"] == []
    assert detail["stage"] == "市州初审推荐"
    s.city_review("recommend")  # and the round goes on as before
    assert s.detail()["stage"] == "等待市州推荐材料"  # the city's package comes next


def test_a_beijing_software_company_declaring_a_factory(api):
    with transaction():
        unit = create_organisation(
            {"credit_code": make_credit_code(777, division="110108"), "name": "北京示范软件有限公司",
             "kind": "enterprise", "city_code": "220100", "county": "朝阳区", "contact_name": "孙七",
             "contact_phone": "13800000002", "contact_email": "bj@example.cn"}, actor="admin", status="confirmed")
        account = create_account(actor="admin", values={"username": "bj1", "display_name": "北京示范软件有限公司",
                                                         "roles": ["applicant"], "city_code": "220100"},
                                 preset_password="demo").user
        attach_account(account, unit)
    s = ApiScenario(api)
    s.applicant = "bj1"
    declare(s.start(), {"industry_codes": "I6510"})
    assert_out_of_scope(s, [OUTSIDE_JILIN, MANUFACTURING])


@pytest.mark.parametrize("category, changes, field", [
    ("factory", {"legal_status": "branch"}, "legal_status"),
    ("factory", {"industry_codes": "软件开发"}, "industry_codes"),
    ("park", {"industrial_value_share": 120}, "industrial_value_share"),
    ("park", {"has_legal_boundary": "yes", "legal_boundary": None}, "legal_boundary"),
    ("park", {"exc_park_enterprises": None}, "exc_park_enterprises"),
    ("park", {"exc_park_enterprises": "yes"}, "exc_park_enterprises_detail"),
    ("supply_chain", {"chain_leader": "yes", "chain_leader_description": None}, "chain_leader_description"),
    ("supply_chain", {"chain_leader_description": "龙头"}, "chain_leader_description"),
])
def test_bad_answers_are_refused_at_the_field(api, category, changes, field):
    s = ApiScenario(api, category).start()
    task_id = s.open_task(s.applicant)
    page = ok(api.get(f"/api/tasks/{task_id}", s.applicant))
    data = drop({**sample_declaration(category), **changes}, changes)
    body = refused(api.post(f"/api/tasks/{task_id}/submit", s.applicant, json={"data": data, "version": page["version"]}),
                   422, "validation_failed", field)
    assert body["errors"][field]
    assert s.detail(s.applicant)["outcome"] is None  # nothing changed: the declaration is still open


def test_deploy_check_names_a_missing_or_broken_scope_decision(api):
    draft = draft_from(api)
    broken = draft["files"]["processes/scope.dmn"].replace("not (13 &lt;= ? &lt;= 43)", "not (13 &lt;= ? &lt;=")
    draft = ok(put(api, draft, "processes/scope.dmn", broken))
    problems = ok(api.post(f"/api/process-drafts/{draft['id']}/validate", "admin"))["problems"]
    assert any(p["file"] == "processes/scope.dmn" and "Rule_scope_factory_manufacturing" in (p["element_id"] or "")
               and "语法错误" in p["message"] for p in problems), problems

    draft = ok(api.get(f"/api/process-drafts/{draft['id']}", "admin"))
    ok(api.call("DELETE", f"/api/process-drafts/{draft['id']}/files/processes/scope.dmn?revision={draft['revision']}",
                "admin"))
    problems = ok(api.post(f"/api/process-drafts/{draft['id']}/validate", "admin"))["problems"]
    assert any("Task_scope" in (p["element_id"] or "") and "决策表“scope”不存在" in p["message"] for p in problems), problems
    refused(api.post(f"/api/process-drafts/{draft['id']}/deploy", "admin", json={"note": "缺少申报范围决策表"}),
            422, "bundle_invalid")
