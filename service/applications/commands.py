"""Service functions for applications: the layer the HTTP API and the CLI call.

Every state change follows one path: load the application, check the caller and the
data, run the engine, then save state, work items, timers and audit events in the
caller's transaction. These functions never commit; the request or job does, so a
failure anywhere leaves nothing half-written.
"""
from __future__ import annotations

from dataclasses import dataclass

from marshmallow import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm.exc import StaleDataError

from service.audit import chain as audit
from service.engine.calendar import CalendarYearUnknown
from service.engine.clock import current_clock
from service.engine.workflow import Engine, MessageNotExpected, ScriptFailed, Step
from service.engine.workflow import TaskNotFound as EngineTaskNotFound
from service.engine.workflow import TaskNotReady as EngineTaskNotReady
from service.applications.access import can_work_on
from service.platform.errors import Conflict, Forbidden, Invalid, NotFound, StaleVersion, TaskNotReady
from service.platform.extensions import db
from service.forms.schema import input_components, load_form_data
from service.platform.reference import CATEGORIES
from service.applications.models import NO_DUE_DATE, Application, TaskDraft, Timer, TimerFiring, WorkItem
from service.rounds.models import Round
from service.accounts.models import User
from service.notify.outbox import notify_new_work, notify_outcome
from service.versions.deploy import definition_of, get_version_or_404
from service.platform.timeutil import utcnow
from service.rounds.calendar import current_calendar

SYSTEM_TIMER = "system:timer"


@dataclass
class Loaded:
    application: Application
    engine: Engine
    workflow: object


# -- loading ----------------------------------------------------------------------------

