"""The city's verification through the HTTP API and the pages: the same rules as the service, and who sees what.

Changchun (the demo city reviewer) uploads its credit-query result and the departments' reply, then submits.
A dishonest debtor found by the check cannot be recommended (422 naming it); 不予推荐 ends it 核查存在排除情形.
The province's application detail (API and page) lists the mismatch with the evidence; the applicant's does
not, and the evidence is 404 for the applicant and for the experts."""
from service.applications.verification import DEPARTMENTS
from tests.api import ApiScenario, ok, refused
from tests.pages import Visitor, text


def submission(s, decision, found=(), **changes):
    data = {**s.verification(found=found), "decision": decision, **changes}
    if decision == "recommend":
        data.setdefault("recommend_opinion", "经核查，同意推荐")
    else:
        data.setdefault("comments", "核查发现排除情形")
    return data


def submit(s, data):
    task_id = s.open_task(s.reviewer)
    page = ok(s.api.get(f"/api/tasks/{task_id}", s.reviewer))
    return s.api.post(f"/api/tasks/{task_id}/submit", s.reviewer, json={"data": data, "version": page["version"]})


def test_a_verified_exclusion_refuses_the_recommendation_and_shows_the_province_the_mismatch(api, app):
    s = ApiScenario(api).start().declare()  # factory1 declared "no" to every exclusion
    task_page = ok(api.get(f"/api/tasks/{s.open_task('changchun')}", "changchun"))
    assert task_page["options"]["verification_evidence"] == []  # nothing uploaded yet

    body = refused(submit(s, submission(s, "recommend", found=("exc_dishonest",))), 422, "verified_exclusion",
                   "verified_exc_dishonest", "decision")
    assert "失信被执行人" in body["message"]
    task_page = ok(api.get(f"/api/tasks/{s.open_task('changchun')}", "changchun"))
    assert len(task_page["options"]["verification_evidence"]) == 1  # the upload of the refused try is offered

    ok(submit(s, submission(s, "reject", found=("exc_dishonest",))))
    assert s.outcome() == "核查存在排除情形"

    detail = s.detail("province")
    [row] = detail["exclusion_mismatches"]
    assert (row["exclusion"], row["自查"], row["核查"], row["核查来源"]) == ("exc_dishonest", "否", "是", "中国执行信息公开网")
    assert api.get(f"/api/attachments/{row['evidence_id']}", "province").status_code == 200
    assert s.detail("changchun")["exclusion_mismatches"] == [row]

    own = s.detail("factory1")
    assert "exclusion_mismatches" not in own
    assert {a["kind"] for a in own["attachments"]} == {"third_party_report"}  # its own report, not the city's checks
    assert api.get(f"/api/attachments/{row['evidence_id']}", "factory1").status_code == 404
    review = next(e for e in ok(api.get(f"/api/applications/{s.application_id}/audit", "factory1"))["events"]
                  if e["element_id"] == "Task_city_review")
    assert not [k for k in review["data"]["form"] if k.startswith(("verified_", "consult_"))]

    # The pages say the same: highlighted for the province, absent for the unit.
    province = Visitor(app)
    province.login("province")
    page = text(province.get(f"/applications/{s.application_id}"))
    assert "核查结果与单位自查不一致" in page and "被列为失信被执行人" in page and "中国执行信息公开网" in page
    assert f"/api/attachments/{row['evidence_id']}" in page
    unit = Visitor(app)
    unit.login("factory1")
    page = text(unit.get(f"/applications/{s.application_id}"))
    assert "核查结果与单位自查不一致" not in page and "信用中国查询结果" not in page


def test_recommendation_without_opinion_and_objection_without_reason_are_refused(api):
    s = ApiScenario(api).start().declare()
    data = submission(s, "recommend")
    del data["recommend_opinion"]
    refused(submit(s, data), 422, "validation_failed", "recommend_opinion")
    for department in DEPARTMENTS:
        body = refused(submit(s, submission(s, "recommend", **{department.conclusion: "objection",
                                                               department.key: " "})),
                       422, "validation_failed", department.key)
        assert "有异议时须填写异议内容" in body["errors"][department.key][0]
    ok(submit(s, submission(s, "recommend", consult_market_conclusion="objection",
                            consult_market="该企业存在未结案的市场监管行政处罚")))
    assert s.detail("province")["exclusion_mismatches"] == []


def test_the_unit_cannot_upload_the_city_checks_and_experts_do_not_see_them(api):
    s = ApiScenario(api).start().declare()
    body = refused(api.post("/api/attachments", "factory1", content_type="multipart/form-data", data={
        "application_id": str(s.application_id), "kind": "verification_evidence",
        "file": (__import__("io").BytesIO(b"%PDF-1.4\n%%EOF\n"), "伪造.pdf")}), 422, "validation_failed", "kind")
    assert "市州" in body["errors"]["kind"][0]
    s.city_review("recommend").formal_review()
    evidence = next(a for a in s.detail("province")["attachments"] if a["kind"] == "verification_evidence")
    expert_view = s.detail("expert1")
    assert "exclusion_mismatches" not in expert_view
    assert not [a for a in expert_view["attachments"] if a["kind"] in ("verification_evidence", "department_reply")]
    assert api.get(f"/api/attachments/{evidence['id']}", "expert1").status_code == 404
