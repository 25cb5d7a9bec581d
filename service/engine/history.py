"""Keep a running instance's task tree short however often it loops.

SpiffWorkflow grows the task tree by one branch of completed tasks per pass through a
loop. An application sent back a hundred times carries ~800 completed ancestors above
its current task: each load, save and step walks them, and ``Task.is_descendant_of``
recurses through them until Python's recursion limit makes the next submit fail.

Nothing the service needs lives in that history: the audit trail (our own table) keeps
every step, and the engine only looks at the live tasks and the few completed ones just
above them. So once the completed stretch between the root and the live tasks is long,
its middle is spliced out.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

COMPACT_ABOVE = 40  # completed ancestors shared by every live task before the tree is compacted
KEEP_TOP = 3        # the root, the start task and the start event stay
KEEP_BOTTOM = 12    # the most recent history stays: gateways and boundary parents look a few levels up


def _ancestors(task) -> list:
    chain = []
    while task is not None:
        chain.append(task)
        task = task.parent
    chain.reverse()
    return chain


def _shared_history(wf: BpmnWorkflow) -> list:
    """The path from the root to the deepest task that is an ancestor of every unfinished task."""
    live = [t for t in wf.tasks.values() if t.has_state(TaskState.NOT_FINISHED_MASK)]
    if not live:
        return []
    spine = _ancestors(live[0])
    position = {task.id: n for n, task in enumerate(spine)}
    deepest_shared = len(spine) - 1
    for task in live[1:]:
        while task.id not in position:
            task = task.parent
        deepest_shared = min(deepest_shared, position[task.id])
    return spine[:deepest_shared + 1]


def _subtree_ids(task, keep_id) -> list:
    ids, stack = [], [task]
    while stack:
        node = stack.pop()
        ids.append(node.id)
        stack.extend(child for child in node.children if child.id != keep_id)
    return ids


def compact(wf: BpmnWorkflow) -> int:
    """Splice out the middle of a long finished history; returns how many tasks were dropped."""
    spine = _shared_history(wf)
    if len(spine) <= COMPACT_ABOVE:
        return 0
    top, bottom = spine[KEEP_TOP - 1], spine[-KEEP_BOTTOM]
    cut = spine[KEEP_TOP:-KEEP_BOTTOM]
    if any(not task.has_state(TaskState.FINISHED_MASK) for task in cut):
        return 0
    doomed = []
    for n, task in enumerate(cut):
        following = cut[n + 1] if n + 1 < len(cut) else bottom
        doomed += _subtree_ids(task, following.id)
    if (wf.last_task is not None and wf.last_task.id in doomed) or any(i in wf.subprocesses for i in doomed):
        return 0
    top._children = [bottom.id if child == cut[0].id else child for child in top._children]
    bottom._parent = top.id
    for task_id in doomed:
        wf.tasks.pop(task_id, None)
    return len(doomed)
