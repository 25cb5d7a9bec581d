"""The engine facade: everything the service does to a running application.

Start, load, list ready human tasks, complete one, send a message, fire due timers,
save. Each operation returns the list of elements the engine passed through, which
the service writes to the audit trail. This module imports no Flask and touches no
database.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException, WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition as SpiffMessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from service.engine.assignment import Reassignment
from service.engine.calendar import CalendarYearUnknown, WorkdayCalendar
from service.engine.clock import Clock, SystemClock, install_timer_hook, use_clock
from service.engine.definition import ProcessDefinition, UserTaskInfo
from service.engine.errors import EngineError, MessageNotExpected, ScriptFailed, TaskNotFound, TaskNotReady, state_name
from service.engine.history import compact
from service.engine.reasons import reasons_in
from service.engine.industry import industry_divisions
from service.engine.rewind import Rewinding
from service.engine.sandbox import DEFAULT_TIME_LIMIT, SandboxScriptEngine, ScriptError


@dataclass(frozen=True)
class HumanTask:
    id: str
    info: UserTaskInfo
    state: str
    assignee: str | None = None
    due_at: datetime | None = None
    data: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def bpmn_id(self) -> str:
        return self.info.bpmn_id

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def role(self) -> str | None:
        return self.info.role


@dataclass(frozen=True)
class Step:
    """One element the engine completed, in the order it completed them."""

    action: str
    element_id: str
    element_name: str
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class WaitingTimer:
    task_id: str
    element_id: str
    due_at: datetime


def _format_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


def _parse_utc(value) -> datetime:
    """A timer's stored value as a plain aware UTC datetime (SpiffWorkflow reads naive as local)."""
    moment = TimerEventDefinition.get_datetime(value) if isinstance(value, str) else value
    return datetime.fromtimestamp(moment.timestamp(), timezone.utc)


