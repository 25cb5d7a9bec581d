"""Moving a deadline an instance was started with (a round's deadline extended after applications began).

Timers read the deadline from task data: ``city_deadline`` in the diagram's ``<bpmn:timeDate>``. SpiffWorkflow
evaluates that expression once, when the timer starts waiting, and keeps the result in the waiting task's
``internal_data['event_value']`` (``TimeDateEventDefinition.has_fired``); the data is copied from task to task.
So an extension has two parts: the data every task holds (for timers armed later: the city review's timer,
a declaration sent back) and the value of each timer already waiting (evaluated again with the new data).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from datetime import datetime

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition, TimerEventDefinition
from SpiffWorkflow.util.task import TaskState

from service.engine.clock import use_clock
from service.engine.workflow import Engine, EngineError, _event_definitions, _parse_utc


class DeadlineNotMovable(EngineError):
    """A waiting timer reads the deadline but is not a date that can be recomputed (a duration or a cycle)."""

    code = "deadline_not_movable"

    def __init__(self, message: str, element_id: str):
        self.element_id = element_id
        super().__init__(message)


@dataclass(frozen=True)
class MovedTimer:
    task_id: str
    element_id: str
    before: datetime
    after: datetime


def move_deadline(engine: Engine, wf: BpmnWorkflow, variable: str, before: str, after: str) -> list[MovedTimer] | None:
    """Every task (and the workflow) holding ``variable == before`` gets ``after``, and every waiting time-date
    timer whose expression reads ``variable`` is evaluated again. Returns the timers that moved, or None when
    the instance held the old value nowhere (nothing to save). A duration or cycle timer reading the variable
    cannot be recomputed (it counts from when it was armed): DeadlineNotMovable, and nothing is kept."""

    old_moment = _moment(before)

    def run():
        held = False
        for task in wf.get_tasks():
            if _moment(task.data.get(variable)) == old_moment:
                task.data[variable], held = after, True
        if _moment(wf.data.get(variable)) == old_moment:
            wf.data[variable], held = after, True
        moved = []
        for task in wf.get_tasks(state=TaskState.WAITING):
            timers = [d for d in _event_definitions(task.task_spec)
                      if isinstance(d, TimerEventDefinition) and variable in names_in(d.expression)]
            if not timers:
                continue
            element = task.task_spec.bpmn_id
            if len(timers) > 1 or not isinstance(timers[0], TimeDateEventDefinition):
                raise DeadlineNotMovable(f"流程元素 {element} 的定时器按 {variable} 计算时长或周期，不能随截止日期移动",
                                         element)
            old = task._get_internal_data("event_value")
            new = engine.script_engine.evaluate(task, timers[0].expression)
            task._set_internal_data(event_value=new)
            if old is not None and _parse_utc(old) != _parse_utc(new):
                moved.append(MovedTimer(str(task.id), element, _parse_utc(old), _parse_utc(new)))
        return moved if held or moved else None

    with use_clock(engine.clock):
        return engine._guard(run)


def _moment(value) -> datetime | None:
    """The instant an ISO text names (the same deadline may have been written with another offset)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def names_in(expression: str) -> set[str]:
    """The variable names an expression reads (none if it does not parse: deploy-time validation reports that)."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, ValueError):
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
