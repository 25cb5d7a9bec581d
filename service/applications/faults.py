"""The last process error of an application: kept when a state change is refused, cleared when one succeeds.

A script or expression of the diagram that fails refuses the state change (409 process_error) and rolls it
back. What failed, where and when, and what was being done (enough to do it again) is written afterwards
in a transaction of its own, and the application is marked as needing repair. The flag is set with a
plain UPDATE that leaves the row's version alone: the person whose submit was refused may send it again
as it was, once the diagram is fixed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import delete, update

from service.applications.models import Application, ApplicationFault
from service.audit.chain import canonical
from service.platform.extensions import db
from service.platform.timeutil import utcnow
from service.platform.transactions import afterwards

KINDS = {"task": "提交任务", "message": "接收消息", "timers": "触发定时"}


@dataclass(frozen=True)
class Attempt:
    """A state change under way, described well enough to show it and to replay it."""

    application_id: int
    process_version_id: int
    kind: str  # one of KINDS
    actor: str
    task_id: str | None = None
    step_name: str | None = None
    replay: dict = field(default_factory=dict)


def element_name(definition, element_id: str | None) -> str | None:
    """The diagram's name of an element (None when it has none)."""
    if not element_id:
        return None
    for wf_spec in (definition.spec, *definition.subprocess_specs.values()):
        for spec in wf_spec.task_specs.values():
            if spec.bpmn_id == element_id:
                return spec.bpmn_name
    return None


def record_later(attempt: Attempt, *, message: str, element_id: str | None, definition) -> None:
    """Keep the failure once the refused state change has been rolled back."""
    name = element_name(definition, element_id)
    afterwards(lambda: _record(attempt, message=message, element_id=element_id, name=name))


def _record(attempt: Attempt, *, message: str, element_id: str | None, name: str | None) -> None:
    now = utcnow()
    fault = db.session.get(ApplicationFault, attempt.application_id)
    if fault is None:
        fault = ApplicationFault(application_id=attempt.application_id, failures=0, first_at=now)
        db.session.add(fault)
    fault.failures += 1
    fault.process_version_id, fault.kind, fault.actor = attempt.process_version_id, attempt.kind, attempt.actor
    # Plain JSON (dates as text), made only now: a submit that succeeds pays nothing for it.
    fault.task_id, fault.step_name = attempt.task_id, attempt.step_name
    fault.replay = json.loads(canonical(attempt.replay))
    fault.element_id, fault.element_name, fault.message, fault.occurred_at = element_id, name, message[:4000], now
    db.session.execute(update(Application).where(Application.id == attempt.application_id)
                       .values(needs_repair=True).execution_options(synchronize_session=False))


def clear(application: Application) -> None:
    """A state change of a marked application went through: its error is history (the audit keeps it)."""
    if application.needs_repair:
        db.session.execute(delete(ApplicationFault).where(ApplicationFault.application_id == application.id))
        application.needs_repair = False


def fault_of(application: Application) -> ApplicationFault | None:
    return db.session.get(ApplicationFault, application.id) if application.needs_repair else None


def describe(fault: ApplicationFault) -> dict:
    """The record as the page and the API show it (what was submitted stays out: it is replayed, not shown)."""
    return {"element_id": fault.element_id, "element_name": fault.element_name, "message": fault.message,
            "kind": fault.kind, "kind_label": KINDS.get(fault.kind, fault.kind), "task_id": fault.task_id,
            "step_name": fault.step_name, "actor": fault.actor, "failures": fault.failures,
            "first_at": fault.first_at, "occurred_at": fault.occurred_at,
            "process_version_id": fault.process_version_id}
