"""Repair, audited: a process error shows on the application's page, a fixed version is deployed, the
application moved and retried; an administrator returns an application to an earlier step with a reason,
refused where that is unsafe."""
from __future__ import annotations

from datetime import date
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import func, select

from service.applications.models import Application, ApplicationFault, Timer, WorkItem
from service.audit.models import AuditEvent
from service.engine.bundle import Bundle
from service.notify.models import Notification
from service.platform.extensions import db
from service.platform.transactions import transaction
from service.rounds.models import Round
from service.rounds.service import open_round
from service.versions.deploy import deploy
from service.versions.models import ProcessVersion
from service.versions.samples import sample_declaration
from tests.api import ApiScenario, first_version_id, ok, refused
from tests.conftest import OBJECTION_CHANNEL
from tests.pages import Visitor

MAIN = "green_round.bpmn"
GOOD_SCRIPT = ">exclusion_reasons = []<"


def _version_with_script(script: str, *, validated: bool, good: str = GOOD_SCRIPT) -> int:
    """The first version with a script (the eligibility pre-script unless ``good`` names another) replaced:
    deployed as an administrator would (validated), or written as if validation had missed a failure that
    shows only at run time."""
    latest = db.session.scalars(select(ProcessVersion).order_by(ProcessVersion.id.desc())).first()
    bundle = Bundle.from_json(db.session.get(ProcessVersion, first_version_id()).bundle)
    text = bundle.processes[MAIN].replace(good, f">{escape(script)}<", 1)
    assert text != bundle.processes[MAIN]
    changed = Bundle({**bundle.processes, MAIN: text}, bundle.forms, bundle.files)
    if validated:
        return deploy(changed, actor="admin", note="修正资格审查脚本")[0].id
    row = ProcessVersion(number=latest.number + 1, content_hash=changed.content_hash, process_id=latest.process_id,
                         bundle=changed.to_json(), deployed_by="admin")
    db.session.add(row)
    db.session.flush()
    return row.id


@pytest.fixture
def failing_round(api):
    """A round on a version whose eligibility check names a variable nobody sets."""
    with transaction():
        broken = _version_with_script("exclusion_reasons = undeclared_reasons", validated=False)
        return open_round(name="脚本出错的批次", year=2024, city_deadline=date(2024, 6, 10), actor="admin",
                          process_version_id=broken, **OBJECTION_CHANNEL).id


def started(api, round_id) -> ApiScenario:
    s = ApiScenario(api)
    s.round_id = round_id
    s.application_id = ok(api.post("/api/applications", "factory1", json={"round": round_id, "category": "factory"}),
                          201)["id"]
    return s.attach_reports(sample_declaration("factory"))  # a declaration goes in with its report


def trail_actions(s: ApiScenario) -> list[str]:
    return [e["action"] for e in s.audit()["events"]]


