"""Returning a running instance to a user task it has completed (退回到任意环节).

SpiffWorkflow's ``BpmnWorkflow.reset_from_task_id`` drops every task below the one reset to, makes it
ready again with the data it had before it ran (its parent's), and re-arms the boundary events beside
it (spiff-arena's "reset to previous task" is that call too). What it does not check is whether the
reset is sound, so that is done here first:

- a multi-instance step (the expert review) under way is never cut: its children would be lost;
- the target is the latest completed pass of a user task on the path every open step shares; a step
  in a branch the instance has left (a parallel branch beside the open ones, a pass that history
  compaction removed) is not a place it can go back to;
- a multi-instance step is not a target either: its instances are the engine's, not a step a person
  returns to.

The reset runs under the engine's clock (the re-armed timers read it) and leaves the event manager
holding only tasks still in the tree. The reset tasks are given new ids, as a send-back's new pass through
a step has: what the service keys by task id (work items, drafts, notifications, timer firings) then
sees a new task, never the finished one again.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import uuid4

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.util.task import TaskState

from service.engine.errors import EngineError

if TYPE_CHECKING:
    from SpiffWorkflow.bpmn import BpmnWorkflow

UNDER_WAY = TaskState.READY | TaskState.WAITING | TaskState.STARTED


class RewindRefused(EngineError):
    """The instance cannot safely go back to that step; the message says why, in Chinese."""

    code = "rewind_refused"


@dataclass(frozen=True)
class RewindTarget:
    element_id: str
    name: str
    task_id: str


def _is_multi_instance(task) -> bool:
    return isinstance(task.task_spec, LoopTask) or task.task_spec.name.endswith(" [child]")


def _ancestors(task) -> list:
    """The task and everything above it, up through the task that runs its subprocess, if any."""
    chain = []
    while task is not None:
        chain.append(task)
        if task.parent is not None:
            task = task.parent
        elif task.workflow.parent_task_id is not None:
            task = task.workflow.top_workflow.get_task_from_id(task.workflow.parent_task_id)
        else:
            task = None
    return chain


def _renew_id(task) -> None:
    """Give a task just reset a fresh id, keeping its place in the tree."""
    wf, old, new = task.workflow, task.id, uuid4()
    wf.tasks[new] = wf.tasks.pop(old)
    task.id = new
    parent = task.parent
    if parent is not None:
        parent._children = [new if child == old else child for child in parent._children]
    for child in task.children:
        child._parent = new


class Rewinding:
    """Engine operations returning an instance to an earlier user task (mixed into Engine, which provides
    definition and _run)."""

    def _multi_instance_under_way(self, wf: BpmnWorkflow):
        return next((t for t in wf.get_tasks(state=UNDER_WAY) if _is_multi_instance(t)), None)

    def _shared_path(self, wf: BpmnWorkflow) -> list:
        """The tasks above every open task, root first: where the instance can go back to."""
        live = wf.get_tasks(state=UNDER_WAY)
        if not live:
            return []
        shared = None
        for task in live:
            ids = {t.id for t in _ancestors(task)}
            shared = ids if shared is None else shared & ids
        return [t for t in reversed(_ancestors(live[0])) if t.id in shared]

    def _returnable(self, task) -> bool:
        info = self.definition.user_tasks.get(task.task_spec.bpmn_id)
        return (task.state == TaskState.COMPLETED and info is not None and not info.multi_instance
                and not _is_multi_instance(task))

    def rewind_targets(self, wf: BpmnWorkflow) -> list[RewindTarget]:
        """The user tasks the instance may go back to now (the latest pass of each), in the order first done."""
        if self._multi_instance_under_way(wf) is not None:
            return []
        found: dict[str, RewindTarget] = {}
        for task in self._shared_path(wf):
            if self._returnable(task):
                spec = task.task_spec
                found[spec.bpmn_id] = RewindTarget(spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, str(task.id))
        return list(found.values())

    def rewind_blocked(self, wf: BpmnWorkflow) -> str | None:
        """Why the instance may not go back to any step now, or None."""
        if not wf.get_tasks(state=UNDER_WAY):
            return "申报已结束，不能退回"
        running = self._multi_instance_under_way(wf)
        if running is not None:
            spec = running.task_spec
            info = self.definition.user_tasks.get(spec.bpmn_id)  # the parent of the instances has no name
            return f"多实例环节“{info.name if info else spec.bpmn_name or spec.bpmn_id}”正在进行，不能退回"
        return None

    def rewind_refusal(self, wf: BpmnWorkflow, element_id: str) -> str | None:
        """Why the instance may not go back to ``element_id`` now, or None when it may."""
        blocked = self.rewind_blocked(wf)
        if blocked is not None:
            return blocked
        info = self.definition.user_tasks.get(element_id)
        if info is None:
            return f"“{element_id}”不是本流程的人工办理环节"
        if info.multi_instance:
            return f"“{info.name}”是多实例环节，不能作为退回目标"
        if any(t.element_id == element_id for t in self.rewind_targets(wf)):
            return None
        done = [t for t in wf.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id == element_id]
        if not done:
            return f"申报尚未办理过“{info.name}”，不能退回到该环节"
        return f"“{info.name}”所在的分支已不可达（申报当前不在这条路径上），不能退回到该环节"

    def rewind(self, wf: BpmnWorkflow, element_id: str) -> RewindTarget:
        """Return the instance to the latest pass of ``element_id``; raises RewindRefused with the reason."""
        reason = self.rewind_refusal(wf, element_id)
        if reason is not None:
            raise RewindRefused(reason)
        target = next(t for t in self.rewind_targets(wf) if t.element_id == element_id)

        renewed = {}

        def reset():
            task = self.find_task(wf, target.task_id)
            wf.reset_from_task_id(task.id)
            # The boundary events beside the task were reset with it.
            split = task.parent if isinstance(task.parent.task_spec, BoundaryEventSplit) else None
            for reset_task in (split.children if split is not None else [task]):
                _renew_id(reset_task)
                renewed[reset_task.task_spec.bpmn_id] = str(reset_task.id)
            # Dropped tasks stay registered for events until the next load: forget them now, and
            # register the renewed ones under their new ids.
            manager = wf.event_manager
            manager.tasks = {t.id: t for t in manager.tasks.values() if t.workflow.tasks.get(t.id) is t}

        self._run(wf, reset)
        # A boundary timer re-armed past its time is ready to fire at the next step: the instance would be
        # called off as overdue the moment it got back.
        for task in wf.get_tasks(state=TaskState.READY):
            if not task.task_spec.manual and isinstance(getattr(task.task_spec, "event_definition", None),
                                                        TimerEventDefinition):
                name = task.task_spec.bpmn_name or task.task_spec.bpmn_id
                raise RewindRefused(f"退回后“{target.name}”的“{name}”期限已过，申报会立即按逾期处理；请先顺延截止时间再退回")
        return RewindTarget(target.element_id, target.name, renewed[target.element_id])
