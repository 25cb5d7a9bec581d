"""What each decision needs on its screen, through GET /api/tasks/<id>: the objection step lists every objection
(what, when, the evidence and its PDFs, who filed it: that only to who access.sees_objector allows); the site
inspection and a formal review done again after the experts show each expert's score and opinion, the average
and who asked for an inspection (access.sees_expert_review: never another expert's review to an expert); a
re-review serves the same field-by-field changes the page shows."""
from __future__ import annotations

import io
import json

from sqlalchemy import select

from service.accounts.models import User
from service.applications.access import visible_event_data
from service.applications.decision_facts import objections_view
from service.applications.inbox import task_page
from service.audit.models import AuditEvent
from service.commands.sample_reports import SAMPLE_REPORT_PDF
from service.platform.extensions import db
from tests.api import ApiScenario, ok, refused


def _experts_done(api, site_by=(1,)):
    s = ApiScenario(api).start().declare().city_review("recommend").formal_review()
    for n, score in ((1, 82), (2, 75), (3, 70)):
        if n == 2:
            # Expert 2 reviews with expert 1's result already in: neither its score nor its opinion shows.
            task_id = s.open_task("expert2")
            page = ok(api.get(f"/api/tasks/{task_id}", "expert2"))
            assert page["expert_results"] is None and page["objections"] is None
            assert "余热回收数据需到现场核实" not in json.dumps(page, ensure_ascii=False)
            assert all(h["step"] != "Task_expert_review" for h in page["history"])
        s.submit(f"expert{n}", {"score": score, "site_inspection": n in site_by,
                                "opinion": "余热回收数据需到现场核实" if n == 1 else f"专家{n}：材料完整"})
    return s


def test_the_site_inspection_shows_each_experts_score_the_average_and_who_asked(api):
    s = _experts_done(api, site_by=(1, 3))
    task_id = s.open_task("province", "Task_site_inspection")
    for reader in ("province", "auditor"):
        results = ok(api.get(f"/api/tasks/{task_id}", reader))["expert_results"]
        # Named with their office, as trails name people: "延边大学 评审专家1".
        assert [(r["expert"].split(" ")[-1], r["score"], r["site_inspection"]) for r in results["reviews"]] == [
            ("评审专家1", 82.0, True), ("评审专家2", 75.0, False), ("评审专家3", 70.0, True)]
        assert results["reviews"][0]["opinion"] == "余热回收数据需到现场核实"
        assert results["average"] == 75.67 and results["count"] == 3
        assert [n.split(" ")[-1] for n in results["inspection_requested_by"]] == ["评审专家1", "评审专家3"]
        assert results["required_by_formal_review"] is False
    # The city and the experts do not open the province's step at all.
    for outsider in ("changchun", "expert1", "factory1"):
        refused(api.get(f"/api/tasks/{task_id}", outsider), 404, "task_not_found")


def test_a_formal_review_done_again_after_the_experts_shows_their_results(api):
    s = _experts_done(api)
    ok(api.post(f"/api/applications/{s.application_id}/rewind", "admin",
                json={"element_id": "Task_formal_review", "reason": "专家建议补充材料后重新审查"}))
    task_id = s.open_task("province", "Task_formal_review")
    page = ok(api.get(f"/api/tasks/{task_id}", "province"))
    assert [r["score"] for r in page["expert_results"]["reviews"]] == [82.0, 75.0, 70.0]
    assert [n.split(" ")[-1] for n in page["expert_results"]["inspection_requested_by"]] == ["评审专家1"]
    assert page["objections"] is None


def test_the_first_formal_review_has_no_expert_results(api):
    s = ApiScenario(api).start().declare().city_review("recommend")
    s.seal_city_package()
    task_id = s.open_task("province", "Task_formal_review")
    page = ok(api.get(f"/api/tasks/{task_id}", "province"))
    assert page["expert_results"] is None and page["changes"] is None


def _evidence(api, s, name):
    return ok(api.post("/api/attachments", "province", content_type="multipart/form-data", data={
        "application_id": str(s.application_id), "kind": "objection_evidence",
        "file": (io.BytesIO(SAMPLE_REPORT_PDF), name)}), 201)["id"]


def _under_notice(api):
    s = _experts_done(api, site_by=())
    return s.batch("start-notice")


def _object(api, s, content, attachment_ids=()):
    return api.post(f"/api/applications/{s.application_id}/objections", "province", json={
        "real_name": "陈某某", "contact": "13900000000", "unit": "长春某环保协会", "content": content,
        "evidence": "行政处罚决定书复印件", "attachment_ids": list(attachment_ids)})