def test_a_failing_script_is_shown_to_the_admin_then_fixed_moved_and_retried_audited(app, api, failing_round):
    s = started(api, failing_round)
    before = trail_actions(s)
    task_id = s.open_task("factory1")
    page = ok(api.get(f"/api/tasks/{task_id}", "factory1"))
    declaration = sample_declaration("factory")
    submitted = {"data": declaration, "version": page["version"]}
    response = api.post(f"/api/tasks/{task_id}/submit", "factory1", json=submitted)
    assert response.status_code == 409 and response.json["code"] == "process_error"

    # Refused: nothing of the submit stays, and the error is kept for the administrators.
    assert trail_actions(s) == before and s.open_task("factory1") == task_id
    repair = ok(api.get(f"/api/applications/{s.application_id}/repair", "admin"))
    fault = repair["fault"]
    assert (fault["element_id"], fault["element_name"], fault["kind"], fault["step_name"], fault["actor"]) == \
        ("Task_eligibility", "资格审查（排除情形）", "task", "填报绿色工厂申报书", "factory1")
    assert "undeclared_reasons" in fault["message"] and "执行失败" in fault["message"]
    assert fault["version"] == 2 and fault["moved_since"] is False and s.detail()["needs_repair"] is True
    assert ok(api.get(f"/api/applications/{s.application_id}/repair", "province"))["fault"]["element_id"] == \
        "Task_eligibility"
    assert api.get(f"/api/applications/{s.application_id}/repair", "factory1").status_code == 403

    # The page says what failed, where and what to do; province staff see it, only the admin gets the buttons.
    admin = Visitor(app)
    admin.login("admin")
    html = admin.get(f"/applications/{s.application_id}").get_data(as_text=True)
    assert "流程出错，需修复" in html and "资格审查（排除情形）（Task_eligibility）" in html
    assert "undeclared_reasons" in html and 'id="retry"' in html and "迁移到流程版本" in html
    assert "流程出错，需修复" in admin.get("/applications").get_data(as_text=True)
    staff = Visitor(app)
    staff.login("province")
    html = staff.get(f"/applications/{s.application_id}").get_data(as_text=True)
    assert "流程出错，需修复" in html and 'id="retry"' not in html
    applicant = Visitor(app)
    applicant.login("factory1")
    assert "流程出错" not in applicant.get(f"/applications/{s.application_id}").get_data(as_text=True)

    # Retrying before the fix fails the same way and is counted; the applicant may also try again as it was.
    assert admin.post(f"/admin/applications/{s.application_id}/retry").status_code == 302
    assert ok(api.get(f"/api/applications/{s.application_id}/repair", "admin"))["fault"]["failures"] == 2
    again = api.post(f"/api/tasks/{task_id}/submit", "factory1", json=submitted)
    assert again.status_code == 409 and again.json["code"] == "process_error"

    # The fix: a new version deployed, the application moved to it (the error stays until the retry).
    with transaction():
        fixed = _version_with_script("exclusion_reasons = [] + []", validated=True)
    ok(api.post(f"/api/applications/{s.application_id}/move", "admin",
                json={"process_version_id": fixed, "dry_run": False, "note": "修正资格审查脚本"}))
    number = db.session.get(ProcessVersion, fixed).number
    repair = ok(api.get(f"/api/applications/{s.application_id}/repair", "admin"))
    assert repair["fault"]["moved_since"] is True and number == 3
    assert f"已迁移到第 {number} 版" in admin.get(f"/applications/{s.application_id}").get_data(as_text=True)

    response = admin.post(f"/admin/applications/{s.application_id}/retry")
    assert response.status_code == 302
    assert "重试成功" in admin.get(response.headers["Location"]).get_data(as_text=True)
    detail = s.detail()
    assert detail["stage"] == "市州初审推荐" and detail["needs_repair"] is False and detail["process_version"] == number
    assert ok(api.get(f"/api/applications/{s.application_id}/repair", "admin"))["fault"] is None
    assert db.session.scalar(select(func.count()).select_from(ApplicationFault)) == 0
    trail = s.audit()
    assert trail["verified"]
    actions = [e["action"] for e in trail["events"]]
    assert actions.index("version_moved") < actions.index("process_retried")
    retried = next(e for e in trail["events"] if e["action"] == "process_retried")
    assert retried["actor"] == "admin" and retried["data"]["fault"]["element_id"] == "Task_eligibility"
    assert retried["data"]["fault"]["failures"] == 3 and retried["data"]["version"] == number
    completed = [e for e in trail["events"] if e["action"] == "task_completed"]
    assert completed[-1]["actor"] == "admin" and completed[-1]["data"]["retry_of"] == "factory1"
    assert completed[-1]["data"]["form"]["address"] == declaration["address"]
    # It goes on from there as usual.
    s.city_review("recommend").seal_city_package()
    assert s.detail()["stage"] == "形式审查与遴选专家"
    refused(api.post(f"/api/applications/{s.application_id}/retry", "admin"), 409, "nothing_to_retry")


def test_only_an_admin_retries(api, failing_round):
    s = started(api, failing_round)
    task_id = s.open_task("factory1")
    page = ok(api.get(f"/api/tasks/{task_id}", "factory1"))
    api.post(f"/api/tasks/{task_id}/submit", "factory1", json={"data": sample_declaration("factory"),
                                                               "version": page["version"]})
    for who in ("province", "factory1"):
        assert api.post(f"/api/applications/{s.application_id}/retry", who).status_code == 403
    assert s.detail()["needs_repair"] is True


