"""Everyday actions on tasks and applications, as staff of a government BPM system expect them:
转办 (hand a task to a colleague), 撤回 (take back one's own submission while nobody has touched what
followed it), 放弃申报 (the applicant withdraws the whole application), 催办 (urge a pending task) and
抄送 (copy an application to a colleague). Who may do what is decided in access.py; each action is one
state change in the caller's transaction, audited on the application's chain, with its notices queued
through the outbox in the same transaction.
"""
from __future__ import annotations

import json

from sqlalchemy import delete, func, select

from service.accounts.models import User
from service.accounts.names import AUTOMATIC_ACTIONS
from service.applications.access import (application_filter, can_work_on, copy_colleague_clause,
                                         hand_over_colleagues, may_copy, may_hand_over, may_take_back_as,
                                         may_urge, may_withdraw, visible_application_or_404, workers_for)
from service.applications.commands import NotYours, _task_and_application, _the_item
from service.applications.models import Application, ApplicationCopy, TaskDraft, TaskUrge, WorkItem
from service.applications.saving import load, run, save
from service.audit import chain as audit
from service.audit.models import AuditEvent
from service.engine.rewind import RewindRefused
from service.notify.outbox import (notify_copied, notify_handed_over, notify_outcome, notify_urged,
                                   notify_work_called_off)
from service.platform.errors import Conflict, Forbidden, Invalid, NotFound
from service.platform.extensions import db
from service.platform.inputs import text_problem
from service.platform.timeutil import last_day_text, to_shanghai, utcnow
from service.rounds.models import Round
from service.versions.deploy import loaded_version

MAX_REASON = 500
WITHDRAWN = "放弃申报"  # the outcome (and stage) of an application its unit withdrew: its own end, not a diagram's

# Recorded by the engine while it ran a submission (same actor): not something done after it.
ENGINE_STEPS = tuple(sorted(AUTOMATIC_ACTIONS))
# Done beside the work, not to it: an urge, a copy, a round's deadline moved, a version move.
QUIET = ("task_urged", "application_copied", "deadline_moved", "version_moved", "report_exported")


def _text(value, field: str, *, what: str, required: bool) -> str | None:
    text = value.strip() if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        raise Invalid(f"{what}无法保存", fields={field: ["应为文字"]})
    if not text:
        if required:
            raise Invalid(f"请填写{what}", fields={field: [f"必填项：{what}会记入审计"]})
        return None
    problem = text_problem(text, multiline=True)
    if problem or len(text) > MAX_REASON:
        raise Invalid(f"{what}无法保存", fields={field: [problem or f"最多 {MAX_REASON} 个字"]})
    return text


def _task_id(task_id) -> str:
    if text_problem(str(task_id)) or len(str(task_id)) > 36:
        raise NotFound("待办任务不存在", code="task_not_found")
    return str(task_id)


