"""Loading an application for a state change and saving what the engine did, in the caller's transaction.

One path for every state change: lock the application row, load its workflow with the version's
cached definition, run the engine, then write the state, the work-item and timer index, the
notifications and the audit events together. What the engine already holds in memory (the ready
tasks and timers before and after, whether a step was done before) decides what to write, so a
submit reads each row once and writes only what changed.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select
from sqlalchemy.orm.exc import StaleDataError

from service.applications import faults
from service.applications.models import NO_DUE_DATE, Application, Attachment, Timer, WorkItem
from service.audit import chain as audit
from service.engine.calendar import CalendarYearUnknown
from service.engine.clock import current_clock
from service.engine.time_limits import due_after
from service.engine.workflow import Engine, MessageNotExpected, ScriptFailed, Step
from service.engine.workflow import TaskNotFound as EngineTaskNotFound
from service.engine.workflow import TaskNotReady as EngineTaskNotReady
from service.notify.outbox import notify_new_work, notify_outcome
from service.platform.errors import Conflict, NotFound, StaleVersion, TaskNotReady
from service.platform.extensions import db
from service.platform.timeutil import utcnow
from service.platform.transactions import took_lock_late_here
from service.rounds.calendar import LazyCalendar
from service.versions.deploy import loaded_version

log = logging.getLogger(__name__)


@dataclass
class Loaded:
    """An application locked for a state change, its engine and workflow, and the index rows it had."""

    application: Application
    engine: Engine
    workflow: object
    items: list[WorkItem] = field(default_factory=list)  # the open items; after save(), the new ones
    timers_before: set = field(default_factory=set)
    returned_to: set = field(default_factory=set)  # steps done before that a rewind made open again
    attachments: list | None = None  # read once when a check or the response needs them (attachment_rows)

    def attachment_rows(self) -> list[Attachment]:
        """The application's attachments, removed ones included, by id: one read for the materials check, the
        form's PDF choices and the response."""
        if self.attachments is None:
            self.attachments = list(db.session.scalars(select(Attachment).where(
                Attachment.application_id == self.application.id).order_by(Attachment.id)))
        return self.attachments


def engine_for(application: Application) -> Engine:
    """The version's definition comes from the per-process cache; the calendar is read only if used."""
    return Engine(loaded_version(application.process_version_id).definition, clock=current_clock(),
                  calendar=LazyCalendar())


def lock(application: Application | None, expected_version: int | None = None, *,
         items: list[WorkItem] | None = None) -> Loaded:
    """Load the workflow of an application just read with its row lock (PostgreSQL waits for a concurrent
    writer, then reads the new version and is refused cleanly instead of racing)."""
    if application is None:
        raise NotFound("申报不存在")
    if expected_version is not None and expected_version != application.version:
        raise StaleVersion(f"申报已被他人更新（当前版本 {application.version}，提交的版本 {expected_version}），请刷新后重试")
    engine = engine_for(application)
    workflow = engine.load(application.state)
    if items is None:
        items = list(db.session.scalars(select(WorkItem).where(WorkItem.application_id == application.id)))
    return Loaded(application, engine, workflow, items, _timer_keys(engine.waiting_timers(workflow)))


def load(application_id: int, expected_version: int | None = None) -> Loaded:
    application = db.session.get(Application, application_id, with_for_update=True, populate_existing=True)
    return lock(application, expected_version)


def run(operation, attempt: faults.Attempt | None = None):
    """Translate engine failures into service errors (the caller's transaction rolls back). A process error
    of an ``attempt`` on an application is kept for the administrators once the rollback is done."""
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
        if attempt is not None:
            faults.record_later(attempt, message=str(err), element_id=err.element_id,
                                definition=loaded_version(attempt.process_version_id).definition)
        raise Conflict(f"流程执行失败，请联系管理员检查流程图：{err}", code="process_error",
                       details={"element_id": err.element_id}) from None


def save(loaded: Loaded, *, actor: str, steps: list[Step], keeps_fault: bool = False) -> None:
    """Write state, work items, timers, notifications and the engine's audit events together; a process
    error recorded earlier is cleared (unless ``keeps_fault``: a version move does not replay what failed)."""
    try:
        # Nothing here reads what it writes: the inserts go out together at the flush.
        with db.session.no_autoflush:
            _write(loaded, actor=actor, steps=steps)
            if not keeps_fault:
                faults.clear(loaded.application)
        db.session.flush()
        if loaded.attachments is not None and took_lock_late_here():
            _check_attachments_unchanged(loaded)
    except StaleDataError:
        # The UPDATE carried "WHERE version = <what we read>" and matched nothing.
        raise StaleVersion("申报已被他人同时更新，请刷新后重试") from None