NOTICE_SCRIPT = ">notice_started_at = now()\nnotice_ends_at = notice_end(notice_started_at, notice_days)<"


def test_a_failing_batch_message_is_kept_and_retried_for_that_application(api):
    with transaction():
        broken = _version_with_script("notice_started_at = now()\nnotice_ends_at = notice_end(started, notice_days)",
                                      validated=False, good=NOTICE_SCRIPT)
        round_id = open_round(name="公示脚本出错的批次", year=2024, city_deadline=date(2024, 6, 10), actor="admin",
                              process_version_id=broken, expert_count=3, **OBJECTION_CHANNEL).id
    s = started(api, round_id).declare().city_review("recommend").formal_review().expert_reviews()
    response = api.post(f"/api/rounds/{round_id}/start-notice", "province", json={"applications": [s.application_id]})
    assert response.status_code == 409 and response.json["code"] == "batch_refused"
    fault = ok(api.get(f"/api/applications/{s.application_id}/repair", "admin"))["fault"]
    assert (fault["element_id"], fault["kind"], fault["actor"]) == ("Task_notice_window", "message", "province")

    with transaction():
        fixed = _version_with_script("notice_started_at = now()\nnotice_ends_at = notice_end(notice_started_at, "
                                     "notice_days + 0)", validated=True, good=NOTICE_SCRIPT)
    ok(api.post(f"/api/applications/{s.application_id}/move", "admin",
                json={"process_version_id": fixed, "dry_run": False, "note": "修正公示期计算"}))
    detail = ok(api.post(f"/api/applications/{s.application_id}/retry", "admin"))
    assert detail["needs_repair"] is False and "公示" in detail["stage"]
    started_notice = [e for e in s.audit()["events"] if e["action"] == "batch_action"]
    assert [(e["actor"], e["data"]["action"], e["data"]["retry_of"]) for e in started_notice] == \
        [("admin", "start_notice", "province")]


def _version_noting_overdue(script: str, *, validated: bool) -> int:
    """The first version with a script step between the factory declaration's deadline and its end."""
    latest = db.session.scalars(select(ProcessVersion).order_by(ProcessVersion.id.desc())).first()
    bundle = Bundle.from_json(db.session.get(ProcessVersion, first_version_id()).bundle)
    text = bundle.processes[MAIN]
    text = text.replace('sourceRef="Timer_declare_factory" targetRef="End_overdue_declaration"',
                        'sourceRef="Timer_declare_factory" targetRef="Task_overdue_note"')
    text = text.replace("<bpmn:incoming>Flow_Timer_declare_factory_End_overdue_declaration</bpmn:incoming>\n"
                        "      <bpmn:incoming>Flow_Timer_declare_park",
                        "<bpmn:incoming>Flow_overdue_note_end</bpmn:incoming>\n      <bpmn:incoming>Flow_Timer_declare_park")
    text = text.replace("</bpmn:process>", f"""<bpmn:scriptTask id="Task_overdue_note" name="记录逾期">
      <bpmn:incoming>Flow_Timer_declare_factory_End_overdue_declaration</bpmn:incoming>
      <bpmn:outgoing>Flow_overdue_note_end</bpmn:outgoing><bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="Flow_overdue_note_end" sourceRef="Task_overdue_note" targetRef="End_overdue_declaration" />
  </bpmn:process>""", 1)
    changed = Bundle({**bundle.processes, MAIN: text}, bundle.forms, bundle.files)
    if validated:
        return deploy(changed, actor="admin", note="修正逾期记录脚本")[0].id
    row = ProcessVersion(number=latest.number + 1, content_hash=changed.content_hash, process_id=latest.process_id,
                         bundle=changed.to_json(), deployed_by="admin")
    db.session.add(row)
    db.session.flush()
    return row.id