def get_application_or_404(application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None:
        raise NotFound(f"申报 {application_id} 不存在")
    return application


def _engine_for(application: Application) -> Engine:
    version = get_version_or_404(application.process_version_id)
    return Engine(definition_of(version), clock=current_clock(), calendar=current_calendar())


def _load(application_id: int, expected_version: int | None = None) -> Loaded:
    """Load for a state change. The row is locked (PostgreSQL) so a concurrent writer waits,
    then reads the new version and is refused cleanly instead of racing."""
    application = db.session.get(Application, application_id, with_for_update=True, populate_existing=True)
    if application is None:
        raise NotFound(f"申报 {application_id} 不存在")
    if expected_version is not None and expected_version != application.version:
        raise StaleVersion(f"申报已被他人更新（当前版本 {application.version}，提交的版本 {expected_version}），请刷新后重试")
    engine = _engine_for(application)
    return Loaded(application, engine, engine.load(application.state))


def waiting_elements(application: Application) -> list[str]:
    """Element ids the running instance waits in (tasks, events, timers): read-only, no lock."""
    if application.outcome is not None or not application.state:
        return []
    engine = _engine_for(application)
    return [element for element, _ in engine.waiting_elements(engine.load(application.state))]


def _run(operation):
    """Translate engine failures into service errors (the caller's transaction rolls back)."""
    try:
        return operation()
    except CalendarYearUnknown as err:
        raise Conflict(str(err), code="calendar_year_unknown") from None
    except MessageNotExpected as err:
        raise Conflict(str(err), code="message_not_expected") from None
    except EngineTaskNotFound as err:
        raise NotFound(str(err), code="task_not_found") from None
    except EngineTaskNotReady as err:
        raise TaskNotReady(str(err)) from None
    except ScriptFailed as err:
        raise Conflict(f"流程执行失败，请联系管理员检查流程图：{err}", code="process_error",
                       details={"element_id": err.element_id}) from None


# -- saving -----------------------------------------------------------------------------

def _save(loaded: Loaded, *, actor: str, steps: list[Step]) -> None:
    """Write state, work items, timers and the engine's audit events together."""
    try:
        _write(loaded, actor=actor, steps=steps)
        db.session.flush()
    except StaleDataError:
        # The UPDATE carried "WHERE version = <what we read>" and matched nothing.
        raise StaleVersion("申报已被他人同时更新，请刷新后重试") from None


def _write(loaded: Loaded, *, actor: str, steps: list[Step]) -> None:
    application, engine, wf = loaded.application, loaded.engine, loaded.workflow
    application.state = engine.dump(wf)
    application.updated_at = utcnow()
    outcome = engine.outcome(wf)
    finished_now = outcome is not None and application.outcome is None
    if outcome is not None:
        application.outcome_element, application.outcome = outcome
        application.stage = outcome[1]
        application.completed_at = application.completed_at or utcnow()
    else:
        application.stage = "、".join(name for _, name in engine.waiting_elements(wf))[:500]
    new_items = _rewrite_work_items(application, engine.ready_tasks(wf))
    notify_new_work(application, new_items)
    if finished_now:
        notify_outcome(application)
    _rewrite_timers(application, engine.waiting_timers(wf))
    chain = audit.application_chain(application.id)
    for step in steps:
        if step.action == "task_completed":
            continue  # recorded by the service with the submitted data
        audit.append(chain, actor=actor, action=step.action, element_id=step.element_id,
                     data={"name": step.element_name, **step.data}, application_id=application.id)


def _rewrite_work_items(application: Application, tasks) -> list[WorkItem]:
    """Make the index match the engine's ready tasks; returns the items that are new."""
    existing = {item.task_id: item for item in db.session.scalars(
        select(WorkItem).where(WorkItem.application_id == application.id))}
    ready = {task.id: task for task in tasks}
    for task_id, item in existing.items():
        if task_id not in ready:
            db.session.delete(item)
    added = []
    for task_id, task in ready.items():
        if task_id in existing:
            continue  # keeps its claim and creation time
        added.append(WorkItem(
            application_id=application.id, task_id=task_id, bpmn_id=task.bpmn_id, name=task.name,
            role=task.role or "", form=task.info.form, city_code=application.city_code,
            category=application.category, applicant_unit=application.applicant_unit, assignee=task.assignee,
            due_at=task.due_at, due_order=task.due_at or NO_DUE_DATE, created_at=utcnow()))
    db.session.add_all(added)
    return added


def _rewrite_timers(application: Application, timers) -> None:
    db.session.execute(delete(Timer).where(Timer.application_id == application.id))
    for timer in timers:
        db.session.add(Timer(application_id=application.id, task_id=timer.task_id, element_id=timer.element_id,
                             due_at=timer.due_at))


# -- access -----------------------------------------------------------------------------

def _work_item_or_404(application_id: int, task_id: str, loaded: Loaded | None = None) -> WorkItem:
    item = db.session.scalar(select(WorkItem).where(WorkItem.application_id == application_id,
                                                    WorkItem.task_id == str(task_id)))
    if item is not None:
        return item
    if loaded is not None:
        # Not in the index of ready tasks: say whether it exists at all.
        known = loaded.engine.describe_task(loaded.workflow, task_id)
        if known is not None:
            raise TaskNotReady(f"任务“{known[0]}”当前状态为 {known[1]}，不能办理")
    raise NotFound(f"申报 {application_id} 没有任务 {task_id}", code="task_not_found")


def _check_access(user: User, item: WorkItem) -> None:
    if not can_work_on(user, item):
        raise Forbidden(f"您无权办理任务“{item.name}”")
    if item.claimed_by is not None and item.claimed_by != user.id:
        holder = db.session.get(User, item.claimed_by)
        raise Conflict(f"任务“{item.name}”已由 {holder.display_name if holder else item.claimed_by} 认领",
                       code="claimed_by_other")


# -- state changes ----------------------------------------------------------------------

def start_application(*, round_id: int, category: str, user: User) -> Application:
    """An applicant unit opens its declaration in one category of an open round."""
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise NotFound(f"批次 {round_id} 不存在")
    if round_.status != "open":
        raise Conflict(f"批次“{round_.name}”已关闭，不能再申报", code="round_closed")
    if utcnow() >= round_.city_deadline:
        raise Conflict(f"批次“{round_.name}”的市州推荐截止时间已过，不能再申报", code="deadline_passed")
    if category not in CATEGORIES:
        raise Invalid("申报类别不正确", fields={"category": [f"应为 {', '.join(CATEGORIES)} 之一"]})
    if not user.has_role("applicant") or not user.unit_name or not user.city_code:
        raise Forbidden("只有登记了单位和所在市州的申报单位账号可以申报")
    duplicate = db.session.scalar(select(Application).where(
        Application.round_id == round_id, Application.applicant_unit == user.unit_name,
        Application.category == category, Application.outcome.is_(None)))
    if duplicate is not None:
        raise Conflict(f"本单位在该批次已有进行中的{CATEGORIES[category]}申报（编号 {duplicate.id}）", code="duplicate")
    version = get_version_or_404(round_.process_version_id)
    application = Application(round_id=round_id, process_version_id=version.id, category=category,
                              city_code=user.city_code, applicant_unit=user.unit_name, unit_name=user.unit_name,
                              created_by=user.id, state="", stage="")
    db.session.add(application)
    db.session.flush()
    engine = Engine(definition_of(version), clock=current_clock(), calendar=current_calendar())
    start_data = {
        "application_id": application.id, "category": category, "city": user.city_code,
        "city_deadline": round_.city_deadline.isoformat(), "notice_days": round_.notice_days,
        "expert_count": round_.expert_count, "pass_score": round_.pass_score,
    }
    wf, steps = _run(lambda: engine.start(start_data))
    audit.append(audit.application_chain(application.id), actor=user.username, action="application_started",
                 data={"round_id": round_id, "category": category, "city": user.city_code,
                       "unit": user.unit_name, "process_version": version.number},
                 application_id=application.id)
    _save(Loaded(application, engine, wf), actor=user.username, steps=steps)
    return application


def form_options(application: Application, form: dict) -> dict:
    """Choices and settings that forms take from the round (``valuesKey``/``countFrom``)."""
    wanted = set()
    for component in input_components(form):
        wanted.add(component.get("valuesKey"))
        wanted.add((component.get("properties") or {}).get("countFrom"))
    options = {}
    if "expert_pool" in wanted:
        experts = db.session.scalars(select(User).where(User.active.is_(True))).all()
        options["expert_pool"] = [str(u.id) for u in experts if u.has_role("expert")]
    if "expert_count" in wanted:
        options["expert_count"] = db.session.get(Round, application.round_id).expert_count
    return options


def complete_task(*, application_id: int, task_id: str, data, user: User,
                  expected_version: int | None = None) -> Application:
    """Complete one ready human task with the submitted form data."""
    loaded = _load(application_id, expected_version)
    item = _work_item_or_404(application_id, task_id, loaded)
    _check_access(user, item)
    definition = loaded.engine.definition
    form = definition.bundle.form(item.form) if item.form else {"components": []}
    try:
        cleaned = load_form_data(form, data, form_options(loaded.application, form))
    except ValidationError as err:
        raise Invalid("提交的数据未通过校验", fields=err.messages) from None
    steps = _run(lambda: loaded.engine.complete(loaded.workflow, task_id, cleaned))
    application = loaded.application
    if "unit_name" in cleaned:
        application.unit_name = cleaned["unit_name"]
    if "credit_code" in cleaned:
        application.credit_code = cleaned["credit_code"]
    audit.append(audit.application_chain(application.id), actor=user.username, action="task_completed",
                 element_id=item.bpmn_id, application_id=application.id,
                 data={"name": item.name, "task_id": str(task_id), "form": cleaned,
                       "opened_at": item.created_at.isoformat(),
                       "due_at": item.due_at.isoformat() if item.due_at else None})
    db.session.execute(delete(TaskDraft).where(TaskDraft.task_id == str(task_id)))
    _save(loaded, actor=user.username, steps=steps)
    return application


def claim_task(*, application_id: int, task_id: str, user: User) -> WorkItem:
    item = _work_item_or_404(application_id, task_id)
    _check_access(user, item)
    if item.claimed_by == user.id:
        return item
    item.claimed_by = user.id
    audit.append(audit.application_chain(application_id), actor=user.username, action="task_claimed",
                 element_id=item.bpmn_id, data={"name": item.name, "task_id": item.task_id},
                 application_id=application_id)
    return item


def unclaim_task(*, application_id: int, task_id: str, user: User) -> WorkItem:
    item = _work_item_or_404(application_id, task_id)
    if item.claimed_by is None:
        return item
    if item.claimed_by != user.id and not user.has_role("province_staff"):
        raise Forbidden("只能释放自己认领的任务")
    item.claimed_by = None
    audit.append(audit.application_chain(application_id), actor=user.username, action="task_released",
                 element_id=item.bpmn_id, data={"name": item.name, "task_id": item.task_id},
                 application_id=application_id)
    return item


def deliver_message(*, application_id: int, message: str, payload: dict, actor: str, action: str,
                    audit_data: dict) -> Application:
    """Deliver one message to one application and record why."""
    loaded = _load(application_id)
    steps = _run(lambda: loaded.engine.send_message(loaded.workflow, message, payload))
    audit.append(audit.application_chain(application_id), actor=actor, action=action, data=audit_data,
                 application_id=application_id)
    _save(loaded, actor=actor, steps=steps)
    return loaded.application


def fire_timers_for(application_id: int) -> int:
    """Fire the due timers of one application; returns how many engine steps ran.

    The worker calls this once per application in its own transaction. On PostgreSQL
    the due rows are locked with SKIP LOCKED, so two workers never fire the same
    timer; the version check on the application row guards every database.
    """
    now = current_clock().now()
    due = db.session.scalars(select(Timer).where(Timer.application_id == application_id, Timer.due_at <= now)
                             .with_for_update(skip_locked=True)).all()
    if not due:
        return 0
    loaded = _load(application_id)
    steps = _run(lambda: loaded.engine.fire_timers(loaded.workflow))
    still_waiting = {t.task_id for t in loaded.engine.waiting_timers(loaded.workflow)}
    for timer in due:
        if timer.task_id not in still_waiting:
            # Unique (application, timer task): a second firing cannot commit.
            db.session.add(TimerFiring(application_id=application_id, task_id=timer.task_id,
                                       element_id=timer.element_id, due_at=timer.due_at))
    _save(loaded, actor=SYSTEM_TIMER, steps=steps)
    return len(steps)


def due_timer_applications(limit: int = 100) -> list[int]:
    now = current_clock().now()
    rows = db.session.scalars(select(Timer.application_id).where(Timer.due_at <= now)
                              .order_by(Timer.due_at).limit(limit)).all()
    return list(dict.fromkeys(rows))