def _check_attachments_unchanged(loaded: Loaded) -> None:
    """On SQLite a submit reads before it takes the write lock (transactions.write_lock_late). A removal or
    replacement of a file is on the audit chain, whose sequence the submit's own events would collide with;
    an upload is not: so, once the lock is held, the files read must still be all there are (on PostgreSQL
    both lock the application row and cannot overlap)."""
    count, last = db.session.execute(select(func.count(), func.max(Attachment.id))
                                     .where(Attachment.application_id == loaded.application.id)).one()
    read = loaded.attachments
    if (count, last) != (len(read), max((a.id for a in read), default=None)):
        raise StaleVersion("申报的附件已被同时修改，请刷新后重试")


def _write(loaded: Loaded, *, actor: str, steps: list[Step]) -> None:
    application, engine, wf = loaded.application, loaded.engine, loaded.workflow
    application.state = engine.dump(wf)
    application.updated_at = utcnow()
    outcome = engine.outcome(wf)
    finished_now = outcome is not None and application.outcome is None
    waiting = [] if outcome is not None else engine.waiting_elements(wf)
    application.waiting = waiting_column([element for element, _ in waiting])
    if outcome is not None:
        application.outcome_element, application.outcome = outcome
        application.outcome_reasons = engine.outcome_reasons(wf) or None
        application.stage = outcome[1]
        application.completed_at = application.completed_at or utcnow()
    else:
        application.stage = "、".join(name for _, name in waiting)[:500]
    new_items = _rewrite_work_items(loaded, engine.ready_tasks(wf))
    notify_new_work(application, new_items, done_before=engine.completed_elements(wf) | loaded.returned_to)
    if finished_now:
        notify_outcome(application)
    timers = engine.waiting_timers(wf)
    if _timer_keys(timers) != loaded.timers_before:
        _rewrite_timers(application, timers, had_timers=bool(loaded.timers_before))
    chain = audit.application_chain(application.id)
    for step in steps:
        if step.action == "task_completed":
            continue  # recorded by the service with the submitted data
        audit.append(chain, actor=actor, action=step.action, element_id=step.element_id,
                     data={"name": step.element_name, **step.data}, application_id=application.id)


def waiting_column(elements: list[str]) -> str:
    """",a,b," so that one element id is found exactly with LIKE '%,a,%'."""
    text = f",{','.join(elements)}," if elements else ""
    return text if len(text) <= 1000 else text[:text.rindex(",", 0, 1000) + 1]


def waiting_elements(application: Application) -> list[str]:
    """The element ids a running application waits in, from its row (rows saved before the column existed
    are read from their workflow once)."""
    if application.outcome is not None or not application.state:
        return []
    if application.waiting:
        return application.waiting.strip(",").split(",")
    engine = engine_for(application)
    return [element for element, _ in engine.waiting_elements(engine.load(application.state))]


def _timer_keys(timers) -> set:
    return {(t.task_id, t.element_id, t.due_at) for t in timers}


def _rewrite_work_items(loaded: Loaded, tasks) -> list[WorkItem]:
    """Make the index match the engine's ready tasks; returns the items that are new."""
    application = loaded.application
    existing = {item.task_id: item for item in loaded.items}
    ready = {task.id: task for task in tasks}
    for task_id, item in existing.items():
        if task_id not in ready:
            db.session.delete(item)
    added = []
    for task_id, task in ready.items():
        if task_id in existing:
            continue  # keeps its claim and creation time
        added.append(work_item_for(application, task, calendar=loaded.engine.calendar))
    db.session.add_all(added)
    loaded.items = [item for task_id, item in existing.items() if task_id in ready] + added
    return added


def work_item_for(application: Application, task, *, calendar=None) -> WorkItem:
    """The inbox row of one ready human task (``task``: the engine's HumanTask). Its due date is the task's
    boundary timer, else its time limit (办理时限) counted in working days from now on ``calendar``."""
    now = utcnow()
    due = task.due_at or time_limit_due(task, now, calendar)
    return WorkItem(
        application_id=application.id, task_id=task.id, bpmn_id=task.bpmn_id, name=task.name,
        role=task.role or "", form=task.info.form, city_code=application.city_code,
        category=application.category, applicant_unit=application.applicant_unit, assignee=task.assignee,
        due_at=due, due_order=due or NO_DUE_DATE, created_at=now)


def time_limit_due(task, opened, calendar):
    """When a task with a time limit opened at ``opened`` is due (None: no limit, or a year the calendar does
    not know yet: the task is not held up for it, and has no due date until the year is entered)."""
    days = task.info.time_limit_days
    if not days or calendar is None:
        return None
    try:
        return due_after(calendar, opened, days)
    except CalendarYearUnknown as err:
        log.warning("no due date for task %s: %s", task.id, err)
        return None


def _rewrite_timers(application: Application, timers, *, had_timers: bool) -> None:
    if had_timers:
        db.session.execute(delete(Timer).where(Timer.application_id == application.id))
    for timer in timers:
        db.session.add(Timer(application_id=application.id, task_id=timer.task_id, element_id=timer.element_id,
                             due_at=timer.due_at))