def test_a_timer_failing_in_the_worker_is_kept_until_the_fixed_version_fires_it(api, clock):
    with transaction():
        broken = _version_noting_overdue("overdue_since = deadline_day", validated=False)
        round_id = open_round(name="逾期脚本出错的批次", year=2024, city_deadline=date(2024, 6, 10), actor="admin",
                              process_version_id=broken, **OBJECTION_CHANNEL).id
    s = started(api, round_id)
    clock.set(db.session.get(Round, round_id).city_deadline)
    clock.advance(hours=1)
    assert s.run_worker() == 0 and s.run_worker() == 0  # the worker tries again each round, and logs it
    fault = ok(api.get(f"/api/applications/{s.application_id}/repair", "admin"))["fault"]
    assert (fault["element_id"], fault["kind"], fault["actor"], fault["failures"]) == \
        ("Task_overdue_note", "timers", "system:timer", 2)
    assert s.detail()["stage"] == "填报绿色工厂申报书"

    with transaction():
        fixed = _version_noting_overdue("overdue_noted = True", validated=True)
    ok(api.post(f"/api/applications/{s.application_id}/move", "admin",
                json={"process_version_id": fixed, "dry_run": False, "note": "修正逾期记录脚本"}))
    # The move runs the engine on the fixed version, and the due timer with it; the retry finds nothing
    # left to fire and closes the record.
    assert s.detail()["outcome"] == "逾期未推荐" and s.detail()["needs_repair"] is True
    detail = ok(api.post(f"/api/applications/{s.application_id}/retry", "admin"))
    assert detail["outcome"] == "逾期未推荐" and detail["needs_repair"] is False
    actions = trail_actions(s)
    assert actions.index("version_moved") < actions.index("timer_fired") < actions.index("process_retried")


# -- rewind -----------------------------------------------------------------------------------------

def rewind(api, s, who="admin", **body):
    return api.post(f"/api/applications/{s.application_id}/rewind", who, json=body)


def test_a_declaration_corrected_after_a_rewind_is_judged_on_its_new_answers(app, api, clock):
    """After a rewind the steps below the declaration must still see its data once saved and reloaded: an
    exclusion answered 是 in the corrected declaration ends the application 不予受理."""
    s = ApiScenario(api).start().declare().city_review("recommend")
    ok(rewind(api, s, element_id="Task_declare_factory", reason="请如实填报排除情形"))
    s.declare(exclusions=("exc_dishonest",))
    assert s.detail()["outcome"] == "不予受理"


def test_rewind_from_formal_review_to_the_declaration(app, api, clock):
    s = ApiScenario(api).start().declare().city_review("recommend").seal_city_package()
    declared = next(e for e in s.audit()["events"] if e["action"] == "task_completed")["data"]["form"]
    targets = ok(api.get(f"/api/applications/{s.application_id}/repair", "admin"))["rewind_targets"]
    assert [t["element_id"] for t in targets] == ["Task_declare_factory", "Task_city_review"]

    assert rewind(api, s, "province", element_id="Task_declare_factory", reason="补充材料").status_code == 403
    refused(rewind(api, s, element_id="Task_declare_factory", reason="  "), 422, "validation_failed", "reason")
    assert s.detail()["stage"] == "形式审查与遴选专家"

    detail = ok(rewind(api, s, element_id="Task_declare_factory", reason="申报材料缺少能耗数据，退回补充"))
    assert detail["stage"] == "填报绿色工厂申报书"
    assert [t["step"] for t in detail["open_tasks"]] == ["Task_declare_factory"]

    # The applicant has the declaration again, starting from what it submitted; nobody else has a task.
    task_id = s.open_task("factory1")
    page = ok(api.get(f"/api/tasks/{task_id}", "factory1"))
    assert page["data_source"] == "previous" and page["data"]["address"] == declared["address"]
    assert not [t for t in ok(api.get("/api/tasks", "province"))["items"] if t["application_id"] == s.application_id]
    # One work item, and the declaration's deadline timer armed again for the round's city deadline.
    items = db.session.scalars(select(WorkItem).where(WorkItem.application_id == s.application_id)).all()
    timers = db.session.scalars(select(Timer).where(Timer.application_id == s.application_id)).all()
    city_deadline = db.session.get(Round, s.round_id).city_deadline
    assert [i.bpmn_id for i in items] == ["Task_declare_factory"] and items[0].due_at == city_deadline
    assert [(t.element_id, t.due_at) for t in timers] == [("Timer_declare_factory", city_deadline)]
    assert str(task_id) != next(e for e in s.audit()["events"] if e["action"] == "task_completed")["data"]["task_id"]
    told = db.session.scalar(select(Notification).where(Notification.idempotency_key == f"sent_back:{task_id}"))
    assert told is not None and "被退回" in told.subject and told.recipients[0]["username"] == "factory1"

    trail = s.audit()
    assert trail["verified"]
    event = next(e for e in trail["events"] if e["action"] == "application_rewound")
    assert event["actor"] == "admin" and event["element_id"] == "Task_declare_factory"
    assert event["data"]["reason"] == "申报材料缺少能耗数据，退回补充" and event["data"]["from"] == ["形式审查与遴选专家"]

    # The timeline shows it, and the application goes on from the declaration.
    admin = Visitor(app)
    admin.login("admin")
    html = admin.get(f"/applications/{s.application_id}").get_data(as_text=True)
    assert "退回到环节" in html and "申报材料缺少能耗数据，退回补充" in html
    s.declare().city_review("recommend").seal_city_package()  # recommended anew: the city's next package
    assert s.detail()["stage"] == "形式审查与遴选专家"


