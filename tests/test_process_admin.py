"""Process administration over the API: a draft of next year's diagram is edited, validated, rehearsed
against this year's recorded applications and deployed, while this year's applications finish on the
version they started on."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import func, select

from service.platform.extensions import db
from service.applications.models import Application
from service.audit.models import AuditEvent
from tests.api import ApiScenario, ok

MAIN = "processes/green_round.bpmn"
PRECHECK_FORM = {"type": "default", "id": "Form_precheck", "components": [
    {"type": "textfield", "key": "remark", "label": "预审备注", "id": "Field_remark", "validate": {"required": True}}]}


def add_precheck_task(xml: str) -> str:
    """A province pre-check between the scope and the eligibility rules, as an editor would draw it."""
    xml = xml.replace(
        '<bpmn:sequenceFlow id="Flow_Gw_scope_T_eligibility" name="符合" sourceRef="Gateway_scope" targetRef="Task_eligibility" />',
        '<bpmn:sequenceFlow id="Flow_Gw_scope_T_eligibility" name="符合" sourceRef="Gateway_scope" targetRef="Task_precheck" />'
        '<bpmn:sequenceFlow id="Flow_precheck_eligibility" sourceRef="Task_precheck" targetRef="Task_eligibility" />')
    xml = xml.replace('<bpmn:incoming>Flow_Gw_scope_T_eligibility</bpmn:incoming>',
                      '<bpmn:incoming>Flow_precheck_eligibility</bpmn:incoming>')
    xml = xml.replace(
        '<bpmn:userTask id="Task_city_review" name="市州初审推荐">',
        '<bpmn:userTask id="Task_precheck" name="省厅预审"><bpmn:extensionElements><spiffworkflow:properties>'
        '<spiffworkflow:property name="form" value="precheck.form.json" /></spiffworkflow:properties>'
        '</bpmn:extensionElements><bpmn:incoming>Flow_Gw_scope_T_eligibility</bpmn:incoming>'
        '<bpmn:outgoing>Flow_precheck_eligibility</bpmn:outgoing></bpmn:userTask>'
        '<bpmn:userTask id="Task_city_review" name="市州初审推荐">', 1)
    return xml.replace('<bpmn:flowNodeRef>Task_formal_review</bpmn:flowNodeRef>',
                       '<bpmn:flowNodeRef>Task_precheck</bpmn:flowNodeRef><bpmn:flowNodeRef>Task_formal_review</bpmn:flowNodeRef>')


def delete_elements(xml: str, ids: set[str]) -> str:
    """Delete elements as a modeler does: with their connections, lane entries and diagram shapes."""
    from lxml import etree

    root = etree.fromstring(xml.encode("utf-8"))
    gone = set(ids)
    for flow in root.iter("{*}sequenceFlow"):
        if flow.get("sourceRef") in ids or flow.get("targetRef") in ids:
            gone.add(flow.get("id"))
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            continue
        reference = (element.text or "").strip() if etree.QName(element).localname in ("incoming", "outgoing",
                                                                                      "flowNodeRef") else None
        if element.get("id") in gone or element.get("bpmnElement") in gone or reference in gone:
            element.getparent().remove(element)
    return etree.tostring(root, encoding="unicode")


def first_version(api) -> int:
    return min(ok(api.get("/api/process-versions", "admin")), key=lambda v: v["number"])["id"]


def draft_from(api, version=None):
    version = version or first_version(api)
    return ok(api.post("/api/process-drafts", "admin", json={"from_version": version}), 201)


def put(api, draft, name, content, revision=None):
    body = {"content": content, "revision": draft["revision"] if revision is None else revision}
    return api.put(f"/api/process-drafts/{draft['id']}/files/{name}", "admin", json=body)


def test_edit_validate_rehearse_deploy_and_both_versions_finish(api):
    before = ApiScenario(api).start().declare()  # this year's application, on version 1
    draft = draft_from(api)
    xml = draft["files"][MAIN]

    # Add a user task (validation names what is missing: its form), then the form.
    saved = ok(put(api, draft, MAIN, add_precheck_task(xml)))
    problems = ok(api.post(f"/api/process-drafts/{draft['id']}/validate", "admin"))
    assert problems["valid"] is False
    assert any(p["element_id"] == "Task_precheck" and "precheck.form.json" in p["message"] for p in problems["problems"])
    saved = ok(put(api, {**draft, **saved}, "forms/precheck.form.json", json.dumps(PRECHECK_FORM, ensure_ascii=False)))
    # Change the notice length in the diagram, and a form field.
    text = add_precheck_task(xml).replace("notice_end(notice_started_at, notice_days)", "notice_end(notice_started_at, 7)")
    saved = ok(put(api, {**draft, **saved}, MAIN, text))
    city_form = json.loads(draft["files"]["forms/city_review.form.json"])
    city_form["components"].append({"type": "textfield", "key": "consult_tax", "label": "税务部门意见",
                                    "id": "Field_consult_tax"})
    saved = ok(put(api, {**draft, **saved}, "forms/city_review.form.json", json.dumps(city_form, ensure_ascii=False)))
    assert ok(api.post(f"/api/process-drafts/{draft['id']}/validate", "admin")) == {"valid": True, "problems": []}

    report = ok(api.post(f"/api/process-drafts/{draft['id']}/rehearse", "admin", json={"round": before.round_id}))
    standard = {row["label"]: row for row in report["standard"]}
    # The standard paths pass the pre-check the script never names, filling its form, and end as before.
    assert {row["status"] for row in report["standard"]} == {"same"}, report["standard"]
    assert standard["列入名单"]["new_steps"] == ["省厅预审"]
    assert report["coverage"]["steps_not_covered"] == []
    # Its required remark is new on a new step: no finding (findings compare steps both versions have).
    assert report["findings"] == []
    assert [row["application_id"] for row in report["recorded"]] == [before.application_id]

    deployed = ok(api.post(f"/api/process-drafts/{draft['id']}/deploy", "admin", json={"note": "2025年：增加省厅预审"}),
                  201)
    assert deployed["number"] == 2
    assert ok(api.get("/api/process-drafts", "admin"))[0]["deployed_version_id"] == deployed["id"]
    assert put(api, {**draft, **saved}, MAIN, xml).status_code == 409  # a deployed draft is history
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "deployed")
                               .order_by(AuditEvent.id)).all()[-1]  # PostgreSQL returns rows in no set order
    assert json.loads(event.data)["note"] == "2025年：增加省厅预审" and event.actor == "admin"

    next_round = ok(api.post(f"/api/rounds/{before.round_id}/next", "admin",
                             json={"process_version_id": deployed["id"]}), 201)
    assert next_round["year"] == 2025 and next_round["name"] == "2025"
    assert next_round["city_deadline"].startswith("2025-06-10T16:00")  # 10 June, until midnight in Changchun

    after = ApiScenario(api, "park")
    after.round_id = next_round["id"]
    body = ok(api.post("/api/applications", "park1", json={"round": next_round["id"], "category": "park"}), 201)
    after.application_id = body["id"]
    after.declare()
    assert after.detail()["stage"] == "省厅预审" and after.detail()["process_version"] == 2
    after.submit("province", {"remark": "材料齐全"}, step="Task_precheck")
    page = ok(api.get(f"/api/tasks/{after.open_task('jilin')}", "jilin"))
    assert any(c.get("key") == "consult_tax" for c in page["form"]["components"])
    after.city_review("reject")
    before.city_review("reject")
    assert before.detail()["process_version"] == 1
    assert before.outcome() == after.outcome() == "市州不予推荐"

    versions = ok(api.get("/api/process-versions", "admin"))
    usage = {v["number"]: v["usage"] for v in versions}
    assert usage[1]["applications"] == 1 and usage[1]["rounds"][0]["name"] == "2024"
    assert usage[2]["applications"] == 1 and usage[2]["rounds"][0]["name"] == "2025"
    archive = api.get(f"/api/process-versions/{deployed['id']}/archive.zip", "admin")
    names = zipfile.ZipFile(io.BytesIO(archive.data)).namelist()
    assert MAIN in names and "forms/precheck.form.json" in names


def reviewed(api, category, site):
    return ApiScenario(api, category).start().declare().city_review("recommend").formal_review(site=site) \
        .expert_reviews(site=site)


def test_rehearsal_names_exactly_the_applications_whose_path_used_the_removed_step(api, clock):
    with_site, without = [], []
    for n in range(21):
        site = n % 3 == 0
        s = reviewed(api, ("factory", "park", "supply_chain")[n % 3], site)
        if site:
            s.site_inspection("pass" if n % 2 else "fail")
        (with_site if site else without).append(s.application_id)
        # one open application per unit and category: finish this one before the next starts
        if s.detail()["outcome"] is None:
            s.batch("start-notice")
            s.objection().handle_objection("upheld")
    draft = draft_from(api)
    # The inspection, its verdict and its failure end deleted: "需要现场核查？" always goes straight on.
    xml = delete_elements(draft["files"][MAIN], {"Task_site_inspection", "Gateway_site_result", "End_site_failed"})
    ok(put(api, draft, MAIN, xml))
    problems = ok(api.post(f"/api/process-drafts/{draft['id']}/validate", "admin"))
    assert problems["valid"], problems

    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    states = dict(db.session.execute(select(Application.id, Application.state)).all())
    round_id = db.session.scalar(select(Application.round_id).limit(1))
    report = ok(api.post(f"/api/process-drafts/{draft['id']}/rehearse", "admin", json={"round": round_id}))
    stuck = sorted(row["application_id"] for row in report["recorded"] if row["status"] == "stuck")
    assert stuck == sorted(with_site)
    assert all(row["diverged_at"] == "Task_site_inspection" for row in report["recorded"] if row["status"] == "stuck")
    assert {row["status"] for row in report["recorded"] if row["application_id"] in without} == {"same"}
    assert len(report["recorded"]) == 21
    # Nothing a rehearsal does reaches the live applications.
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before
    assert dict(db.session.execute(select(Application.id, Application.state)).all()) == states


ADMIN_CALLS = [
    ("POST", "/api/process-drafts", {"json": {"from_version": 1}}),
    ("GET", "/api/process-drafts", {}),
    ("GET", "/api/process-drafts/{draft}", {}),
    ("PUT", "/api/process-drafts/{draft}/files/forms/x.form.json", {"json": {"content": '{"components": []}'}}),
    ("DELETE", "/api/process-drafts/{draft}/files/forms/city_review.form.json", {}),
    ("POST", "/api/process-drafts/{draft}/validate", {}),
    ("POST", "/api/process-drafts/{draft}/rehearse", {"json": {}}),
    ("POST", "/api/process-drafts/{draft}/deploy", {"json": {"note": "x"}}),
    ("POST", "/api/rounds/1/next", {"json": {"process_version_id": 1}}),
    ("POST", "/api/applications/1/move", {"json": {"process_version_id": 1}}),
]


@pytest.mark.parametrize("who", ["province", "auditor", "changchun", "factory1", "expert1"])
def test_only_admin_may_administer_processes(api, who):
    draft = draft_from(api)
    for method, path, kwargs in ADMIN_CALLS:
        response = api.call(method, path.format(draft=draft["id"]), who, **kwargs)
        assert response.status_code == 403, (who, method, path, response.status_code)
    assert ok(api.get(f"/api/process-drafts/{draft['id']}", "admin"))["revision"] == draft["revision"]


def test_hostile_uploads_are_refused_with_their_reason(api):
    draft = draft_from(api)
    xxe = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
           '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&e;</bpmn:definitions>')
    refused = put(api, draft, "processes/upload.bpmn", xxe)
    assert refused.status_code == 422 and "DOCTYPE" in refused.json["errors"]["content"][0]
    scripted = draft["files"][MAIN].replace("notice_started_at = now()", "import os\nnotice_started_at = now()")
    ok(put(api, draft, MAIN, scripted))
    problems = ok(api.post(f"/api/process-drafts/{draft['id']}/validate", "admin"))["problems"]
    assert any(p["element_id"] == "Task_notice_window" and "import" in p["message"] for p in problems)
    refused = api.post(f"/api/process-drafts/{draft['id']}/deploy", "admin", json={"note": "带脚本"})
    assert refused.status_code == 422 and refused.json["code"] == "bundle_invalid"
    assert put(api, draft, "../../etc/passwd", "x").status_code in (404, 422)
    assert put(api, draft, "forms/bad.form.json", "[1, 2]").status_code == 422
    stale = put(api, draft, MAIN, draft["files"][MAIN], revision=draft["revision"] + 5)
    assert stale.status_code == 409


def deployed_variant(api, change, note):
    draft = draft_from(api)
    ok(put(api, draft, MAIN, change(draft["files"][MAIN])))
    return ok(api.post(f"/api/process-drafts/{draft['id']}/deploy", "admin", json={"note": note}), 201)["id"]


def test_moving_a_running_application_is_checked_refused_or_done_and_audited(api):
    running = ApiScenario(api).start().declare()  # declaration completed, city review in progress
    renamed_done = deployed_variant(api, lambda xml: xml.replace(
        '<bpmn:userTask id="Task_declare_factory" name="填报绿色工厂申报书">',
        '<bpmn:userTask id="Task_declare_factory" name="填报绿色工厂申报书（新）">'), "改了申报环节")
    later_changed = deployed_variant(api, lambda xml: xml.replace(
        'name="形式审查与遴选专家"', 'name="形式审查与专家遴选"'), "改了尚未到达的环节")

    path = f"/api/applications/{running.application_id}/move"
    check = ok(api.post(path, "admin", json={"process_version_id": renamed_done}))
    assert check["allowed"] is False and check["moved"] is False
    assert any("已完成的环节 填报绿色工厂申报书（Task_declare_factory）" in r and "已修改" in r for r in check["reasons"])
    refused = api.post(path, "admin", json={"process_version_id": renamed_done, "dry_run": False, "note": "试迁"})
    assert refused.status_code == 409 and refused.json["code"] == "move_refused"
    assert running.detail()["process_version"] == 1

    assert ok(api.post(path, "admin", json={"process_version_id": later_changed}))["allowed"] is True
    moved = ok(api.post(path, "admin", json={"process_version_id": later_changed, "dry_run": False,
                                              "note": "统一到新版本"}))
    assert moved["moved"] is True and running.detail()["process_version"] == 3
    running.city_review("recommend").seal_city_package()
    assert running.detail()["stage"] == "形式审查与专家遴选"  # now on the new version's diagram
    trail = running.audit()
    assert trail["verified"] and any(e["action"] == "version_moved" and e["data"]["to_version"] == 3
                                     for e in trail["events"])

    experts = ApiScenario(api, "park").start().declare().city_review("recommend").formal_review()
    check = ok(api.post(f"/api/applications/{experts.application_id}/move", "admin",
                        json={"process_version_id": later_changed}))
    assert check["allowed"] is False and any("多实例" in r for r in check["reasons"])
    assert api.post(path, "province", json={"process_version_id": later_changed}).status_code == 403


def test_compare_lists_added_removed_and_changed_elements(api):
    draft = draft_from(api)
    xml = add_precheck_task(draft["files"][MAIN]).replace('name="形式审查与遴选专家"', 'name="形式审查"')
    xml = delete_elements(xml, {"Task_site_inspection", "Gateway_site_result", "End_site_failed"})
    ok(put(api, draft, MAIN, xml))
    diff = ok(api.get(f"/api/process-drafts/{draft['id']}/compare", "admin"))
    assert {e["id"] for e in diff["added"]} == {"Task_precheck", "Flow_precheck_eligibility"}
    assert {"Task_site_inspection", "Gateway_site_result", "End_site_failed"} <= {e["id"] for e in diff["removed"]}
    changed = {e["id"]: e["changes"] for e in diff["changed"]}
    assert {"property": "@name", "before": "形式审查与遴选专家", "after": "形式审查"} in changed["Task_formal_review"]
    assert any(c["property"] == "@targetRef" and c["after"] == "Task_precheck" for c in changed["Flow_Gw_scope_T_eligibility"])
    assert diff["files_changed"] == ["green_round.bpmn"]
    first = first_version(api)
    same = ok(api.get(f"/api/process-versions/compare?a={first}&b={first}", "province"))
    assert same == {"added": [], "removed": [], "changed": [], "files_changed": []}
