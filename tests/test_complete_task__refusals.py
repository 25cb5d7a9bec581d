"""Completing a task is refused with a typed error, and a refusal changes nothing."""
import json
import pytest
from sqlalchemy import func, select

from service.applications.commands import claim_task, complete_task
from service.versions.samples import sample_declaration
from service.platform.errors import Conflict, Forbidden, Invalid, NotFound, StaleVersion, TaskNotReady
from service.platform.extensions import db
from service.applications.models import Application, Timer, WorkItem
from service.audit.models import AuditEvent
from service.accounts.models import User
from service.organisations.models import Organisation
from service.platform.transactions import transaction
from tests.scenario import Scenario


@pytest.fixture
def at_city_review(users, round_, clock):
    return Scenario(users, round_, clock).start().declare()


def snapshot(application_id):
    db.session.remove()
    application = db.session.get(Application, application_id)
    items = db.session.execute(select(WorkItem.task_id, WorkItem.claimed_by).where(
        WorkItem.application_id == application_id).order_by(WorkItem.task_id)).all()
    timers = db.session.execute(select(Timer.task_id, Timer.due_at).where(
        Timer.application_id == application_id).order_by(Timer.task_id)).all()
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    return application.state, application.version, application.stage, items, timers, events


def attempt(s, who, data, task_id=None, version=None):
    item = s.item() if task_id is None else None
    with pytest.raises(Exception) as caught:
        with transaction():
            complete_task(application_id=s.application_id, task_id=task_id or item.task_id, data=data,
                          user=db.session.get(User, s.users[who]),
                          expected_version=s.application.version if version is None else version)
    return caught.value


REVIEW = {"consult_ecology": "无", "consult_emergency": "无", "consult_market": "无", "decision": "recommend"}


def test_stale_version_is_refused(at_city_review):
    before = snapshot(at_city_review.application_id)
    error = attempt(at_city_review, "changchun", REVIEW, version=before[1] - 1)
    assert isinstance(error, StaleVersion) and error.status == 409
    assert snapshot(at_city_review.application_id) == before


def test_completed_task_is_not_ready(at_city_review):
    declaration_task = next(e for e in at_city_review.trail_events() if e.action == "task_completed").payload["task_id"]
    before = snapshot(at_city_review.application_id)
    error = attempt(at_city_review, "applicant", sample_declaration("factory"), task_id=declaration_task)
    # The state in Chinese, not the engine's word (COMPLETED).
    assert isinstance(error, TaskNotReady) and error.status == 409 and "当前已办理完毕" in error.message
    assert snapshot(at_city_review.application_id) == before


def test_unknown_task_is_not_found(at_city_review):
    error = attempt(at_city_review, "changchun", REVIEW, task_id="00000000-0000-0000-0000-000000000000")
    assert isinstance(error, NotFound) and error.code == "task_not_found"


def test_wrong_role_is_forbidden(at_city_review):
    before = snapshot(at_city_review.application_id)
    error = attempt(at_city_review, "applicant", REVIEW)
    assert isinstance(error, Forbidden) and error.status == 403
    assert snapshot(at_city_review.application_id) == before


def test_reviewer_of_another_city_is_forbidden(at_city_review):
    before = snapshot(at_city_review.application_id)
    error = attempt(at_city_review, "jilin", REVIEW)
    assert isinstance(error, Forbidden)
    assert snapshot(at_city_review.application_id) == before


def test_invalid_data_names_each_field(at_city_review):
    before = snapshot(at_city_review.application_id)
    error = attempt(at_city_review, "changchun", {"decision": "approve", "consult_ecology": "  ", "extra": 1})
    assert isinstance(error, Invalid) and error.status == 422
    assert error.fields["decision"] == ["请选择列表中的选项"]
    assert error.fields["consult_ecology_conclusion"] == ["必填项"]
    assert error.fields["verified_exc_dishonest_evidence"] == ["必填项"]
    assert error.fields["extra"] == ["表单中没有这个字段"]
    assert snapshot(at_city_review.application_id) == before


def test_send_back_needs_comments(at_city_review):
    data = {**at_city_review.verification(), **REVIEW, "decision": "send_back"}
    error = attempt(at_city_review, "changchun", data)
    assert error.fields == {"comments": ["必填项"]}


def test_the_unit_name_and_credit_code_cannot_be_typed_over(users, round_, clock):
    s = Scenario(users, round_, clock).start()
    data = sample_declaration("factory", unit_name="冒名顶替有限公司")
    data["credit_code"] = "91110000000000001X"  # not even valid: it is not read
    s.complete("applicant", data)
    with transaction():
        application = db.session.get(Application, s.application_id)
        unit = db.session.get(Organisation, db.session.get(User, users["applicant"]).organisation_id)
        assert (application.unit_name, application.credit_code) == (unit.name, unit.credit_code)
        declared = db.session.scalars(select(AuditEvent.data).where(AuditEvent.application_id == s.application_id,
                                                               AuditEvent.action == "task_completed")).one()
        form = json.loads(declared)["form"]
        assert form["unit_name"] == "长春示范制造有限公司"
        assert form["credit_code"] == unit.credit_code


def test_task_claimed_by_someone_else(users, round_, clock):
    s = Scenario(users, round_, clock).start().declare().city_review("recommend").seal_city_package()
    with transaction():
        claim_task(application_id=s.application_id, task_id=s.item().task_id, user=db.session.get(User, users["staff2"]))
    before = snapshot(s.application_id)
    error = attempt(s, "staff", {"decision": "reject", "comments": "不全"})
    assert isinstance(error, Conflict) and error.code == "claimed_by_other"
    assert snapshot(s.application_id) == before


def test_expert_cannot_do_another_experts_review(users, round_, clock):
    s = Scenario(users, round_, clock).start().declare().city_review("recommend").formal_review()
    theirs = s.item(assignee=str(users["expert1"]))
    before = snapshot(s.application_id)
    error = attempt(s, "expert2", {"score": 99, "site_inspection": False, "opinion": "好"}, task_id=theirs.task_id)
    assert isinstance(error, Forbidden)
    assert snapshot(s.application_id) == before


def test_formal_review_must_choose_the_rounds_number_of_experts(users, round_, clock):
    s = Scenario(users, round_, clock).start().declare().city_review("recommend").seal_city_package()
    error = attempt(s, "staff", {"decision": "accept", "experts": [str(users["expert1"])]})
    assert error.fields == {"experts": ["需要选择 2 项，现选择了 1 项"]}
    error = attempt(s, "staff", {"decision": "accept", "experts": [str(users["staff"]), str(users["expert1"])]})
    assert "不是可选项" in error.fields["experts"][0]


def test_engine_refuses_a_future_task(users, round_, clock):
    """The engine itself checks READY: SpiffWorkflow's task.run() would complete a FUTURE task."""
    from service.applications.saving import load as _load
    from service.engine.workflow import TaskNotReady as EngineTaskNotReady
    from SpiffWorkflow.util.task import TaskState

    s = Scenario(users, round_, clock).start()
    loaded = _load(s.application_id)
    not_ready = [t for t in loaded.workflow.get_tasks() if t.task_spec.bpmn_id and not t.has_state(TaskState.READY)]
    assert {TaskState.get_name(t.state) for t in not_ready} >= {"COMPLETED", "WAITING"}
    for task in not_ready:
        with pytest.raises(EngineTaskNotReady):
            loaded.engine.complete(loaded.workflow, str(task.id), {})