def test_rewind_is_refused_while_the_expert_review_runs_and_once_ended(api):
    reviewing = ApiScenario(api, "park").start().declare().city_review("recommend").formal_review()
    repair = ok(api.get(f"/api/applications/{reviewing.application_id}/repair", "admin"))
    assert repair["rewind_targets"] == [] and "专家评审" in repair["rewind_blocked"]
    body = refused(rewind(api, reviewing, element_id="Task_formal_review", reason="重新遴选专家"), 409, "rewind_refused")
    assert "多实例环节“专家评审”正在进行" in body["message"]
    assert reviewing.detail()["stage"] == "专家评审"

    ended = ApiScenario(api, "supply_chain").start().declare().city_review("reject")
    assert ended.outcome() == "市州不予推荐"
    body = refused(rewind(api, ended, element_id="Task_city_review", reason="改判"), 409, "rewind_refused")
    assert "申报已结束" in body["message"]

    at_city = ApiScenario(api).start().declare()
    for element, words in (("Task_formal_review", "尚未办理过"), ("Task_expert_review", "多实例环节"),
                           ("Gateway_category", "不是本流程的人工办理环节")):
        body = refused(rewind(api, at_city, element_id=element, reason="试一试"), 409, "rewind_refused")
        assert words in body["message"]
    events = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "application_rewound"))
    assert events == 0


def test_rewind_into_a_passed_deadline_is_refused(api, clock):
    s = ApiScenario(api).start().declare().city_review("recommend").seal_city_package()
    clock.set(db.session.get(Round, s.round_id).city_deadline)
    clock.advance(days=1)
    body = refused(rewind(api, s, element_id="Task_declare_factory", reason="补充材料"), 409, "rewind_refused")
    assert "期限" in body["message"] and "顺延" in body["message"]
    assert s.detail()["stage"] == "形式审查与遴选专家"


def test_rewind_through_the_page_keeps_the_typed_reason_when_refused(app, api):
    s = ApiScenario(api).start().declare().city_review("recommend").seal_city_package()
    admin = Visitor(app)
    admin.login("admin")
    html = admin.get(f"/applications/{s.application_id}").get_data(as_text=True)
    assert "退回到任意环节" in html and '<option value="Task_city_review"' in html
    response = admin.post(f"/admin/applications/{s.application_id}/rewind", {"element_id": "Task_city_review",
                                                                             "reason": ""})
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "请填写退回原因" in page
    response = admin.post(f"/admin/applications/{s.application_id}/rewind",
                          {"element_id": "Task_city_review", "reason": "推荐排序有误"})
    assert "已退回" in admin.get(response.headers["Location"]).get_data(as_text=True)
    assert s.detail()["stage"] == "市州初审推荐"
    staff = Visitor(app)
    staff.login("province")
    assert "退回到任意环节" not in staff.get(f"/applications/{s.application_id}").get_data(as_text=True)
    assert staff.post(f"/admin/applications/{s.application_id}/rewind",
                      {"element_id": "Task_declare_factory", "reason": "x"}).status_code == 403
    assert db.session.get(Application, s.application_id).stage == "市州初审推荐"
