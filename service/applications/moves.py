"""Moving a running application to another process version: only on request, only when safe, audited.

Safe means: no element the application has completed or is in changed or disappeared in the target
version, and no multi-instance step (the expert review) is under way — SpiffWorkflow would lose or
redo its children. SpiffWorkflow's own spec diff decides what "changed" means.
"""
from __future__ import annotations

from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow

from service.audit import chain as audit
from service.applications.saving import engine_for, load, run, save
from service.engine.clock import current_clock
from service.engine.workflow import Engine
from service.platform.errors import Conflict
from service.platform.extensions import db
from service.platform.inputs import refuse_unclean_text
from service.applications.models import Application
from service.versions.models import ProcessVersion
from service.accounts.models import User
from service.versions.deploy import definition_of, get_version_or_404
from service.rounds.calendar import current_calendar

UNDER_WAY = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def _label(task) -> str:
    spec = task.task_spec
    return f"{spec.bpmn_name or spec.bpmn_id}（{spec.bpmn_id}）"


def _reasons(workflow, target: ProcessVersion) -> tuple[list[str], object]:
    definition = definition_of(target)
    registry = definition.serializer.registry
    top, subprocesses = diff_workflow(registry, workflow, definition.spec, definition.subprocess_specs)
    reasons = []
    for task in workflow.get_tasks(state=UNDER_WAY):
        if isinstance(task.task_spec, LoopTask) or task.task_spec.name.endswith(" [child]"):
            reasons.append(f"多实例环节“{task.task_spec.bpmn_name or task.task_spec.bpmn_id}”正在进行，不能迁移")
            break
    for task in top.removed:
        if task.task_spec.bpmn_id and task.state & (TaskState.COMPLETED | UNDER_WAY):
            done = "已完成" if task.state == TaskState.COMPLETED else "正在进行"
            reasons.append(f"{done}的环节 {_label(task)} 在第 {target.number} 版中已删除")
    for task in top.changed:
        if task.task_spec.bpmn_id and task.state & (TaskState.COMPLETED | UNDER_WAY):
            done = "已完成" if task.state == TaskState.COMPLETED else "正在进行"
            reasons.append(f"{done}的环节 {_label(task)} 在第 {target.number} 版中已修改")
    if any(diff is None for diff in subprocesses.values()):
        reasons.append(f"子流程在第 {target.number} 版中已删除")
    return list(dict.fromkeys(reasons)), top


def check_move(application_id: int, version_id: int) -> dict:
    """Whether the application may move to the version, and if not, every reason."""
    application = db.session.get(Application, application_id)
    target = get_version_or_404(version_id)
    reasons = _preconditions(application, target)
    if not reasons:
        engine = engine_for(application)
        reasons, _ = _reasons(engine.load(application.state), target)
    return {"application_id": application_id, "from_version": _number(application.process_version_id),
            "to_version": target.number, "allowed": not reasons, "reasons": reasons}


def _number(version_id: int) -> int:
    return db.session.get(ProcessVersion, version_id).number


def _preconditions(application: Application | None, target: ProcessVersion) -> list[str]:
    from service.platform.errors import NotFound

    if application is None:
        raise NotFound("申报不存在")
    if application.outcome is not None:
        return [f"申报已结束（{application.outcome}），无需迁移"]
    if application.process_version_id == target.id:
        return [f"申报已在第 {target.number} 版上运行"]
    return []


def move_application(application_id: int, version_id: int, *, user: User, note: str) -> Application:
    """Move one running application to ``version_id`` after the check; refused with the reasons."""
    refuse_unclean_text(note=note, multiline=("note",))
    loaded = load(application_id)
    target = get_version_or_404(version_id)
    reasons = _preconditions(loaded.application, target)
    top = None
    if not reasons:
        reasons, top = _reasons(loaded.workflow, target)
    if reasons:
        raise Conflict("不能迁移到第 {} 版：{}".format(target.number, "；".join(reasons)), code="move_refused",
                       details=reasons)
    source_number = _number(loaded.application.process_version_id)
    definition = definition_of(target)
    engine = Engine(definition, clock=current_clock(), calendar=current_calendar())
    workflow = loaded.workflow
    migrate_workflow(top, workflow, definition.spec)
    workflow.script_engine = engine.script_engine
    steps = run(lambda: engine._run(workflow, workflow.do_engine_steps))
    loaded.application.process_version_id = target.id
    loaded.engine = engine
    audit.append(audit.application_chain(application_id), actor=user.username, action="version_moved",
                 application_id=application_id,
                 data={"from_version": source_number, "to_version": target.number, "note": note})
    save(loaded, actor=user.username, steps=steps, keeps_fault=True)  # the failed step is retried after it
    return loaded.application