def test_the_objection_step_lists_every_objection_with_its_evidence(api):
    s = _under_notice(api)
    first = _evidence(api, s, "处罚决定书.pdf")
    ok(_object(api, s, "该单位去年发生环境污染事故", [first]), 201)
    s.handle_objection("dismissed")
    second = _evidence(api, s, "监测报告.pdf")
    ok(_object(api, s, "该单位能耗数据与统计局数据不符", [second]), 201)
    task_id = s.open_task("province", "Task_objection")
    for reader in ("province", "auditor"):
        objections = ok(api.get(f"/api/tasks/{task_id}", reader))["objections"]
        assert [(o["n"], o["content"], o["handled"], o["decision"]) for o in objections] == [
            (1, "该单位去年发生环境污染事故", True, "异议不成立"), (2, "该单位能耗数据与统计局数据不符", False, None)]
        assert objections[1]["objector"] == {"real_name": "陈某某", "contact": "13900000000", "unit": "长春某环保协会"}
        assert objections[1]["evidence"] == "行政处罚决定书复印件" and objections[1]["received_at"]
        assert [f["name"] for f in objections[0]["attachments"]] == ["处罚决定书.pdf"]
        assert [f["id"] for f in objections[1]["attachments"]] == [second]
        assert api.get(f"/api/attachments/{second}", reader).status_code == 200
    # The unit and its city never see who objected: not in the task (not theirs), the trail or the files.
    for outsider in ("changchun", "factory1"):
        refused(api.get(f"/api/tasks/{task_id}", outsider), 404, "task_not_found")
        assert api.get(f"/api/attachments/{second}", outsider).status_code == 404
        detail = ok(api.get(f"/api/applications/{s.application_id}", outsider))
        assert all(a["kind"] != "objection_evidence" for a in detail["attachments"])
        assert "陈某某" not in json.dumps(s.audit(outsider), ensure_ascii=False)


def test_the_objector_is_left_out_for_a_reader_the_policy_does_not_tell(api):
    """The view itself, for a reader outside the province (a role a deployment might give the step): the
    same events, the objector and the evidence left out with the policy's reason."""
    s = _under_notice(api)
    ok(_object(api, s, "该单位去年发生环境污染事故", [_evidence(api, s, "处罚决定书.pdf")]), 201)
    task_id = s.open_task("province", "Task_objection")
    province = db.session.scalar(select(User).where(User.username == "province"))
    city = db.session.scalar(select(User).where(User.username == "changchun"))
    seen = task_page(province, task_id)["objections"]
    recorded = [{**visible_event_data(city, e.action, e.element_id, e.actor, json.loads(e.data), set()), "seq": e.seq}
                for e in db.session.scalars(select(AuditEvent).where(AuditEvent.application_id == s.application_id,
                                                                     AuditEvent.action == "objection_recorded"))]
    hidden = objections_view(city, recorded, [], {})
    assert seen[0]["objector"]["real_name"] == "陈某某" and seen[0]["attachments"]
    assert hidden[0]["content"] == "该单位去年发生环境污染事故" and hidden[0]["received_at"] == seen[0]["received_at"]
    assert hidden[0]["objector"] is None and hidden[0]["evidence"] is None and hidden[0]["attachments"] == []
    assert hidden[0]["redacted"] == "异议人信息仅省厅和审计可见"


def test_objection_evidence_is_filed_by_the_province_once(api):
    s = _under_notice(api)
    refused(api.post("/api/attachments", "factory1", content_type="multipart/form-data", data={
        "application_id": str(s.application_id), "kind": "objection_evidence",
        "file": (io.BytesIO(SAMPLE_REPORT_PDF), "x.pdf")}), 403, "forbidden")
    report = next(a["id"] for a in s.detail()["attachments"] if a["kind"] != "objection_evidence")
    refused(_object(api, s, "该单位去年发生环境污染事故", [report]), 422, "validation_failed", "attachment_ids")
    evidence = _evidence(api, s, "处罚决定书.pdf")
    ok(_object(api, s, "该单位去年发生环境污染事故", [evidence]), 201)
    s.handle_objection("dismissed")
    body = refused(_object(api, s, "另一件异议的内容", [evidence]), 422, "validation_failed", "attachment_ids")
    assert "已随另一件异议登记" in body["errors"]["attachment_ids"][0]


def test_the_api_serves_the_changes_the_rereview_page_shows(api, visitor):
    s = ApiScenario(api).start().declare()
    s.submit(s.reviewer, {**s.verification(()), "decision": "send_back", "comments": "请补充"})
    s.declare(changes={"highlights": "余热回收，已补充盖章页"})
    task_id = s.open_task(s.reviewer)
    changes = ok(api.get(f"/api/tasks/{task_id}", "changchun"))["changes"]
    assert [(c["key"], c["label"], c["new"]) for c in changes] == [
        ("highlights", "主要亮点（不超过100字）", "余热回收，已补充盖章页")]
    html = visitor("changchun").get(f"/tasks/{task_id}").get_data(as_text=True)
    assert changes[0]["old"] in html and "修改了 1 项" in html


def test_each_objection_is_paired_with_the_handling_that_stands_for_it():
    """Objection n is decided by the objection step done after it and before objection n + 1; when an
    administrator's rewind had that step done again, the later decision stands (not the n-th step overall)."""
    form = {"id": "Form_objection_handling", "components": [
        {"type": "radio", "key": "decision", "label": "处理结论",
         "values": [{"value": "upheld", "label": "异议成立"}, {"value": "rejected", "label": "异议不成立"}]}]}
    forms = {"Task_objection": form}
    recorded = [{"content": "第一件", "seq": 10}, {"content": "第二件", "seq": 20}]
    handled = lambda seq, decision: {"step": "Task_objection", "seq": seq, "at": None,  # noqa: E731
                                     "data": {"decision": decision}}
    history = [handled(12, "upheld"), handled(15, "rejected"), handled(22, "rejected")]
    first, second = objections_view(None, recorded, history, forms)
    assert (first["content"], first["handled"], first["decision"]) == ("第一件", True, "异议不成立")
    assert (second["content"], second["handled"], second["decision"]) == ("第二件", True, "异议不成立")
    (pending,) = objections_view(None, [{"content": "第三件", "seq": 30}], history, forms)
    assert not pending["handled"] and pending["decision"] is None
