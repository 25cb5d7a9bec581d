"""The city verifies the six exclusions and consults three departments before it may recommend (service).

A unit that declared "no" everywhere but is found a dishonest debtor by the city cannot be recommended: the
city is told so at once (422 naming the exclusion), records 不予推荐, and the same exclusion decision run on
the verified answers ends the application 核查存在排除情形. The province sees where the verification
contradicts the self-declaration; the applicant sees neither the verification nor its evidence."""
import pytest

from service.applications.attachments import attachment_for
from service.applications.verification import exclusion_mismatches, mismatch_text
from service.applications.views import application_detail, audit_view
from service.platform.errors import Forbidden, Invalid, NotFound
from service.platform.extensions import db
from service.accounts.models import User
from tests.scenario import Scenario
from tests.test_complete_task__refusals import attempt, snapshot


@pytest.fixture
def s(users, round_, clock):
    return Scenario(users, round_, clock).start().declare()  # every exclusion self-declared "no"


def review(s, decision="recommend", found=(), **changes):
    data = {**s.verification(found=found), "decision": decision, **changes}
    if decision == "recommend":
        data.setdefault("recommend_opinion", "经核查，同意推荐")
    else:
        data.setdefault("comments", "核查发现排除情形")
    return data


def user(s, name):
    return db.session.get(User, s.users[name])


def test_a_verified_exclusion_overrides_the_self_declared_no(s):
    before = snapshot(s.application_id)
    error = attempt(s, "changchun", review(s, "recommend", found=("exc_dishonest",)))
    assert isinstance(error, Invalid) and error.status == 422 and error.code == "verified_exclusion"
    assert "失信被执行人" in error.message
    assert error.fields["verified_exc_dishonest"] == ["核查结果为“是”：存在排除情形"]
    assert "只能不予推荐" in error.fields["decision"][0]
    assert snapshot(s.application_id)[:5] == before[:5]  # nothing moved (the uploads are the only new rows)

    error = attempt(s, "changchun", review(s, "send_back", found=("exc_dishonest",)))
    assert error.code == "verified_exclusion"  # a correction by the unit cannot cure a finding

    s.city_review("reject", found=("exc_dishonest",))
    application = s.application
    assert application.outcome == "核查存在排除情形" and application.outcome_element == "End_verified_excluded"
    assert ("rule_evaluated", "Task_verified_eligibility") in s.trail()
    assert s.trail()[-2:] == [("gateway_decision", "Gateway_verified"), ("ended", "End_verified_excluded")]
    assert s.chain_ok()

    rows = exclusion_mismatches(application)
    assert [(r["exclusion"], r["自查"], r["核查"], r["核查来源"]) for r in rows] == [
        ("exc_dishonest", "否", "是", "中国执行信息公开网")]
    assert rows[0]["排除情形"] == "被列为失信被执行人" and rows[0]["查询日期"] == "2024-05-06"
    assert rows[0]["核查证据"] == "信用中国查询结果.pdf"
    assert "被列为失信被执行人：自查否，核查是（中国执行信息公开网，2024-05-06）" == mismatch_text(application)

    # The province and the city see the mismatch and its evidence; the applicant sees neither.
    for who in ("staff", "changchun"):
        detail = application_detail(user(s, who), s.application_id)
        assert detail["exclusion_mismatches"][0]["evidence_id"] == rows[0]["evidence_id"], who
        assert {a["kind"] for a in detail["attachments"]} >= {"verification_evidence", "department_reply"}
        assert attachment_for(user(s, who), rows[0]["evidence_id"]).kind == "verification_evidence"
    own = application_detail(user(s, "applicant"), s.application_id)
    assert "exclusion_mismatches" not in own
    assert not {a["kind"] for a in own["attachments"]} & {"verification_evidence", "department_reply"}
    with pytest.raises(NotFound):
        attachment_for(user(s, "applicant"), rows[0]["evidence_id"])
    review_event = next(e for e in audit_view(user(s, "applicant"), s.application_id)["events"]
                        if e["element_id"] == "Task_city_review")
    assert not [k for k in review_event["data"]["form"] if k.startswith(("verified_", "consult_"))]
    assert review_event["data"]["form"]["decision"] == "reject" and "核查" in review_event["data"]["redacted"]


def test_no_mismatch_when_the_verification_confirms_the_declaration(s):
    s.city_review("recommend")
    assert s.waits_for_city_package()
    assert exclusion_mismatches(s.application) == []
    assert application_detail(user(s, "staff"), s.application_id)["exclusion_mismatches"] == []


def test_recommending_needs_an_opinion(s):
    error = attempt(s, "changchun", review(s, recommend_opinion="  "))
    assert error.status == 422 and error.fields == {"recommend_opinion": ["推荐时须填写推荐意见"]}
    data = review(s)
    del data["recommend_opinion"]
    assert attempt(s, "changchun", data).fields == {"recommend_opinion": ["必填项"]}


def test_a_department_objecting_must_say_why_and_is_kept(s):
    error = attempt(s, "changchun", review(s, consult_emergency_conclusion="objection", consult_emergency=""))
    assert error.status == 422 and error.fields == {"consult_emergency": ["必填项"]}
    s.city_review("recommend", consult_emergency_conclusion="objection", consult_emergency="该企业2023年发生一般安全事故")
    form = next(e.payload["form"] for e in s.trail_events() if e.element_id == "Task_city_review")
    assert form["consult_emergency_conclusion"] == "objection" and "安全事故" in form["consult_emergency"]


def test_a_query_date_after_today_is_refused(s):
    error = attempt(s, "changchun", review(s, verified_exc_accident_date="2024-05-07"))
    assert error.fields == {"verified_exc_accident_date": ["查询日期不能晚于今天（2024-05-06）"]}


def test_evidence_must_be_a_pdf_of_the_right_kind_uploaded_to_this_application(s):
    data = review(s)
    reply = data["consult_market_reply"]
    error = attempt(s, "changchun", {**data, "verified_exc_removed_evidence": reply})  # a reply, not evidence
    assert error.fields == {"verified_exc_removed_evidence": ["请选择列表中的选项"]}
    other = Scenario(s.users, s.round_id, s.clock).start("park").declare("park")
    foreign = other.upload("changchun", "verification_evidence")
    error = attempt(s, "changchun", {**data, "verified_exc_removed_evidence": str(foreign)})
    assert error.fields == {"verified_exc_removed_evidence": ["请选择列表中的选项"]}


def test_who_may_upload_the_city_checks(s):
    with pytest.raises(Invalid) as caught:
        s.upload("applicant", "verification_evidence")
    assert "市州" in caught.value.fields["kind"][0]
    with pytest.raises(NotFound):
        s.upload("jilin", "department_reply")  # another city does not even see the application
    assert s.upload("staff", "department_reply")
    with pytest.raises(Forbidden):
        s.upload("changchun", "self_evaluation_report")  # the unit's own materials stay the unit's


def test_the_summary_table_can_pass_the_forms_it_already_read(s):
    """reports.py reads each application's last declaration and city review once; the mismatch text for its
    column is computed from those, without reading the trail again."""
    from service.rounds.reports import latest_submissions
    s.city_review("reject", found=("exc_removed", "exc_inspection"))
    submitted = latest_submissions(s.application)
    text = mismatch_text(s.application, declared=submitted.declaration, verified=submitted.city_review)
    assert text.startswith("被动态调整出绿色制造名单：自查否，核查是（相关部门，2024-05-06）；")
    assert "在国务院及有关部委相关督查工作中被发现存在严重问题：自查否，核查是" in text
