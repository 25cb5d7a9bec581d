"""What changes an expert panel: the province draws it, an expert declares a conflict (回避声明), the
province gives the task to a substitute. Each is one state change in the caller's transaction, recorded
on the application's audit chain; none commits.
"""
from __future__ import annotations

import secrets

from sqlalchemy import delete, select

from service.accounts.models import User
from service.applications import panels
from service.applications.commands import NotYours, locked_task
from service.applications.models import Application, ExpertConflict, TaskDraft, WorkItem
from service.applications.saving import engine_for, lock, run, save, work_item_for
from service.audit import chain as audit
from service.notify.outbox import notify_task_moved
from service.platform.errors import Conflict, Invalid
from service.platform.extensions import db
from service.platform.inputs import text_problem
from service.platform.timeutil import to_shanghai, utcnow
from service.rounds.models import Round
from service.versions.deploy import loaded_version

MAX_REASON = 500
CONFLICT_DECLARED, SUBSTITUTED = "expert_conflict_declared", "expert_substituted"


def _reason(value, field: str, what: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    problem = text_problem(text, multiline=True) if text else f"请填写{what}"
    if not problem and len(text) > MAX_REASON:
        problem = f"不能超过 {MAX_REASON} 个字符"
    if problem:
        raise Invalid(f"{what}：{problem}", fields={field: [problem]})
    return text


def _person(user_id: int) -> dict:
    user = db.session.get(User, user_id)
    return {"id": user_id, "name": user.display_name if user else str(user_id)}


# -- the draw ------------------------------------------------------------------------------------

def draw_panel(*, task_id: str, user: User) -> dict:
    """Draw the round's number of experts from those eligible, with a new seed; the seed, the eligible ids
    and the panel go on the application's chain (the last draw of a task is the one a submit may use)."""
    application, _, item = locked_task(task_id, user)
    form = loaded_version(application.process_version_id).definition.bundle.form(item.form) if item.form else {}
    if panels.panel_component(form) is None:
        raise Conflict(f"“{item.name}”不遴选评审专家", code="no_panel")
    count = db.session.get(Round, application.round_id).expert_count
    candidates = panels.eligible_experts(application)
    if len(candidates) < count:
        raise Conflict(f"符合条件的评审专家只有 {len(candidates)} 位，少于本批次要求的 {count} 位："
                       "请补充专家库或人工选择", code="too_few_experts")
    seed = secrets.token_hex(8)
    eligible = [c.id for c in candidates]
    by_id = {c.id: c for c in candidates}
    panel = [by_id[i] for i in panels.draw(seed, eligible, count)]
    audit.append(audit.application_chain(application.id), actor=user.username, action=panels.DRAWN,
                 element_id=item.bpmn_id, application_id=application.id,
                 data={"name": item.name, "task_id": item.task_id, "seed": seed, "rule": panels.RULE,
                       "count": count, "eligible": eligible, "panel": [c.id for c in panel],
                       "panel_names": [c.name for c in panel]})
    return {"seed": seed, "count": count, "eligible_count": len(eligible), "experts": [c.as_dict() for c in panel]}


# -- 回避声明 ------------------------------------------------------------------------------------

def _move_item(item: WorkItem, replacement: WorkItem) -> None:
    """Swap an inbox row for another with the same task id (the counters' triggers see a delete and an
    insert, so the inbox counts stay exact)."""
    db.session.delete(item)
    db.session.flush()
    db.session.add(replacement)


def declare_conflict(*, task_id: str, user: User, reason) -> ExpertConflict:
    """The assigned expert declares a conflict of interest: the task leaves their inbox (and with it the
    application) and waits in the province's inbox for a substitute."""
    reason = _reason(reason, "reason", "回避理由")
    application, _, item = locked_task(task_id, user)
    if item.role != "expert" or item.assignee != str(user.id):
        raise NotYours(f"只有被指定的评审专家可以对“{item.name}”声明回避")
    info = loaded_version(application.process_version_id).definition.user_tasks[item.bpmn_id]
    if not (info.assignee or "").strip().isidentifier():
        raise Conflict(f"“{item.name}”的专家不能更换", code="no_substitution")
    conflict = ExpertConflict(application_id=application.id, task_id=item.task_id, expert_id=user.id,
                              reason=reason, declared_at=utcnow())
    db.session.add(conflict)
    waiting = WorkItem(application_id=application.id, task_id=item.task_id, bpmn_id=item.bpmn_id,
                       name=f"更换回避专家：{item.name}"[:200], role="province_staff", form=None,
                       city_code=item.city_code, category=item.category, applicant_unit=item.applicant_unit,
                       assignee=None, due_at=item.due_at, due_order=item.due_order, created_at=utcnow())
    _move_item(item, waiting)
    db.session.execute(delete(TaskDraft).where(TaskDraft.task_id == item.task_id))
    db.session.flush()
    audit.append(audit.application_chain(application.id), actor=user.username, action=CONFLICT_DECLARED,
                 element_id=item.bpmn_id, application_id=application.id,
                 data={"name": item.name, "task_id": item.task_id, "expert": _person(user.id), "reason": reason,
                       "conflict": conflict.id})
    notify_task_moved(application, waiting, key=f"conflict_declared:{conflict.id}",
                      why="评审专家声明回避，请选定替补专家。")
    return conflict


def open_conflict(task_id: str) -> ExpertConflict | None:
    return db.session.scalar(select(ExpertConflict).where(ExpertConflict.task_id == str(task_id),
                                                          ExpertConflict.resolved_at.is_(None)))


def _not_available(application: Application, engine, workflow, task_id: str) -> set[int]:
    """Who may not take the task: the panel as the process holds it, and everyone who declared a conflict
    on this application."""
    taken = {int(v) for v in engine.instance_inputs(workflow, task_id) if str(v).isdigit()}
    declared = db.session.scalars(select(ExpertConflict.expert_id)
                                  .where(ExpertConflict.application_id == application.id))
    return taken | set(declared)


def substitution_view(item: WorkItem, application: Application) -> dict | None:
    """For a review task waiting for a substitute: the declaration and the eligible experts not on the
    panel, with their workload (a read: nothing locked). None for any other task."""
    conflict = open_conflict(item.task_id) if panels.is_substitution(item, application) else None
    if conflict is None:
        return None
    engine = engine_for(application)
    unavailable = _not_available(application, engine, engine.load(application.state), item.task_id)
    candidates = panels.eligible_experts(application, exclude=unavailable)
    declared = {**_conflict_dict(conflict), "declared_at": conflict.declared_at.isoformat(),
                "declared_at_local": f"{to_shanghai(conflict.declared_at):%Y-%m-%d %H:%M}"}
    return {"conflict": declared, "candidates": [c.as_dict() for c in candidates]}


def _conflict_dict(conflict: ExpertConflict) -> dict:
    return {"id": conflict.id, "application_id": conflict.application_id, "task_id": conflict.task_id,
            "expert": _person(conflict.expert_id), "reason": conflict.reason, "declared_at": conflict.declared_at,
            "substitute": _person(conflict.substitute_id) if conflict.substitute_id else None,
            "method": conflict.method, "seed": conflict.seed, "note": conflict.note,
            "resolved_by": conflict.resolved_by, "resolved_at": conflict.resolved_at}


def substitute_expert(*, task_id: str, user: User, method: str, expert_id: int | None = None,
                      reason=None) -> dict:
    """The province gives a conflicted review task to another eligible expert not on the panel, drawn
    (``method="draw"``) or chosen with a reason; the engine task's assignee and the inbox row move together."""
    if method not in ("draw", "manual"):
        raise Invalid("更换方式不正确", fields={"method": ["应为 draw（随机抽取）或 manual（人工指定）"]})
    note = _reason(reason, "reason", "人工指定替补专家的理由") if method == "manual" else None
    if method == "manual" and expert_id is None:
        raise Invalid("请选择替补专家", fields={"expert": ["请选择替补专家"]})
    application, items, item = locked_task(task_id, user)
    conflict = open_conflict(task_id)
    if conflict is None or not panels.is_substitution(item, application):
        raise Conflict(f"“{item.name}”没有待更换的回避专家", code="no_conflict")
    loaded = lock(application, items=items)
    unavailable = _not_available(application, loaded.engine, loaded.workflow, item.task_id)
    seed, eligible = None, None
    if method == "draw":
        eligible = [c.id for c in panels.eligible_experts(application, exclude=unavailable)]
        if not eligible:
            raise Conflict("没有可替补的评审专家：符合条件的专家都已在专家组中或已回避", code="too_few_experts")
        seed = secrets.token_hex(8)
        chosen = panels.draw(seed, eligible, 1)[0]
    else:
        chosen = expert_id
        if chosen in unavailable:
            raise Invalid("该专家不能替补", fields={"expert": ["该专家已在本申报的评审专家组中，或已声明回避"]})
        if not panels.eligible_experts(application, among=[chosen]):
            raise Invalid("该专家不符合遴选条件", fields={"expert": ["该专家不符合本申报的遴选条件（专业、所在市州或单位回避）"]})
    replaced = run(lambda: loaded.engine.reassign(loaded.workflow, item.task_id, str(chosen)))
    task = next(t for t in loaded.engine.ready_tasks(loaded.workflow) if t.id == item.task_id)
    assigned = work_item_for(application, task, calendar=loaded.engine.calendar)
    _move_item(item, assigned)
    loaded.items = [i for i in loaded.items if i is not item] + [assigned]
    conflict.substitute_id, conflict.method, conflict.seed, conflict.note = chosen, method, seed, note
    conflict.resolved_by, conflict.resolved_at = user.username, utcnow()
    data = {"name": task.name, "task_id": item.task_id, "conflict": conflict.id,
            "replaced": _person(int(replaced)) if replaced and replaced.isdigit() else None,
            "substitute": _person(chosen), "method": method}
    data.update({"seed": seed, "rule": panels.RULE, "eligible": eligible} if method == "draw" else {"reason": note})
    audit.append(audit.application_chain(application.id), actor=user.username, action=SUBSTITUTED,
                 element_id=item.bpmn_id, application_id=application.id, data=data)
    save(loaded, actor=user.username, steps=[])
    notify_task_moved(application, assigned, key=f"substituted:{conflict.id}", why="您被选为替补评审专家。")
    return {"conflict": _conflict_dict(conflict), "substitute": _person(chosen), "seed": seed}
