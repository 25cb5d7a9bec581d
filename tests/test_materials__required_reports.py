"""A declaration goes in only with the evaluation report its answers require (materials.json of the version),
and the province's formal review cannot accept while the materials are incomplete."""
import io
import json

import pytest
from sqlalchemy import update

from service.applications.models import Application, Attachment
from service.engine.bundle import Bundle
from service.engine.validation import validate_bundle
from service.platform.errors import Invalid
from service.platform.extensions import db
from service.platform.timeutil import utcnow
from service.platform.transactions import transaction
from service.versions.samples import sample_declaration
from service.commands.sample_reports import SAMPLE_REPORT_PDF
from tests.api import ApiScenario, ok, refused
from tests.scenario import Scenario


def upload(api, s, kind, who=None):
    return api.post("/api/attachments", who or s.applicant, data={
        "application_id": str(s.application_id), "kind": kind, "file": (io.BytesIO(SAMPLE_REPORT_PDF), "报告.pdf")},
        content_type="multipart/form-data")


def submit_declaration(api, s, data):
    task_id = s.open_task(s.applicant)
    page = ok(api.get(f"/api/tasks/{task_id}", s.applicant))
    return api.post(f"/api/tasks/{task_id}/submit", s.applicant, json={"data": data, "version": page["version"]})


def test_no_report_no_submit_through_the_service(users, round_, clock):
    s = Scenario(users, round_, clock).start()
    declaration = sample_declaration("factory", unit_name="长春示范制造有限公司")  # evaluated by a third party
    with pytest.raises(Invalid) as refusal:
        s.complete("applicant", declaration, bpmn_id="Task_declare_factory", reports=False)
    assert refusal.value.code == "attachments_missing" and "第三方评价报告" in refusal.value.message
    assert refusal.value.fields == {"attachments": ["请上传第三方评价报告（PDF）"]}
    assert [i.bpmn_id for i in s.items()] == ["Task_declare_factory"]  # nothing moved
    s.complete("applicant", declaration, bpmn_id="Task_declare_factory")  # the driver attaches the report
    assert [i.bpmn_id for i in s.items()] == ["Task_city_review"]


def test_no_report_no_submit_through_the_api(api):
    s = ApiScenario(api).start()
    body = refused(submit_declaration(api, s, sample_declaration("factory")), 422, "attachments_missing", "attachments")
    assert "第三方评价报告" in body["message"] and body["details"] == {"missing": ["third_party_report"]}
    page = ok(api.get(f"/api/tasks/{s.open_task(s.applicant)}", s.applicant))
    assert [(r["kind"], r["condition"]) for r in page["required_attachments"]] == [
        ("self_evaluation_report", "评价方式为“自评价”时"), ("third_party_report", "评价方式为“第三方评价”时")]
    ok(upload(api, s, "third_party_report"), 201)
    ok(submit_declaration(api, s, sample_declaration("factory")))
    assert s.detail()["open_tasks"][0]["step"] == "Task_city_review"


def test_the_method_decides_which_report_counts(api):
    s = ApiScenario(api, "park").start()
    self_evaluated = {**sample_declaration("park"), "evaluation_method": "self"}
    ok(upload(api, s, "third_party_report"), 201)  # the wrong report for a self-evaluation
    body = refused(submit_declaration(api, s, self_evaluated), 422, "attachments_missing", "attachments")
    assert "自评价报告" in body["message"] and "第三方" not in body["message"]
    ok(upload(api, s, "self_evaluation_report"), 201)
    ok(submit_declaration(api, s, self_evaluated))


def test_the_declaration_page_says_which_report_is_needed(api, visitor):
    s = ApiScenario(api).start()
    page = visitor(s.applicant).get(f"/tasks/{s.open_task(s.applicant)}").get_data(as_text=True)
    assert "提交前须上传" in page and "第三方评价报告</strong>（评价方式为“第三方评价”时）" in page


def formal_review_data(api, task_id, **changes):
    page = ok(api.get(f"/api/tasks/{task_id}", "province"))
    pool = [o["value"] for o in page["options"]["expert_pool"]][:3]
    data = {"materials_complete": True, "decision": "accept", "require_site_inspection": False, "experts": pool,
            "panel_reason": "熟悉该行业的专家，人工指定", **changes}
    return data, page["version"]


def test_formal_review_cannot_accept_unless_materials_are_ticked_complete(api):
    s = ApiScenario(api).start().declare().city_review("recommend").seal_city_package()
    task_id = s.open_task("province", "Task_formal_review")
    ok(api.post(f"/api/tasks/{task_id}/claim", "province"))
    data, version = formal_review_data(api, task_id, materials_complete=False)
    body = refused(api.post(f"/api/tasks/{task_id}/submit", "province", json={"data": data, "version": version}),
                   422, "materials_incomplete", "materials_complete")
    assert "未确认材料齐全" in body["message"]
    assert s.detail()["open_tasks"][0]["step"] == "Task_formal_review"
    s.formal_review()  # ticked: accepted
    assert {t["step"] for t in s.detail()["open_tasks"]} == {"Task_expert_review"}


def test_formal_review_cannot_accept_without_the_report_but_may_reject(api):
    s = ApiScenario(api).start().declare().city_review("recommend").seal_city_package()
    # An application declared before the rule, or on a version without it: its report is not among the materials.
    with transaction():
        db.session.execute(update(Attachment).where(Attachment.application_id == s.application_id)
                           .values(removed_at=utcnow()))
    task_id = s.open_task("province", "Task_formal_review")
    ok(api.post(f"/api/tasks/{task_id}/claim", "province"))
    data, version = formal_review_data(api, task_id)
    body = refused(api.post(f"/api/tasks/{task_id}/submit", "province", json={"data": data, "version": version}),
                   422, "materials_incomplete", "attachments")
    assert body["errors"]["attachments"] == ["申报单位尚未上传第三方评价报告"] and "缺少第三方评价报告" in body["message"]
    s.formal_review("reject")
    assert db.session.get(Application, s.application_id).outcome is not None


def test_materials_rules_are_validated_at_deploy(bundle):
    materials = {"required_attachments": [{"kind": "report", "when": {"field": "evaluation_method", "values": ["self"]}},
                                          {"kind": "self_evaluation_report",
                                           "when": {"field": "evaluation_way", "values": ["self"]}},
                                          {"kind": "third_party_report",
                                           "when": {"field": "evaluation_method", "values": ["agency"]}}],
                 "completeness_checks": [{"step": "Task_nowhere", "confirm_field": "materials_complete"},
                                         {"step": "Task_formal_review", "confirm_field": "ticked"}]}
    changed = Bundle({**bundle.processes, "materials.json": json.dumps(materials)}, dict(bundle.forms))
    messages = [p.message for p in validate_bundle(changed)]
    assert any("kind 应为 self_evaluation_report" in m for m in messages)
    materials["required_attachments"] = materials["required_attachments"][1:]
    changed = Bundle({**bundle.processes, "materials.json": json.dumps(materials)}, dict(bundle.forms))
    messages = [p.message for p in validate_bundle(changed)]
    assert "条件字段“evaluation_way”不在任何申报表单中" in messages
    assert "条件取值 agency 不是表单 declaration_factory.form.json 中“evaluation_method”的选项" in messages
    assert any("“Task_nowhere”不是流程中的人工任务" in m for m in messages)
    assert "确认字段“ticked”不在表单 formal_review.form.json 中" in messages
