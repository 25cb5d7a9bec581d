"""One path replayed on a version in memory: start an instance and apply recorded or scripted decisions.

A decision that completes a user task carries its form data. A scripted one (``fill``) is completed with
valid values from the version's own form; a recorded one is checked against that form, and what the form
now requires but the application never answered is reported as a finding (then answered, so the replay
goes on) instead of making the path "stuck".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from service.engine.calendar import CalendarYearUnknown, WorkdayCalendar
from service.engine.clock import ManualClock
from service.engine.definition import ProcessDefinition
from service.engine.round_settings import default_start_data
from service.engine.workflow import Engine, EngineError
from service.versions.formfill import CannotFill, TaskForms

# Enough to pass any sane number of new steps between two scripted decisions, and to stop a loop of them.
MAX_NEW_STEPS = 50


@dataclass
class Event:
    """One recorded (or scripted) decision: who did what to which element, when, with which data."""

    action: str
    at: datetime
    element_id: str | None = None
    data: dict = field(default_factory=dict)
    actor: str = ""


@dataclass
class PathResult:
    label: str
    status: str  # same / different / stuck / running / skipped
    expected: str | None
    rehearsed: str | None
    diverged_at: str | None = None
    diverged_name: str | None = None
    reason: str | None = None
    application_id: int | None = None
    findings: list = field(default_factory=list)
    new_steps: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Replay:
    outcome: tuple[str, str] | None
    stuck_at: str | None = None
    reason: str | None = None
    applied: int = 0
    completed: set = field(default_factory=set)
    findings: list = field(default_factory=list)  # fields the draft requires that a recorded form never answered
    new_steps: list = field(default_factory=list)  # steps unknown to the script, completed from their forms


def name_of(definition: ProcessDefinition, element: str | None) -> str | None:
    if element is None:
        return None
    for wf_spec in (definition.spec, *definition.subprocess_specs.values()):
        for spec in wf_spec.task_specs.values():
            if spec.bpmn_id == element:
                return spec.bpmn_name or element
    return element


class _Run:
    """The state of one replay: the engine, its instance, what it completed and found."""

    def __init__(self, definition: ProcessDefinition, forms: TaskForms, clock: ManualClock,
                 calendar: WorkdayCalendar, known_steps: frozenset | None):
        self.definition, self.forms, self.clock = definition, forms, clock
        self.engine = Engine(definition, clock=clock, calendar=calendar)
        self.known_steps = known_steps
        self.result = Replay(None)
        self.wf = None

    def form_data(self, element: str, data: dict) -> dict:
        given = dict(data.get("form") or {})
        if data.get("fill"):
            return self.forms.fill(element, given, answer_yes=data.get("answer_yes"))
        missing = self.forms.unanswered(element, given)
        if missing:
            self.result.findings += [{**item, "element_id": element} for item in missing]
            given = self.forms.fill(element, given)  # answered ("no" to an exclusion), so the replay goes on
        return given

    def complete(self, task, form: dict) -> None:
        self.engine.complete(self.wf, task.id, form)
        self.result.completed.add(task.bpmn_id)

    def pass_new_steps(self, waiting_for: str | None) -> None:
        """Complete ready steps the script does not know (new in the draft) until ``waiting_for`` is ready."""
        if self.known_steps is None:
            return
        for _ in range(MAX_NEW_STEPS):
            ready = self.engine.ready_tasks(self.wf)
            if waiting_for and any(t.bpmn_id == waiting_for for t in ready):
                return
            new = [t for t in ready if t.bpmn_id not in self.known_steps]
            if not new:
                return
            self.complete(new[0], self.forms.fill(new[0].bpmn_id, {}, passing=True))
            if new[0].bpmn_id not in self.result.new_steps:
                self.result.new_steps.append(new[0].bpmn_id)

    def apply(self, event: Event, user_ids: dict[str, str]) -> str | None:
        """Apply one decision; the reason it cannot be followed, or None."""
        if event.action == "task_completed":
            self.pass_new_steps(event.element_id)
            ready = [t for t in self.engine.ready_tasks(self.wf) if t.bpmn_id == event.element_id]
            mine = [t for t in ready if t.assignee is not None and t.assignee == user_ids.get(event.actor)]
            if not ready:
                return "草稿流程走到这里时没有这一环节可办理"
            # What the provincial register said when the step was submitted goes in with the form, as it did then.
            self.complete((mine or ready)[0], {**self.form_data(event.element_id, event.data),
                                               **(event.data.get("register") or {})})
        elif event.action == "batch_action":
            self.pass_new_steps(None)
            self.engine.send_message(self.wf, event.data["action"], {})
        elif event.action == "city_package_received":
            # The province registered the city's package (rounds/packages.py). A version from before the
            # package step has no catcher for it: its applications went straight on, so nothing to deliver.
            if self.definition.elements_awaiting("city_package"):
                self.pass_new_steps(None)
                self.engine.send_message(self.wf, "city_package", {})
        elif event.action == "objection_recorded":
            self.engine.send_message(self.wf, "objection", {k: v for k, v in event.data.items() if k != "name"})
        elif event.action == "timer_fired":
            fired = self.engine.fire_timers(self.wf)
            if event.element_id and not any(step.element_id == event.element_id for step in fired):
                return "草稿流程在这一时刻没有到期的这个定时器"
        return None


def replay(definition: ProcessDefinition, start_data: dict, events: list[Event], user_ids: dict[str, str], *,
           started_at: datetime, calendar: WorkdayCalendar, forms: TaskForms | None = None,
           known_steps: frozenset | None = None) -> Replay:
    """Start an instance of ``definition`` and apply ``events`` in order; stop where it cannot follow.

    With ``known_steps`` (the steps the script was written for), ready steps outside it are completed
    from their forms, so a scripted path follows a step the draft added."""
    forms = forms or TaskForms(definition.bundle, definition.user_tasks)
    run = _Run(definition, forms, ManualClock(started_at), calendar, known_steps)
    event = None
    try:
        # A setting the draft lists that the round never had: the draft's default, as a new round would get.
        run.wf, _ = run.engine.start({**default_start_data(definition.round_settings, started_at), **start_data})
        for event in events:
            run.clock.set(max(event.at, run.clock.now()))
            reason = run.apply(event, user_ids)
            if reason:
                run.result.outcome, run.result.stuck_at, run.result.reason = \
                    run.engine.outcome(run.wf), event.element_id, reason
                return run.result
            run.result.applied += 1
        run.pass_new_steps(None)
    except (EngineError, CalendarYearUnknown, CannotFill) as err:
        run.result.stuck_at = getattr(err, "element_id", None) or (event.element_id if event else None)
        run.result.reason = str(err)
        return run.result
    run.result.outcome = run.engine.outcome(run.wf)
    return run.result


def compare(label: str, expected: tuple[str, str] | None, result: Replay, definition: ProcessDefinition,
            finished: bool, application_id: int | None = None) -> PathResult:
    rehearsed = result.outcome[1] if result.outcome else None
    expected_name = expected[1] if expected else None
    extra = {"findings": result.findings, "new_steps": [name_of(definition, s) for s in result.new_steps]}
    if result.stuck_at or result.reason:
        return PathResult(label, "stuck", expected_name, rehearsed, result.stuck_at,
                          name_of(definition, result.stuck_at), result.reason, application_id, **extra)
    if not finished:
        status = "running" if result.outcome is None else "different"
    else:
        status = "same" if result.outcome and expected and result.outcome[0] == expected[0] else "different"
    return PathResult(label, status, expected_name, rehearsed, application_id=application_id, **extra)
