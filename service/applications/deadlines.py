"""A round's deadline moved: the applications already running wait for the new date, not the old one.

Called by the round's settings change, in its transaction: each running application of the round is locked
and loaded, its copy of the deadline and its waiting timers are moved (engine/deadlines.py), and its state,
timer rows, work items' due dates and an audit event are written together. If one application cannot be
moved, the whole change is refused and nothing is kept.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from service.applications.models import NO_DUE_DATE, Application, Timer
from service.applications.saving import Loaded, load, run, save
from service.audit import chain as audit
from service.engine.deadlines import DeadlineNotMovable, move_deadline
from service.platform.errors import Conflict
from service.platform.extensions import db
from service.rounds.settings import LABELS, shown


def move_round_deadline(round_id: int, *, variable: str, before: datetime, after: datetime, actor: str,
                        reason: str, label: str | None = None) -> int:
    """Move ``variable`` (``city_deadline``, ``unit_deadline``) from ``before`` to ``after`` in every running
    application of the round; returns how many had a waiting timer moved."""
    running = db.session.scalars(select(Application.id).where(Application.round_id == round_id,
                                                              Application.outcome.is_(None))
                                 .order_by(Application.id)).all()
    moved = 0
    for application_id in running:  # in id order, as every multi-application lock is taken
        # The worker locks an application's due timer rows, then the application: take them in that order
        # too, so an extension and a firing wait for each other instead of deadlocking (PostgreSQL).
        db.session.execute(select(Timer.id).where(Timer.application_id == application_id).with_for_update())
        loaded = load(application_id)
        try:
            timers = run(lambda: move_deadline(loaded.engine, loaded.workflow, variable, before.isoformat(),
                                               after.isoformat()))
        except DeadlineNotMovable as err:
            raise Conflict(f"申报 {application_id}：{err}。截止日期未修改", code="deadline_not_movable",
                           details={"application_id": application_id, "element_id": err.element_id}) from None
        if timers is None:
            continue
        save(loaded, actor=actor, steps=[])
        _refresh_due_dates(loaded)
        audit.append(audit.application_chain(application_id), actor=actor, action="deadline_moved",
                     application_id=application_id,
                     data={"name": label or LABELS.get(variable, variable), "new_deadline": shown(after),
                           "variable": variable, "before": before.isoformat(),
                           "after": after.isoformat(), "reason": reason,
                           "timers": [{"element_id": t.element_id, "before": t.before.isoformat(),
                                       "after": t.after.isoformat()} for t in timers]})
        moved += bool(timers)
    return moved


def _refresh_due_dates(loaded: Loaded) -> None:
    """save() keeps an open work item as it was (its claim, its creation time); its due date comes from the
    boundary timer that just moved, so set it again."""
    # A task whose due date is its time limit (no boundary timer) keeps it.
    due = {task.id: task.due_at for task in loaded.engine.ready_tasks(loaded.workflow)
           if task.due_at is not None or not task.info.time_limit_days}
    for item in loaded.items:
        if item.task_id in due and item.due_at != due[item.task_id]:
            item.due_at, item.due_order = due[item.task_id], due[item.task_id] or NO_DUE_DATE
