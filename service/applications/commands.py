"""State changes of applications: the layer the HTTP API, the web and the worker call.

Every state change follows one path (saving.py): lock the application, check the caller and the
data, run the engine, then save state, work items, timers, notifications and audit events in the
caller's transaction. These functions never commit; the request or job does, so a failure anywhere
leaves nothing half-written. Each command looks its rows up once and returns what the response needs.
"""
from __future__ import annotations

from dataclasses import dataclass

from marshmallow import ValidationError
from sqlalchemy import delete, select

from service.accounts.models import User
from service.applications import ids, panels, verification
from service.applications.access import can_work_on
from service.applications.faults import Attempt
from service.applications.materials import check_materials
from service.applications.models import Application, TaskDraft, Timer, TimerFiring, WorkItem
from service.applications.numbers import assign_number
from service.applications.saving import Loaded, engine_for, load, lock, run, save
from service.audit import chain as audit
from service.engine.clock import current_clock
from service.forms.schema import input_components, load_form_text
from service.organisations.service import may_declare
from service.platform.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError, TaskNotReady
from service.platform.extensions import db
from service.platform.transactions import before_write_lock, concurrent_writer
from service.register import service as register
from service.platform.inputs import text_problem
from service.versions.categories import version_categories
from service.platform.timeutil import utcnow
from service.rounds.models import Round
from service.rounds.service import check_open_for
from service.rounds.setting_values import start_data as round_start_data
from service.versions.deploy import loaded_version

SYSTEM_TIMER = "system:timer"


class NotYours(Forbidden):
    """The task exists but is not this user's to work on (the API answers 404: not in their inbox)."""


@dataclass
class Completed:
    """What a submit changed, for the response: the application and its open tasks now."""

    application: Application
    open_items: list[WorkItem]
    version_number: int
    attachments: list | None = None  # all of the application's when the submit read them (else None)