class Engine(Reassignment, Rewinding):
    """Runs instances of one process definition with one clock and one calendar."""

    def __init__(self, definition: ProcessDefinition, *, clock: Clock | None = None,
                 calendar: WorkdayCalendar | None = None, time_limit: float = DEFAULT_TIME_LIMIT):
        install_timer_hook()
        self.definition = definition
        self.clock = clock or SystemClock()
        self.calendar = calendar or WorkdayCalendar()
        self.script_engine = SandboxScriptEngine(self._functions(), time_limit)

    # -- functions a diagram may call -------------------------------------------------
    def _functions(self) -> dict:
        def now() -> str:
            return _format_time(self.clock.now())

        def notice_end(start: str, working_days: int) -> str:
            return _format_time(self.calendar.window_end(datetime.fromisoformat(start), int(working_days)))

        def is_workday(day: str) -> bool:
            return self.calendar.is_workday(datetime.fromisoformat(day).date())

        # industry_divisions: the scope decision reads the declared GB/T 4754 codes (see industry.py).
        return {"now": now, "notice_end": notice_end, "is_workday": is_workday,
                "industry_divisions": industry_divisions}

    # -- lifecycle ----------------------------------------------------------------------
    def start(self, data: dict) -> tuple[BpmnWorkflow, list[Step]]:
        wf = BpmnWorkflow(self.definition.spec, self.definition.subprocess_specs, script_engine=self.script_engine)
        for task in wf.get_tasks(state=TaskState.READY):
            task.data.update(data)
        steps = self._run(wf, wf.do_engine_steps)
        return wf, steps

    def load(self, state: str) -> BpmnWorkflow:
        dct = json.loads(state)
        version = dct.pop(self.definition.serializer.VERSION_KEY, None)
        if version != self.definition.serializer.VERSION:
            raise EngineError(f"unsupported workflow state format {version!r}")
        wf = self.definition.serializer.from_dict(dct)
        # The script engine is not serialised; it must be set after every load.
        wf.script_engine = self.script_engine
        return wf

    def dump(self, wf: BpmnWorkflow) -> str:
        serializer = self.definition.serializer
        # Same steps as BpmnWorkflowSerializer.serialize_json, minus the spec (see definition.py).
        # The encoder-mode flag lives on the shared registry, so threads take turns.
        with self.definition.serializer_lock:
            serializer.registry._encoder_mode = True
            try:
                dct = serializer.to_dict(wf)
                dct[serializer.VERSION_KEY] = serializer.VERSION
                return json.dumps(dct, cls=serializer._encoder_cls, ensure_ascii=False, separators=(",", ":"))
            finally:
                serializer.registry._encoder_mode = False

    # -- queries ------------------------------------------------------------------------
    def ready_tasks(self, wf: BpmnWorkflow) -> list[HumanTask]:
        tasks = []
        for task in wf.get_tasks(state=TaskState.READY, manual=True):
            tasks.append(self._human_task(task))
        return tasks

    def _human_task(self, task) -> HumanTask:
        info = self.definition.user_tasks[task.task_spec.bpmn_id]
        assignee = None
        if info.assignee:
            with use_clock(self.clock):
                value = self._guard(lambda: self.script_engine.evaluate(task, info.assignee), task)
            assignee = None if value is None else str(value)
        return HumanTask(id=str(task.id), info=info, state=TaskState.get_name(task.state),
                         assignee=assignee, due_at=self._boundary_deadline(task), data=task.data)

    @staticmethod
    def _boundary_deadline(task) -> datetime | None:
        """The earliest waiting boundary timer on this task: the task's due date."""
        if task.parent is None:
            return None
        due = []
        for sibling in task.parent.children:
            if sibling is task or not sibling.has_state(TaskState.WAITING):
                continue
            if any(isinstance(d, TimerEventDefinition) for d in _event_definitions(sibling.task_spec)):
                value = sibling._get_internal_data("event_value")
                if isinstance(value, str):
                    due.append(_parse_utc(value))
        return min(due) if due else None

    def find_task(self, wf: BpmnWorkflow, task_id: str):
        try:
            task = wf.get_task_from_id(UUID(str(task_id)))
        except (ValueError, TypeError, TaskNotFoundException):
            task = None
        if task is None:
            raise TaskNotFound(f"任务 {task_id} 不存在")
        return task

    def describe_task(self, wf: BpmnWorkflow, task_id: str) -> tuple[str, str] | None:
        """(element name, state name) of a task of this instance, or None if it has no such task."""
        try:
            task = self.find_task(wf, task_id)
        except TaskNotFound:
            return None
        return task.task_spec.bpmn_name or "该环节", state_name(task.state)

    def waiting_timers(self, wf: BpmnWorkflow) -> list[WaitingTimer]:
        timers = []
        for task in wf.get_tasks(state=TaskState.WAITING):
            if not any(isinstance(d, TimerEventDefinition) for d in _event_definitions(task.task_spec)):
                continue
            value = task._get_internal_data("event_value")
            if value is None:
                continue
            timers.append(WaitingTimer(str(task.id), task.task_spec.bpmn_id, _parse_utc(value)))
        return timers

    def outcome(self, wf: BpmnWorkflow) -> tuple[str, str] | None:
        """The end event that finished the top-level process (last_task is not reliable)."""
        if not wf.completed:
            return None
        ends = [t for t in wf.get_tasks(state=TaskState.COMPLETED)
                if t.task_spec.__class__.__name__ == "EndEvent" and t.workflow is wf]
        if not ends:
            return None
        end = max(ends, key=lambda t: t.last_state_change)
        return end.task_spec.bpmn_id, end.task_spec.bpmn_name or end.task_spec.bpmn_id

    def outcome_reasons(self, wf: BpmnWorkflow) -> list[str]:
        """Why the instance ended where it did, for the applicant: the reasons decisions gave (see
        reasons_in) in the data that reached the end event; [] when none did."""
        if not wf.completed:
            return []
        ends = [t for t in wf.get_tasks(state=TaskState.COMPLETED)
                if t.task_spec.__class__.__name__ == "EndEvent" and t.workflow is wf]
        return reasons_in(max(ends, key=lambda t: t.last_state_change).data) if ends else []

    def latest_value(self, wf: BpmnWorkflow, name: str):
        """The value of the task-data variable ``name`` as the most recently completed task holding it left it
        (None if no completed task has it): what a business rule task just decided."""
        holders = [t for t in wf.get_tasks(state=TaskState.COMPLETED) if name in t.data]
        if not holders:
            return None
        return max(holders, key=lambda t: t.last_state_change).data[name]

    def completed_elements(self, wf: BpmnWorkflow) -> set[str]:
        """Ids of the elements completed in the kept history (a step seen before was sent back to)."""
        return {t.task_spec.bpmn_id for t in wf.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id}

    def waiting_elements(self, wf: BpmnWorkflow) -> list[tuple[str, str]]:
        """(element id, name) of every element the instance is waiting in: its current stage."""
        seen, result = set(), []
        for task in wf.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED):
            spec = task.task_spec
            if spec.bpmn_id is None or spec.bpmn_id in seen:
                continue
            if spec.__class__.__name__ in ("BoundaryEvent", "ParallelMultiInstanceTask",
                                           "SequentialMultiInstanceTask"):
                continue
            seen.add(spec.bpmn_id)
            result.append((spec.bpmn_id, spec.bpmn_name or spec.bpmn_id))
        return result

    # -- state changes ------------------------------------------------------------------
    def complete(self, wf: BpmnWorkflow, task_id: str, data: dict) -> list[Step]:
        task = self.find_task(wf, task_id)
        # task.run() does not check state: it would complete a FUTURE task too.
        if task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotReady(f"任务“{task.task_spec.bpmn_name or '该环节'}”当前{state_name(task.state)}，不能办理")

        data = self._with_output_item(task, data)

        def run():
            task.data.update(data)
            task.run()
            wf.do_engine_steps()

        return self._run(wf, run)

    @staticmethod
    def _with_output_item(task, data: dict) -> dict:
        """A multi-instance child's submitted form becomes its output item.

        SpiffWorkflow collects only the output item of each instance (other keys are
        dropped), so the form data, plus the instance's input item (the expert's id),
        is placed under the output item's name.
        """
        parent = task.parent.task_spec if task.parent is not None else None
        output_item = getattr(parent, "output_item", None)
        if output_item is None or output_item.bpmn_id in data:
            return data
        item = dict(data)
        input_item = getattr(parent, "input_item", None)
        if input_item is not None:
            item.setdefault(input_item.bpmn_id, task.data.get(input_item.bpmn_id))
        return {**data, output_item.bpmn_id: item}

    def send_message(self, wf: BpmnWorkflow, name: str, payload: dict | None = None) -> list[Step]:
        def run():
            event = BpmnEvent(SpiffMessageEventDefinition(name), payload or {}, correlations={})
            try:
                wf.send_event(event)
            except WorkflowException as err:
                if "not waiting" in str(err).lower():
                    raise MessageNotExpected(f"当前环节不接收“{name}”消息") from None
                raise
            wf.do_engine_steps()

        if not self._waits_for_message(wf, name):
            raise MessageNotExpected(f"当前环节不接收“{name}”消息")
        return self._run(wf, run)

    def _waits_for_message(self, wf: BpmnWorkflow, name: str) -> bool:
        return any(isinstance(d, MessageEventDefinition) and d.name == name
                   for task in wf.get_tasks(state=TaskState.WAITING)
                   for d in _event_definitions(task.task_spec))

    def cancel(self, wf: BpmnWorkflow) -> None:
        """End the instance where it stands, without an end event of the diagram (放弃申报): every open task
        and waiting event is cancelled, so nothing is ready and no timer waits afterwards."""
        with use_clock(self.clock):
            self._guard(wf.cancel)

    def fire_timers(self, wf: BpmnWorkflow) -> list[Step]:
        def run():
            wf.refresh_timers()
            wf.do_engine_steps()

        return self._run(wf, run)

    # -- plumbing -----------------------------------------------------------------------
    def _run(self, wf: BpmnWorkflow, operation) -> list[Step]:
        before = {t.id for t in wf.get_tasks(state=TaskState.COMPLETED)}
        with use_clock(self.clock):
            self._guard(operation)
        done = [t for t in wf.get_tasks(state=TaskState.COMPLETED) if t.id not in before]
        done.sort(key=lambda t: t.last_state_change)
        steps = [step for t in done if (step := self._step(t)) is not None]
        compact(wf)  # a long send-back loop must not slow or break later steps
        return steps

    def _guard(self, operation, task=None):
        try:
            return operation()
        except (EngineError, CalendarYearUnknown):
            raise
        except SpiffWorkflowException as err:
            cause = getattr(err, "exception", None)
            if isinstance(cause, CalendarYearUnknown):
                raise cause from None
            element = getattr(getattr(err, "task", None) or task, "task_spec", None)
            element_id = getattr(element, "bpmn_id", None)
            detail = str(cause) if cause is not None else str(err)
            raise ScriptFailed(f"流程元素 {element_id or ''} 执行失败：{detail}", element_id) from err
        except ScriptError as err:
            element_id = getattr(getattr(task, "task_spec", None), "bpmn_id", None)
            raise ScriptFailed(f"流程元素 {element_id or ''} 执行失败：{err}", element_id) from err

    def _event_gateway_step(self, task) -> Step | None:
        """An event-based gateway completes when one of its events arrives: record that event."""
        for child in task.children:
            if child.has_state(TaskState.MAYBE | TaskState.LIKELY | TaskState.CANCELLED):
                continue
            spec = child.task_spec
            kind, message = self.definition.catch_events.get(spec.bpmn_id, (None, None))
            data = {"gateway": task.task_spec.bpmn_id}
            if kind == "timer":
                return Step("timer_fired", spec.bpmn_id, spec.bpmn_name or spec.bpmn_id,
                            {**data, "due_at": task._get_internal_data("event_value")})
            if kind == "message":
                return Step("message_received", spec.bpmn_id, spec.bpmn_name or spec.bpmn_id,
                            {**data, "message": message})
        return Step("gateway_decision", task.task_spec.bpmn_id, task.task_spec.bpmn_name or "",
                    {"taken": sorted({e for c in task.children for e in _elements(c)})})

    def _step(self, task) -> Step | None:
        spec = task.task_spec
        if spec.bpmn_id is None:
            return None
        kind = spec.__class__.__name__
        name = spec.bpmn_name or spec.bpmn_id
        definition = getattr(spec, "event_definition", None)
        if kind == "EventBasedGateway":
            return self._event_gateway_step(task)
        if kind.endswith("Gateway"):
            taken = sorted({element for child in task.children
                            if not child.has_state(TaskState.MAYBE | TaskState.LIKELY)
                            for element in _elements(child)})
            return Step("gateway_decision", spec.bpmn_id, name, {"taken": taken})
        if kind == "StartEvent":
            return Step("started", spec.bpmn_id, name)
        if kind == "EndEvent":
            if task.workflow is not task.workflow.top_workflow:
                return Step("ended", spec.bpmn_id, name, {})
            reasons = reasons_in(task.data)
            return Step("ended", spec.bpmn_id, name, {"outcome": name, **({"reasons": reasons} if reasons else {})})
        if isinstance(definition, TimerEventDefinition):
            return Step("timer_fired", spec.bpmn_id, name, {"due_at": task._get_internal_data("event_value")})
        if isinstance(definition, MessageEventDefinition):
            return Step("message_received", spec.bpmn_id, name, {"message": definition.name})
        if kind == "BusinessRuleTask":
            outputs = [o.name for o in spec.dmnEngine.decision_table.outputs]
            return Step("rule_evaluated", spec.bpmn_id, name, {k: task.data.get(k) for k in outputs})
        if kind == "ScriptTask":
            return Step("script_run", spec.bpmn_id, name)
        if kind == "UserTask":
            return Step("task_completed", spec.bpmn_id, name)
        if kind.endswith("MultiInstanceTask"):
            return Step("multi_instance_completed", spec.bpmn_id, name)
        return None


def _event_definitions(spec) -> list:
    """The event definitions a waiting element catches; an event-based gateway catches
    all of its following events through one MultipleEventDefinition."""
    definition = getattr(spec, "event_definition", None)
    if definition is None:
        return []
    return list(getattr(definition, "event_definitions", None) or [definition])


def _elements(task, depth: int = 0) -> list[str]:
    """The BPMN elements a task stands for; SpiffWorkflow inserts unnamed helper tasks
    (boundary-event splits, joins) between a gateway and the element it chose."""
    spec = task.task_spec
    if spec.bpmn_id is not None:
        return [] if spec.__class__.__name__ == "BoundaryEvent" else [spec.bpmn_id]
    if depth > 3:
        return []
    return [e for child in task.children for e in _elements(child, depth + 1)]