def _colleague_id(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise Invalid("请选择同事", fields={"to": ["必填项：同事的账号 id"]})
    return value


# -- 转办 ---------------------------------------------------------------------------------------

def colleagues_for_task(*, task_id: str, user: User, text: str = "") -> list[User]:
    """Whom ``user`` may hand the task to (searched by name, at most a page of them)."""
    _, items = _task_and_application(_task_id(task_id), None, lock_row=False)
    item = _the_item(items, task_id)
    if not can_work_on(user, item):
        raise NotYours(f"您无权办理任务“{item.name}”")
    return hand_over_colleagues(item, user, text)


def hand_over(*, task_id: str, to, reason, user: User) -> WorkItem:
    """转办: the task's claim moves to a colleague of the same role and scope, who is told why."""
    task_id = _task_id(task_id)
    reason = _text(reason, "reason", what="转办原因", required=True)
    to = _colleague_id(to)
    application, items = _task_and_application(task_id, None, lock_row=True)
    item = _the_item(items, task_id)
    if not can_work_on(user, item):
        raise NotYours(f"您无权办理任务“{item.name}”")
    if item.assignee is not None:
        raise Conflict(f"“{item.name}”指定由专家本人办理，不能转办；如有利害关系请声明回避", code="not_transferable")
    if not may_hand_over(user, item):
        holder = db.session.get(User, item.claimed_by)
        raise Conflict(f"任务“{item.name}”已由 {holder.display_name if holder else item.claimed_by} 认领，"
                       "只有认领人或省厅可以转办", code="claimed_by_other")
    colleague = db.session.get(User, to)
    if colleague is None or colleague.id == user.id or not can_work_on(colleague, item):
        raise Invalid("不能转办给该账号", fields={"to": [
            "只能转办给本环节同角色、同范围（同一市州或同一单位）的在岗同事，且不能是自己"]})
    previous = item.claimed_by
    item.claimed_by = colleague.id
    draft = db.session.scalar(select(TaskDraft).where(TaskDraft.task_id == task_id, TaskDraft.user_id == user.id))
    if draft is not None:  # what was typed so far goes with the task
        theirs = db.session.scalar(select(TaskDraft).where(TaskDraft.task_id == task_id,
                                                           TaskDraft.user_id == colleague.id))
        if theirs is None:
            db.session.add(TaskDraft(application_id=application.id, task_id=task_id, user_id=colleague.id,
                                     data=draft.data, updated_at=utcnow()))
    event = audit.append(audit.application_chain(application.id), actor=user.username, action="task_handed_over",
                         element_id=item.bpmn_id, application_id=application.id,
                         data={"name": item.name, "task_id": task_id, "reason": reason,
                               "from": user.display_name, "to": colleague.username, "to_name": colleague.display_name,
                               "claimed_before": previous})
    notify_handed_over(application, item, colleague, by=user, reason=reason,
                       key=f"handed_over:{task_id}:{event.seq}")
    return item


# -- 撤回 ---------------------------------------------------------------------------------------

def _take_back_check(user: User, application: Application, items: list[WorkItem], events: list[AuditEvent]):
    """The submission ``user`` may take back now, and its step (info), or the error saying why not.

    Generic on purpose: the latest submission on the application must be one ``user`` could have made
    (its role, in the application's scope); since it, nothing but the engine's own steps (and urges,
    copies) may have happened; and the open tasks that followed it must all be unclaimed and untouched."""
    if application.outcome is not None:
        return None, None, Conflict(f"申报已结束（{application.outcome}），不能撤回", code="take_back_refused")
    submissions = [e for e in events if e.action == "task_completed"]
    if not submissions:
        return None, None, Conflict("申报还没有提交过，没有可撤回的内容", code="take_back_refused")
    last = submissions[-1]
    definition = loaded_version(application.process_version_id).definition
    info = definition.user_tasks.get(last.element_id)
    if info is None or not may_take_back_as(user, info.role or "", application):
        return last, info, Forbidden("只能撤回本单位（本市州）最近一次提交的环节"
                                     + (f"；最近一次提交是“{info.name}”" if info else ""))
    if info.multi_instance:
        return last, info, Conflict(f"“{info.name}”不能撤回", code="take_back_refused")
    for item in items:
        if item.assignee is not None:  # e.g. the experts' reviews: handed out to named people already
            return last, info, Conflict(f"下一环节“{item.name}”已分派给指定人员办理，不能撤回", code="take_back_refused")
        if item.claimed_by is not None:
            holder = db.session.get(User, item.claimed_by)
            return last, info, Conflict(f"下一环节“{item.name}”已由 {holder.display_name if holder else ''} 认领，不能撤回",
                                        code="take_back_refused")
        if item.has_draft:
            return last, info, Conflict(f"下一环节“{item.name}”已开始办理，不能撤回", code="take_back_refused")
    for event in events:
        if event.seq <= last.seq or event.action in QUIET:
            continue
        if event.actor == last.actor and event.action in ENGINE_STEPS:
            continue
        if event.action == "task_claimed":
            name = json.loads(event.data).get("name") or ""
            who = db.session.scalar(select(User.display_name).where(User.username == event.actor)) or ""
            return last, info, Conflict(f"下一环节“{name}”已由 {who} 认领过，不能撤回", code="take_back_refused")
        return last, info, Conflict("提交之后申报已有新的办理记录，不能撤回", code="take_back_refused")
    return last, info, None


def take_back_view(user: User, application: Application, items: list[WorkItem]) -> dict | None:
    """For the application page: the step ``user`` may take back now, or None (the button is not shown to
    someone who never could; the engine's own check runs when it is pressed)."""
    if application.outcome is not None:
        return None
    events = audit.trail(audit.application_chain(application.id))
    last, info, error = _take_back_check(user, application, items, events)
    if last is None or isinstance(error, Forbidden):
        return None
    return {"name": info.name if info else "", "at": last.at, "refusal": error.message if error else None}


def take_back(*, application_id: int, reason, user: User) -> Application:
    """撤回: the latest submission returns to its step, with its data, while what followed is untouched."""
    reason = _text(reason, "reason", what="撤回原因", required=True)
    visible_application_or_404(user, application_id)
    loaded = load(application_id)
    application, engine, workflow = loaded.application, loaded.engine, loaded.workflow
    events = audit.trail(audit.application_chain(application.id))
    last, info, error = _take_back_check(user, application, loaded.items, events)
    if error is not None:
        raise error
    called_off = list(loaded.items)
    try:
        target = run(lambda: engine.rewind(workflow, last.element_id))
    except RewindRefused as err:
        raise Conflict(f"不能撤回：{err}", code="take_back_refused") from None
    submitted = json.loads(last.data)
    audit.append(audit.application_chain(application.id), actor=user.username, action="submission_taken_back",
                 element_id=target.element_id, application_id=application.id,
                 data={"name": target.name, "task_id": target.task_id, "reason": reason,
                       "submitted_task": submitted.get("task_id"), "submitted_at": last.at.isoformat(),
                       "submitted_by": last.actor, "cancelled": [item.name for item in called_off]})
    save(loaded, actor=user.username, steps=[])
    gone = sorted({item.task_id for item in called_off} - {item.task_id for item in loaded.items})
    if gone:
        db.session.execute(delete(TaskDraft).where(TaskDraft.application_id == application.id,
                                                   TaskDraft.task_id.in_(gone)))
    notify_work_called_off(application, called_off, key=f"taken_back:{target.task_id}",
                           why=f"{user.display_name}撤回了“{target.name}”的提交，本环节待办已撤销。撤回原因：{reason}")
    # The step comes back with what was submitted, as a draft of whoever took it back (whatever the task page
    # shows others by default).
    returned = next((item for item in loaded.items if item.task_id == target.task_id), None)
    if returned is not None and isinstance(submitted.get("form"), dict):
        db.session.add(TaskDraft(application_id=application.id, task_id=target.task_id, user_id=user.id,
                                 data=submitted["form"], updated_at=utcnow()))
        returned.has_draft = True
    db.session.flush()
    return application


# -- 放弃申报 -------------------------------------------------------------------------------------

def withdraw_deadline(application: Application):
    """Until when a unit may withdraw: the round's 市州推荐截止 (after it, the list is the province's)."""
    return db.session.get(Round, application.round_id).city_deadline


def withdraw(*, application_id: int, reason, user: User) -> Application:
    """放弃申报: the whole application ends with its own outcome; its open tasks, timers and drafts go."""
    reason = _text(reason, "reason", what="放弃原因", required=True)
    application = visible_application_or_404(user, application_id)
    if not may_withdraw(user, application):
        raise Forbidden("只有申报单位本身可以放弃申报")
    loaded = load(application_id)
    application = loaded.application
    if application.outcome is not None:
        raise Conflict(f"申报已结束（{application.outcome}），不能放弃", code="withdraw_refused")
    deadline = withdraw_deadline(application)
    if utcnow() >= deadline:
        raise Conflict(f"已过市州推荐截止时间（{last_day_text(deadline)}），不能再放弃申报；如需退出请联系省工信厅",
                       code="deadline_passed")
    called_off = list(loaded.items)
    loaded.engine.cancel(loaded.workflow)
    audit.append(audit.application_chain(application.id), actor=user.username, action="application_withdrawn",
                 application_id=application.id,
                 data={"name": WITHDRAWN, "outcome": WITHDRAWN, "reason": reason,
                       "was_at": application.stage, "cancelled": [item.name for item in called_off]})
    save(loaded, actor=user.username, steps=[])  # no task is ready, no timer waits: their rows go
    application.outcome, application.outcome_element, application.stage = WITHDRAWN, None, WITHDRAWN
    application.waiting, application.completed_at = "", utcnow()
    db.session.execute(delete(TaskDraft).where(TaskDraft.application_id == application.id))
    notify_work_called_off(application, [i for i in called_off if i.role != "applicant"],
                           key=f"withdrawn:{application.id}", why=f"申报单位已放弃申报。原因：{reason}")
    notify_outcome(application)
    db.session.flush()
    return application


# -- 催办 ---------------------------------------------------------------------------------------

def urge(*, task_id: str, note, user: User) -> dict:
    """催办: the owner(s) of a pending task get a notice and a mark in their inbox; once a day per task."""
    task_id = _task_id(task_id)
    note = _text(note, "note", what="催办说明", required=False)
    item = db.session.scalar(select(WorkItem).where(WorkItem.task_id == task_id).with_for_update())
    application = None if item is None else db.session.scalar(
        select(Application).where(Application.id == item.application_id, application_filter(user)))
    if item is None or application is None:
        raise NotFound("待办任务不存在", code="task_not_found")
    if not may_urge(user, item):
        raise Forbidden("只有省厅可以催办；市州可以催办本市州申报单位的待办")
    now = utcnow()
    last = db.session.execute(select(TaskUrge, User.display_name).join(User, User.id == TaskUrge.urged_by)
                              .where(TaskUrge.task_id == task_id).order_by(TaskUrge.urged_at.desc())
                              .limit(1)).first()
    if last is not None and to_shanghai(last[0].urged_at).date() == to_shanghai(now).date():
        raise Conflict(f"该任务今天已于 {to_shanghai(last[0].urged_at):%H:%M} 由 {last[1]} 催办，每个任务每天最多催办一次",
                       code="urged_today")
    claimer = db.session.get(User, item.claimed_by) if item.claimed_by else None
    owners = [claimer] if claimer is not None and claimer.active else workers_for(item)
    db.session.add(TaskUrge(application_id=application.id, task_id=task_id, urged_by=user.id, note=note,
                            urged_at=now))
    audit.append(audit.application_chain(application.id), actor=user.username, action="task_urged",
                 element_id=item.bpmn_id, application_id=application.id,
                 data={"name": item.name, "task_id": task_id, "note": note, "by": user.display_name,
                       "owners": [owner.display_name for owner in owners[:20]], "owner_count": len(owners)})
    notify_urged(application, item, owners, by=user, note=note,
                 key=f"urged:{task_id}:{to_shanghai(now):%Y-%m-%d}")
    db.session.flush()
    return {"task_id": task_id, "application_id": application.id, "name": item.name, "urged_at": now,
            "urged_by": {"id": user.id, "display_name": user.display_name}, "note": note,
            "owners": [owner.display_name for owner in owners[:20]], "owner_count": len(owners)}


def urge_marks(task_ids: list[str]) -> dict[str, dict]:
    """The latest urge of each of a page of tasks (one query): the inbox's 已催办 mark."""
    if not task_ids:
        return {}
    rows = db.session.execute(select(TaskUrge.task_id, TaskUrge.urged_at, TaskUrge.note, User.display_name)
                              .join(User, User.id == TaskUrge.urged_by)
                              .where(TaskUrge.task_id.in_(task_ids)).order_by(TaskUrge.urged_at)).all()
    return {task_id: {"at": at, "by": by, "note": note} for task_id, at, note, by in rows}


def urgeable(user: User, items: list[WorkItem]) -> set[str]:
    """Which of an application's open tasks ``user`` may urge (for the page's buttons)."""
    return {item.task_id for item in items if may_urge(user, item)}


# -- 抄送 ---------------------------------------------------------------------------------------

def copy_candidates(*, application_id: int, user: User, text: str = "") -> list[User]:
    visible_application_or_404(user, application_id)
    if not may_copy(user):
        raise Forbidden("只有省厅和市州工作人员可以抄送")
    from service.applications.access import copy_colleagues
    return copy_colleagues(user, text)


def copy_application(*, application_id: int, to, note, user: User) -> dict:
    """抄送: ``to`` may read the application from now on and is told so; nothing else changes."""
    note = _text(note, "note", what="抄送说明", required=False)
    to = _colleague_id(to)
    application = visible_application_or_404(user, application_id)
    if not may_copy(user):
        raise Forbidden("只有省厅和市州工作人员可以抄送")
    colleague = db.session.scalar(select(User).where(User.id == to, copy_colleague_clause(user)))
    if colleague is None:
        raise Invalid("不能抄送给该账号", fields={"to": ["只能抄送给本单位（省厅或本市州）在岗的工作人员，且不能是自己"]})
    earlier = db.session.scalar(select(ApplicationCopy).where(ApplicationCopy.application_id == application.id,
                                                              ApplicationCopy.user_id == colleague.id))
    if earlier is not None:
        raise Conflict(f"该申报已于 {to_shanghai(earlier.copied_at):%Y-%m-%d %H:%M} 抄送给 {colleague.display_name}",
                       code="already_copied")
    now = utcnow()
    db.session.add(ApplicationCopy(application_id=application.id, user_id=colleague.id, copied_by=user.id,
                                   note=note, copied_at=now))
    audit.append(audit.application_chain(application.id), actor=user.username, action="application_copied",
                 application_id=application.id,
                 data={"to": colleague.username, "to_name": colleague.display_name, "by": user.display_name,
                       "note": note})
    notify_copied(application, colleague, by=user, note=note, key=f"copied:{application.id}:{colleague.id}")
    db.session.flush()
    return {"application_id": application.id, "to": {"id": colleague.id, "display_name": colleague.display_name},
            "note": note, "copied_at": now}


def copied_to_me(user: User, *, page: int, page_size: int) -> dict:
    """抄送我的: the applications copied to ``user``, newest first (the copy index by user)."""
    query = select(ApplicationCopy).where(ApplicationCopy.user_id == user.id)
    total = db.session.scalar(query.with_only_columns(func.count(ApplicationCopy.id)))
    rows = db.session.execute(
        query.add_columns(Application.unit_name, Application.category, Application.city_code, Application.stage,
                          Application.outcome, User.display_name)
        .join(Application, Application.id == ApplicationCopy.application_id)
        .join(User, User.id == ApplicationCopy.copied_by)
        .order_by(ApplicationCopy.copied_at.desc(), ApplicationCopy.id.desc())
        .offset((page - 1) * page_size).limit(page_size)).all()
    items = [{"application_id": copy.application_id, "unit_name": unit, "category": category, "city_code": city,
              "stage": stage, "outcome": outcome, "copied_by": by, "copied_at": copy.copied_at, "note": copy.note}
             for copy, unit, category, city, stage, outcome, by in rows]
    return {"items": items, "total": total, "page": page, "page_size": page_size}