def get_application_or_404(application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None:
        raise NotFound(f"申报 {application_id} 不存在")
    return application


# -- one lookup per command -------------------------------------------------------------------

def _task_and_application(task_id: str, application_id: int | None, *, lock_row: bool):
    """The application holding ``task_id`` (locked for a state change) and all its open work items:
    one query for the row, one for the items, whatever the command does with them."""
    query = select(Application, *audit.head_columns(Application.id))
    if application_id is not None:
        query = query.where(Application.id == application_id)
    else:
        query = query.where(Application.id == select(WorkItem.application_id)
                            .where(WorkItem.task_id == str(task_id)).scalar_subquery())
    if lock_row:
        query = query.with_for_update(of=Application).execution_options(populate_existing=True)
    row = db.session.execute(query).first()
    if row is None:
        raise NotFound("待办任务不存在", code="task_not_found")
    application = row.Application
    audit.know_head(audit.application_chain(application.id), row.head_seq, row.head_hash)
    items = list(db.session.scalars(select(WorkItem).where(WorkItem.application_id == application.id)))
    return application, items


def _the_item(items: list[WorkItem], task_id: str, loaded: Loaded | None = None) -> WorkItem:
    item = next((i for i in items if i.task_id == str(task_id)), None)
    if item is not None:
        return item
    if loaded is not None:
        # Not in the index of ready tasks: say whether it exists at all.
        known = loaded.engine.describe_task(loaded.workflow, task_id)
        if known is not None:
            raise TaskNotReady(f"任务“{known[0]}”当前{known[1]}，不能办理")
    raise NotFound("待办任务不存在", code="task_not_found")


def _check_access(user: User, item: WorkItem) -> None:
    if not can_work_on(user, item):
        raise NotYours(f"您无权办理任务“{item.name}”")
    if item.claimed_by is not None and item.claimed_by != user.id:
        holder = db.session.get(User, item.claimed_by)
        raise Conflict(f"任务“{item.name}”已由 {holder.display_name if holder else item.claimed_by} 认领",
                       code="claimed_by_other")


# -- state changes ----------------------------------------------------------------------------

def start_application(*, round_id: int, category: str, user: User) -> Application:
    """An applicant unit opens its declaration in one category of an open round.

    Usually the row is written first (its number, then the row for its id) and the engine runs after. A start
    marked write_lock_late on SQLite (the API's) writes nothing until the engine has run: its id is reserved
    beforehand (ids.py), and once its first write (the number) took the lock every check is made again; if
    any answer changed (the round closed, the unit was listed, another start of the unit got in first), it
    runs again the usual way, and ends as if the two had queued."""
    round_, offered, unit, facts = _start_checks(round_id, category, user)
    version = loaded_version(round_.process_version_id)
    # The unit's identity comes from its organisation record, never from what is typed into a form.
    application = Application(round_id=round_id, process_version_id=version.id, category=category,
                              city_code=unit.city_code, applicant_unit=unit.credit_code, unit_name=unit.name,
                              credit_code=unit.credit_code, created_by=user.id, state="", stage="")
    late = before_write_lock()
    if late:
        application.id = ids.reserved_application_id()
    else:
        application.number = assign_number(round_, offered[category], unit.city_code)
        db.session.add(application)
        db.session.flush()
    engine = engine_for(application)
    start_data = _start_data(application.id, category, unit, round_, facts)
    wf, steps = run(lambda: engine.start(start_data))
    if late:
        application.number = assign_number(round_, offered[category], unit.city_code)  # the lock from here on
        _check_again(round_id, category, user, version.id, start_data)
        db.session.add(application)
        db.session.flush()  # an id taken meanwhile hits the primary key: run again the usual way
    audit.know_head(audit.application_chain(application.id), None, None)  # a new chain: nothing to read
    audit.append(audit.application_chain(application.id), actor=user.username, action="application_started",
                 data={"round_id": round_id, "category": category, "city": unit.city_code,
                       "unit": unit.name, "credit_code": unit.credit_code, "process_version": version.number,
                       "number": application.number, "register": facts},
                 application_id=application.id)
    save(Loaded(application, engine, wf), actor=user.username, steps=steps)
    return application


def _start_checks(round_id: int, category: str, user: User):
    """Everything a start checks before it writes (raising what stops it); the round, the categories its
    version offers, the unit and its register facts."""
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise NotFound(f"批次 {round_id} 不存在")
    if round_.status != "open":
        raise Conflict(f"批次“{round_.name}”已关闭，不能再申报", code="round_closed")
    if utcnow() >= round_.city_deadline:
        raise Conflict(f"批次“{round_.name}”的市州推荐截止时间已过，不能再申报", code="deadline_passed")
    offered = version_categories(round_.process_version_id)  # the round's version says which categories exist
    if category not in offered:
        raise Invalid("申报类别不正确", fields={"category": [
            "应为 " + "、".join(f"{c.key}（{c.name}）" for c in offered.values()) + " 之一"]})
    check_open_for(round_, category)  # the categories the round opened, the unit filing deadline
    unit = may_declare(user)
    register.refuse_if_listed(unit.credit_code, category, offered[category].name)  # 同一类别不得重复申报
    duplicate = db.session.scalar(select(Application).where(
        Application.round_id == round_id, Application.applicant_unit == unit.credit_code,
        Application.category == category, Application.outcome.is_(None)))
    if duplicate is not None:
        raise Conflict(f"本单位在该批次已有进行中的{offered[category].name}申报（编号 {duplicate.number or duplicate.id}）", code="duplicate")
    return round_, offered, unit, register.workflow_facts(unit.credit_code)


def _start_data(application_id: int, category: str, unit, round_: Round, facts: dict) -> dict:
    return {
        "application_id": application_id, "category": category, "city": unit.city_code,
        "unit_name": unit.name, "credit_code": unit.credit_code,
        **round_start_data(round_),  # every round setting the version lists (settings.json)
        **facts,  # removed from the list? the eligibility decision reads it
    }


def _check_again(round_id: int, category: str, user: User, version_id: int, start_data: dict) -> None:
    """Under the write lock, a start that read without it checks everything again (indexed reads, fresh rows):
    the same answers and the same start data, or it runs again from the start with the lock."""
    db.session.expire_all()  # what the session holds was read before the lock
    try:
        round_, _offered, unit, facts = _start_checks(round_id, category, user)
    except ServiceError:
        raise concurrent_writer() from None
    if (round_.process_version_id != version_id
            or _start_data(start_data["application_id"], category, unit, round_, facts) != start_data):
        raise concurrent_writer()


ORGANISATION_FIELDS = ("unit_name", "credit_code")


def organisation_fields(application: Application, form: dict | None) -> dict:
    """The unit's name and credit code, from its organisation record (copied onto the application), for the
    form fields of those keys: shown read-only on the page and put over whatever a submit carries."""
    if form is None:
        return {}
    keys = {component.get("key") for component in input_components(form)}
    values = {"unit_name": application.unit_name, "credit_code": application.credit_code}
    return {key: values[key] for key in ORGANISATION_FIELDS if key in keys and values[key]}


def form_options(application: Application, form: dict, submitted=None, *, with_pool: bool = True,
                 labelled: bool = False, attachments=None) -> dict:
    """Choices and settings that forms take from the round (``valuesKey``/``countFrom``). The expert pool
    is the experts eligible for this application; for a submit (``submitted``: the data), only those of
    the submitted ones that are eligible. ``labelled``: the uploaded PDFs a form offers as {value, label}
    (for the page) instead of ids (for the check). ``attachments``: a function giving the application's
    attachments when the caller reads them anyway (a submit: Loaded.attachment_rows)."""
    wanted = set()
    for component in input_components(form):
        wanted.add(component.get("valuesKey"))
        wanted.add((component.get("properties") or {}).get("countFrom"))
    options = {}
    if panels.POOL_KEY in wanted and with_pool:
        options[panels.POOL_KEY] = panels.pool_values(application, form, submitted)
    if "expert_count" in wanted:
        options["expert_count"] = db.session.get(Round, application.round_id).expert_count
    if wanted & set(verification.ATTACHMENT_KEYS):
        options.update(verification.attachment_choices(application, labelled=labelled,
                                                        attachments=attachments() if attachments else None))
    return options


def complete_task(*, task_id: str, data, user: User, expected_version: int | None = None,
                  application_id: int | None = None) -> Completed:
    """Complete one ready human task with the submitted form data."""
    application, items = _task_and_application(task_id, application_id, lock_row=True)
    item = next((i for i in items if i.task_id == str(task_id)), None)
    if item is not None:
        _check_access(user, item)
    loaded = lock(application, expected_version, items=items)
    if item is None:
        item = _the_item(items, task_id, loaded)  # raises, saying whether the task exists at all
    return submit_item(loaded, item, data, actor=user.username)


def submit_item(loaded: Loaded, item: WorkItem, data, *, actor: str, audit_extra: dict | None = None) -> Completed:
    """Complete the ready task of ``item`` on an application locked by the caller (who checked who may):
    the data checked against the step's form, the engine run, everything saved with its audit event."""
    application, task_id = loaded.application, item.task_id
    if panels.is_substitution(item, application):
        raise Conflict(f"“{item.name}”：专家已声明回避，请先选定替补专家", code="substitution_pending")
    bundle = loaded.engine.definition.bundle
    form_text = bundle.forms[item.form] if item.form else '{"components": []}'
    form = bundle.form(item.form) if item.form else {"components": []}
    if isinstance(data, dict):
        data = {**data, **organisation_fields(application, form)}
    try:
        cleaned = load_form_text(form_text, data, form_options(application, form, submitted=data,
                                                               attachments=loaded.attachment_rows))
    except ValidationError as err:
        raise Invalid("提交的数据未通过校验", fields=err.messages) from None
    panels.check_submitted_panel(application, str(task_id), form, cleaned)
    check_materials(loaded, item, cleaned)  # the reports materials.json requires (422 naming them)
    attempt = Attempt(application.id, application.process_version_id, "task", actor, task_id=str(task_id),
                      step_name=item.name, replay={"data": cleaned})
    # The unit's own step reads the register again: a removal recorded since the start still excludes it.
    facts = register.workflow_facts(application.credit_code) if item.role == "applicant" else {}
    steps = run(lambda: loaded.engine.complete(loaded.workflow, task_id, {**cleaned, **facts}), attempt)
    if verification.is_verification_form(form):
        # Judged after the engine ran the exclusion decision on the verified answers; refusing here leaves
        # nothing saved (the caller's transaction rolls back, the workflow was only changed in memory).
        verification.check_submission(cleaned, loaded.engine.latest_value(loaded.workflow,
                                                                           "verified_exclusion_reasons"))
    if item.has_draft:
        db.session.execute(delete(TaskDraft).where(TaskDraft.task_id == str(task_id)))
    audit.append(audit.application_chain(application.id), actor=actor, action="task_completed",
                 element_id=item.bpmn_id, application_id=application.id,
                 data={"name": item.name, "task_id": str(task_id), "form": cleaned,
                       "opened_at": item.created_at.isoformat(),
                       "due_at": item.due_at.isoformat() if item.due_at else None,
                       **({"register": facts} if facts else {}), **(audit_extra or {})})
    save(loaded, actor=actor, steps=steps)
    return Completed(application, loaded.items, loaded_version(application.process_version_id).number,
                     loaded.attachments)


def locked_task(task_id: str, user: User) -> tuple[Application, list[WorkItem], WorkItem]:
    """A task about to change outside a submit (a panel drawn, a conflict declared, a substitute chosen):
    its application row locked, its open items, and the item, checked as the inbox checks it."""
    if text_problem(str(task_id)) or len(str(task_id)) > 36:
        raise NotFound("待办任务不存在", code="task_not_found")
    application, items = _task_and_application(task_id, None, lock_row=True)
    item = _the_item(items, task_id)
    _check_access(user, item)
    return application, items, item


def claim_task(*, task_id: str, user: User, application_id: int | None = None) -> WorkItem:
    _, items = _task_and_application(task_id, application_id, lock_row=False)
    item = _the_item(items, task_id)
    _check_access(user, item)
    if item.claimed_by == user.id:
        return item
    item.claimed_by = user.id
    audit.append(audit.application_chain(item.application_id), actor=user.username, action="task_claimed",
                 element_id=item.bpmn_id, data={"name": item.name, "task_id": item.task_id},
                 application_id=item.application_id)
    return item


def unclaim_task(*, task_id: str, user: User, application_id: int | None = None) -> WorkItem:
    _, items = _task_and_application(task_id, application_id, lock_row=False)
    item = _the_item(items, task_id)
    if not can_work_on(user, item):
        raise NotYours(f"您无权办理任务“{item.name}”")
    if item.claimed_by is None:
        return item
    if item.claimed_by != user.id and not user.has_role("province_staff"):
        raise Forbidden("只能释放自己认领的任务")
    item.claimed_by = None
    audit.append(audit.application_chain(item.application_id), actor=user.username, action="task_released",
                 element_id=item.bpmn_id, data={"name": item.name, "task_id": item.task_id},
                 application_id=item.application_id)
    return item


def deliver_message(*, application_id: int, message: str, payload: dict, actor: str, action: str,
                    audit_data: dict) -> Application:
    """Deliver one message to one application and record why."""
    loaded = load(application_id)
    attempt = Attempt(application_id, loaded.application.process_version_id, "message", actor,
                      replay={"message": message, "payload": payload, "action": action, "audit_data": audit_data})
    steps = run(lambda: loaded.engine.send_message(loaded.workflow, message, payload), attempt)
    audit.append(audit.application_chain(application_id), actor=actor, action=action, data=audit_data,
                 application_id=application_id)
    save(loaded, actor=actor, steps=steps)
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
    loaded = load(application_id)
    attempt = Attempt(application_id, loaded.application.process_version_id, "timers", SYSTEM_TIMER)
    steps = run(lambda: loaded.engine.fire_timers(loaded.workflow), attempt)
    still_waiting = {t.task_id for t in loaded.engine.waiting_timers(loaded.workflow)}
    for timer in due:
        if timer.task_id not in still_waiting:
            # Unique (application, timer task): a second firing cannot commit.
            db.session.add(TimerFiring(application_id=application_id, task_id=timer.task_id,
                                       element_id=timer.element_id, due_at=timer.due_at))
    save(loaded, actor=SYSTEM_TIMER, steps=steps)
    return len(steps)


def due_timer_applications(limit: int = 100) -> list[int]:
    now = current_clock().now()
    rows = db.session.scalars(select(Timer.application_id).where(Timer.due_at <= now)
                              .order_by(Timer.due_at).limit(limit)).all()
    return list(dict.fromkeys(rows))
