"""Repair by administrators: an application stopped by a process error is retried, and any running
application can be returned to a user task it has completed (退回到任意环节). Each is audited on the
application's chain in the transaction that does it.

The way out of a process error: fix the diagram in a draft, deploy it, move the application to the new
version (moves.py), then retry, which replays what failed (the submitted form, the message, the due
timers) as the administrator, recorded with whose attempt it replays. A retry that fails again is
refused like the first attempt and counted on the error record.
"""
from __future__ import annotations

from sqlalchemy import delete

from service.accounts.models import User
from service.accounts.names import display_names
from service.applications import faults
from service.applications.commands import deliver_message, fire_timers_for, submit_item
from service.applications.models import Application, TaskDraft
from service.applications.saving import engine_for, load, run, save
from service.audit import chain as audit
from service.engine.rewind import RewindRefused
from service.platform.errors import Conflict, Forbidden, Invalid
from service.platform.extensions import db
from service.platform.inputs import text_problem
from service.versions.deploy import loaded_version

MAX_REASON = 500


def _require_admin(user: User) -> None:
    if not user.has_role("admin"):
        raise Forbidden("只有系统管理员可以执行此操作")


def sees_faults(user: User) -> bool:
    return user.has_role("admin") or user.has_role("province_staff")


def repair_view(user: User, application: Application) -> dict:
    """The application's last process error (administrators and province staff) and, for administrators,
    the steps it may be returned to now (or why none)."""
    view = {"needs_repair": application.needs_repair, "fault": None, "rewind_targets": [], "rewind_blocked": None}
    if not sees_faults(user):
        return view
    fault = faults.fault_of(application)
    if fault is not None:
        view["fault"] = {**faults.describe(fault), "version": loaded_version(fault.process_version_id).number,
                         "moved_since": fault.process_version_id != application.process_version_id,
                         "actor_name": display_names([fault.actor]).get(fault.actor, "") if fault.actor else ""}
    if user.has_role("admin"):
        if application.outcome is not None or not application.state:
            view["rewind_blocked"] = f"申报已结束（{application.outcome}），不能退回" if application.outcome else None
        else:
            engine = engine_for(application)
            workflow = engine.load(application.state)
            view["rewind_targets"] = [{"element_id": t.element_id, "name": t.name}
                                      for t in engine.rewind_targets(workflow)]
            view["rewind_blocked"] = engine.rewind_blocked(workflow)
    return view


def _fault_record(fault) -> dict:
    return {"element_id": fault.element_id, "element_name": fault.element_name, "message": fault.message,
            "kind": fault.kind, "step": fault.step_name, "by": fault.actor, "failures": fault.failures,
            "at": fault.occurred_at.isoformat(), "version": loaded_version(fault.process_version_id).number}


def retry(*, application_id: int, user: User) -> Application:
    """Replay the state change a process error refused, as ``user`` (an administrator)."""
    _require_admin(user)
    loaded = load(application_id)
    application = loaded.application
    fault = faults.fault_of(application)
    if fault is None:
        raise Conflict("该申报没有待重试的流程错误", code="nothing_to_retry")
    record = _fault_record(fault)
    audit.append(audit.application_chain(application.id), actor=user.username, action="process_retried",
                 element_id=fault.element_id, data={"fault": record,
                                                    "version": loaded_version(application.process_version_id).number},
                 application_id=application.id)
    replay = fault.replay or {}
    if fault.kind == "task":
        item = next((i for i in loaded.items if i.task_id == fault.task_id), None)
        if item is None:
            raise Conflict(f"出错时提交的任务“{fault.step_name}”已不在待办中，不能重试；可退回到需要重新办理的环节",
                           code="retry_task_gone")
        submit_item(loaded, item, replay.get("data"), actor=user.username, audit_extra={"retry_of": fault.actor})
    elif fault.kind == "message":
        deliver_message(application_id=application.id, message=replay.get("message", ""),
                        payload=replay.get("payload") or {}, actor=user.username,
                        action=replay.get("action") or "message_retried",
                        audit_data={**(replay.get("audit_data") or {}), "retry_of": fault.actor})
    elif not fire_timers_for(application.id):
        # Nothing is due any more (a deadline was extended since): nothing left to replay.
        faults.clear(application)
    return application


def _checked_reason(reason) -> str:
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise Invalid("请填写退回原因", fields={"reason": ["必填项：退回会记入审计，请写明原因"]})
    problem = text_problem(text, multiline=True)
    if problem or len(text) > MAX_REASON:
        raise Invalid("退回原因无法保存", fields={"reason": [problem or f"最多 {MAX_REASON} 个字"]})
    return text


def rewind(*, application_id: int, element_id, reason, user: User) -> Application:
    """Return a running application to a user task it has completed; refused (409) where unsafe."""
    _require_admin(user)
    reason = _checked_reason(reason)
    if not isinstance(element_id, str) or not element_id or len(element_id) > 200 or text_problem(element_id):
        raise Invalid("请选择退回到的环节", fields={"element_id": ["必填项：已办理过的人工环节"]})
    loaded = load(application_id)
    application, engine, workflow = loaded.application, loaded.engine, loaded.workflow
    if application.outcome is not None:
        raise Conflict(f"申报已结束（{application.outcome}），不能退回", code="rewind_refused")
    was_at = [name for _, name in engine.waiting_elements(workflow)]
    cancelled = [item.name for item in loaded.items]
    before = {item.task_id for item in loaded.items}
    try:
        target = run(lambda: engine.rewind(workflow, element_id))
    except RewindRefused as err:
        raise Conflict(str(err), code="rewind_refused") from None
    audit.append(audit.application_chain(application.id), actor=user.username, action="application_rewound",
                 element_id=target.element_id, application_id=application.id,
                 data={"name": target.name, "task_id": target.task_id, "reason": reason, "from": was_at,
                       "cancelled": cancelled})
    loaded.returned_to.add(target.element_id)  # its people are told it was sent back to them
    save(loaded, actor=user.username, steps=[])
    gone = before - {item.task_id for item in loaded.items}
    if gone:  # what was typed into the tasks called off
        db.session.execute(delete(TaskDraft).where(TaskDraft.application_id == application.id,
                                                   TaskDraft.task_id.in_(sorted(gone))))
    return application
