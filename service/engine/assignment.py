"""Who does a task, changed while it is ready: an expert on a panel replaced by a substitute."""
from __future__ import annotations

from typing import TYPE_CHECKING

from SpiffWorkflow.util.task import TaskState

from service.engine.errors import EngineError, TaskNotReady, state_name

if TYPE_CHECKING:
    from SpiffWorkflow.bpmn import BpmnWorkflow


class Reassignment:
    """Engine operations on a ready task's assignee (mixed into Engine, which provides find_task and
    definition)."""

    def reassign(self, wf: BpmnWorkflow, task_id: str, assignee: str) -> str | None:
        """Give one ready human task another assignee (an expert replaced on a panel); returns the old one.

        The task's assignee expression must name a variable (``expert``). In a multi-instance child
        that variable is the input item: the parent's collection (``experts``) is changed at the
        child's index too, so what the process carries on with names the expert who did the review.
        """
        task = self.find_task(wf, task_id)
        if task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotReady(f"任务“{task.task_spec.bpmn_name or '该环节'}”当前{state_name(task.state)}，不能更换办理人")
        info = self.definition.user_tasks[task.task_spec.bpmn_id]
        variable = (info.assignee or "").strip()
        if not variable.isidentifier():
            raise EngineError(f"任务“{info.name}”的办理人不是由一个变量指定的，不能更换办理人")
        old = task.data.get(variable)
        task.data[variable] = assignee
        parent = task.parent
        input_item = getattr(parent.task_spec, "input_item", None) if parent is not None else None
        data_input = getattr(parent.task_spec, "data_input", None) if parent is not None else None
        index = task.internal_data.get("key_or_index")
        if input_item is not None and input_item.bpmn_id == variable and data_input is not None and index is not None:
            for holder in (parent, task):
                collection = holder.data.get(data_input.bpmn_id)
                if isinstance(collection, list) and 0 <= index < len(collection):
                    collection[index] = assignee
        return None if old is None else str(old)

    def instance_inputs(self, wf: BpmnWorkflow, task_id: str) -> list:
        """The input collection of the multi-instance step ``task_id`` is an instance of (the panel of
        experts), or [] when it is not one."""
        task = self.find_task(wf, task_id)
        data_input = getattr(task.parent.task_spec, "data_input", None) if task.parent is not None else None
        collection = task.parent.data.get(data_input.bpmn_id) if data_input is not None else None
        return list(collection) if isinstance(collection, list) else []
